"""``coachkit report ID --for customer``: papermill runs the page's notebook, nbconvert makes
the HTML, WeasyPrint the PDF. The marked deal (every field filled, see
``test_customer_page.marked_deal``) is rendered once; no internal marker may be in the HTML or
in the PDF's text (``pdftotext``), and every shared one must be."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from coachkit.store import Store
from coachkit.training.demo import demo_deals
from support.customer import INTERNAL_WORDS, marked_deal
from support.helpers import run_cli
from support.reporting import Run, Sources, once_per_session

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reports-render")]


@pytest.fixture(scope="session")
def marked_page(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return once_per_session(tmp_path_factory, "customer-page", _render_marked)


def _render_marked(folder: Path) -> Run:
    location = str(folder / "store.db")
    marked = marked_deal()
    with Store(location) as store:
        store.put(marked.deal, author="seller")
        store.put(demo_deals()[0], author="seller")
    code, out, err = run_cli("report", marked.deal.id, "--for", "customer", "--store",
                             location, "--out", str(folder / "out"), "--format", "both")
    return Run(code, out, err, folder / "out", location)


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("no pdftotext (apt-get install poppler-utils)")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout


def test_the_page_is_written_as_html_and_pdf(marked_page: Run) -> None:
    run = marked_page
    assert run.code == 0, run.err
    html_path, pdf_path = run.folder / "mk-deal-customer.html", run.folder / "mk-deal-customer.pdf"
    assert run.out.split() == [str(html_path), str(pdf_path)]
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in run.folder.iterdir()) == [html_path.name, pdf_path.name]


def test_nothing_internal_in_the_html_or_the_pdf(marked_page: Run) -> None:
    marked = marked_deal()
    page = marked_page.html("mk-deal-customer")
    text = pdf_text(marked_page.folder / "mk-deal-customer.pdf")
    visible = re.sub(r"<[^>]*>", " ", re.sub(r"(?s)<style>.*?</style>", "", page))
    for where, found, read in (("HTML", page, visible), ("PDF", text, text)):
        leaked = {v: p for v, p in marked.hidden.items() if v in found}
        assert not leaked, f"internal fields in the customer's {where}: {leaked}"
        words = [w for w in INTERNAL_WORDS if w in read.lower()]
        assert not words, f"internal words in the customer's {where}: {words}"
    missing = {v: p for v, p in marked.shown.items() if html.escape(v) not in page}
    assert not missing, f"shared fields missing from the HTML: {missing}"
    flat = " ".join(text.split())
    missing = {v: p for v, p in marked.shown.items() if v not in flat}
    assert not missing, f"shared fields missing from the PDF: {missing}"


def test_the_page_is_self_contained(marked_page: Run) -> None:
    page = marked_page.html("mk-deal-customer")
    parser = Sources()
    parser.feed(page)
    assert [ref for ref in parser.refs if not ref[2].startswith("data:")] == []
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"(?i)(https?:|file:)//", page)
    assert "<title>Mk" in page and "our shared view of the change</title>" in page


@pytest.mark.parametrize(("args", "message"), [
    (["--team", "x"], "--for customer makes one deal's page: give a DEAL_ID"),
    (["--all"], "--for customer makes one deal's page: give a DEAL_ID"),
    (["--cohort", "c"], "--for customer makes one deal's page: give a DEAL_ID"),
    (["mk-deal", "--since", "2026-11-01"], "--since and --today are for the manager's report"),
    (["no-such-deal"], "no deal 'no-such-deal' in the store"),
])
def test_refusals_are_one_line(marked_page: Run, tmp_path: Path, args: list[str],
                               message: str) -> None:
    code, out, err = run_cli("report", *args, "--for", "customer", "--store",
                             marked_page.store, "--out", str(tmp_path))
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and message in err
    assert list(tmp_path.iterdir()) == []
