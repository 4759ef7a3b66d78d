"""``coachkit report`` end to end: papermill, nbconvert, WeasyPrint, the worker pool.

Two batches are rendered once per session and looked at from many sides: every deal of a
store (the demo deals, a hostile deal, a deal with only an id, a deal with a formula for a
name, a deal changed since the last review) to HTML and PDF; and a team with one corrupt
deal. One single-deal run checks the in-process path.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from coachkit.model import Deal
from coachkit.reports.team import FORMULA_LEADS
from coachkit.store import Store
from coachkit.training.demo import demo_deals, demo_ids
from support.helpers import TODAY, run_cli
from support.reporting import FORMULA, RAW, Run, Sources, assert_escaped, corrupt, once_per_session

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reports-render")]


@pytest.fixture(scope="session")
def broken_team(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A team of three deals, one of them corrupt in the store, rendered with two workers."""
    return once_per_session(tmp_path_factory, "team-reports", _render_broken_team)


def _render_broken_team(folder: Path) -> Run:
    location = str(folder / "store.db")
    with Store(location) as store:
        for deal in demo_deals():
            store.put(deal, author="seller")
        doc = store.get("tallis-early-discovery").deal.to_json_dict()
        doc["deal"]["id"] = "broken-deal"
        store.put(Deal.model_validate(doc), author="seller")
        corrupt(store, "broken-deal")
    code, out, err = run_cli("report", "--team", "nordics-services", "--store", location,
                             "--out", str(folder / "out"), "--workers", "2")
    return Run(code, out, err, folder / "out", location)


# -- what a batch writes ---------------------------------------------------------------------

ALL_IDS = [*demo_ids(), "hostile-deal", "bare-deal", "formula-deal"]


def test_every_deal_renders_to_html_and_pdf(everything: Run) -> None:
    run = everything
    assert run.code == 0, run.err
    written = set(run.out.split())
    for deal_id in ALL_IDS:
        for suffix in ("html", "pdf"):
            path = run.folder / f"{deal_id}.{suffix}"
            assert str(path) in written and path.stat().st_size > 1000
        assert (run.folder / f"{deal_id}.pdf").read_bytes().startswith(b"%PDF-")
        page = run.html(deal_id)
        for section in ("story", "cost", "findings", "scores", "stakeholders",
                        "disagreements", "risks", "confidence", "plan", "changes"):
            assert f'id="{section}"' in page, (deal_id, section)
    for suffix in ("html", "pdf", "csv"):
        assert (run.folder / f"team-all.{suffix}").is_file()
    assert not list(run.folder.glob(".*.tmp"))


def test_demo_reports_show_the_deal(everything: Run) -> None:
    run = everything
    fjord = run.html("fjordbank-onboarding")
    assert "<h1>Fjordbank ASA</h1>" in fjord
    assert "Critical (" in fjord and "Ask: " in fjord
    assert 'class="customer-words"' in fjord  # the problem in the customer's own words
    assert "1,330,000 NOK" in fjord and "15,960,000 NOK" in fjord  # per month and per year
    assert "<svg" in fjord  # stakeholder and risk maps, inline
    harbour = run.html("harbourline-crm-replacement")
    assert "not in the customer&#x27;s words" in harbour  # as coachkit escaped it


def test_html_is_self_contained(everything: Run) -> None:
    run = everything
    pages = sorted(run.folder.glob("*.html"))
    assert len(pages) == len(ALL_IDS) + 1
    for path in pages:
        page = path.read_text(encoding="utf-8")
        parser = Sources()
        parser.feed(page)
        for tag, name, value in parser.refs:
            assert not re.match(r"(?i)\s*(https?:|//|file:|javascript:)", value), (
                path.name, tag, name, value)
            if tag in ("img", "script", "link", "iframe", "source"):
                assert value.startswith("data:"), (path.name, tag, value)
            if tag == "a":
                assert re.fullmatch(r"[A-Za-z0-9_-]+\.(html|pdf)", value), value
        assert "<script" not in page and "<link" not in page and "@import" not in page
        assert not re.search(r"url\(\s*['\"]?(https?:|//)", page)
        assert "require.js" not in page and "mathjax" not in page.lower()
        # no code, prompts, parameters or hidden cells in the report
        assert "DealReport.load" not in page and "TeamReport.load" not in page
        assert "In&nbsp;[" not in page and "Run it with" not in page
        assert run.store not in page


def test_user_text_is_escaped_everywhere(everything: Run) -> None:
    run, values = everything, everything.values
    assert_escaped(run.html("hostile-deal"), values)
    team = run.html("team-all")
    for raw in RAW:
        assert raw not in team
    assert "F000 &lt;script&gt;alert(1)&lt;/script&gt;" in team  # its customer, escaped
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(run.folder / "hostile-deal.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "<script>alert(1)</script>" in text  # shown as text on paper too


def test_a_deal_with_only_an_id_renders(everything: Run) -> None:
    page = everything.html("bare-deal")
    assert page.count("not yet filled") >= 10
    assert "bare-deal" in page


def test_changed_since_shows_the_change(everything: Run) -> None:
    page = everything.html("northwind-plant-maintenance")
    changes = page[page.index('id="changes"'):]
    since = (TODAY - dt.timedelta(days=14)).isoformat()
    assert f"What changed since {since}" in changes  # the default: 14 days ago
    assert "Compared version 1" in changes and "with version 2" in changes
    assert "<td>Stage</td>" in changes and "negotiation" in changes
    assert "deal.stage" not in changes  # fields by their titles, never their paths
    assert "their plan to change (customer)" in changes
    front = page[page.index('id="verdict"'):page.index('id="story"')]
    assert "Stage: ‘proposal’ → ‘negotiation’" in front


def test_team_report_ranks_links_and_exports(everything: Run) -> None:
    run = everything
    team = run.html("team-all")
    for deal_id in ALL_IDS:
        assert f'href="{deal_id}.html"' in team
    assert len(re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,', team)) == 2
    rows = list(csv.DictReader(io.StringIO(
        (run.folder / "team-all.csv").read_text(encoding="utf-8"))))
    assert [r["deal_id"] for r in rows][-1] != "" and len(rows) == len(ALL_IDS)
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    risks = [float(r["risk_score"]) for r in rows]
    assert risks == sorted(risks, reverse=True)
    formula = next(r for r in rows if r["deal_id"] == "formula-deal")
    assert formula["customer"] == "'" + FORMULA
    assert formula["title"] == "'+1+1" and formula["seller"] == "'-2+3"
    assert formula["team"] == "'@SUM(A1)"
    cells = [c for r in rows for c in r.values()]
    assert not [c for c in cells if c and c.startswith(FORMULA_LEADS)]


# -- one corrupt deal in a team ---------------------------------------------------------------


def test_one_corrupt_deal_never_stops_the_others(broken_team: Run) -> None:
    run = broken_team
    assert run.code == 1
    assert "1 of 4 reports failed" in run.err
    assert re.search(r"broken-deal: deal 'broken-deal' version 2: the stored document is not "
                     r"a valid deal", run.err), run.err
    for deal_id in ("fjordbank-onboarding", "tallis-early-discovery"):
        assert (run.folder / f"{deal_id}.html").is_file()
    assert not (run.folder / "broken-deal.html").exists()
    assert not (run.folder / "northwind-plant-maintenance.html").exists()  # another team
    team = run.html("team-nordics-services")
    assert 'href="fjordbank-onboarding.html"' in team
    assert 'href="broken-deal.html"' not in team
    assert "Deals that could not be read" in team and "broken-deal" in team
    csv_text = (run.folder / "team-nordics-services.csv").read_text(encoding="utf-8")
    assert "fjordbank-onboarding" in csv_text and "broken-deal" not in csv_text


# -- one deal, in this process ---------------------------------------------------------------


def test_single_deal_with_since_and_notebook(everything: Run,
                                             tmp_path: Path) -> None:
    run = everything
    since = dt.datetime.combine(TODAY - dt.timedelta(days=30), dt.time(9, 30)).isoformat()
    code, out, err = run_cli("report", "northwind-plant-maintenance", "--store", run.store,
                             "--out", str(tmp_path), "--since", since, "--keep-notebook")
    assert code == 0, err
    html_path = tmp_path / "northwind-plant-maintenance.html"
    notebook = tmp_path / "northwind-plant-maintenance.ipynb"
    assert out.split() == [str(html_path), str(notebook)]
    assert not (tmp_path / "northwind-plant-maintenance.pdf").exists()
    page = html_path.read_text(encoding="utf-8")
    assert "created after that day" in page  # 30 days ago it did not exist yet
    executed = json.loads(notebook.read_text(encoding="utf-8"))
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get(
        "tags", [])]
    assert injected and since in "".join(injected[0]["source"])
    assert all(c.get("outputs") is not None for c in executed["cells"] if c["cell_type"] ==
               "code")


def test_user_errors_are_one_line(everything: Run, tmp_path: Path) -> None:
    run = everything
    for args, message in ((["nope"], "no deal 'nope'"),
                          (["--team", "nobody"], "no deals in team 'nobody'"),
                          (["--all", "--workers", "0"], "--workers must be 1 or more"),
                          (["bare-deal", "--as-of", "2001-01-01"], "did not exist yet")):
        code, _out, err = run_cli("report", *args, "--store", run.store, "--out",
                                 str(tmp_path))
        assert code == 1 and err.count("\n") == 1 and message in err, (args, err)
    assert not list(tmp_path.iterdir())
