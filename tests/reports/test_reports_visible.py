"""What a person reads in every report kind (deal, team, customer page, cohort), rendered by
papermill and nbconvert for the demo deals and a deal with nothing but an id: no field path,
rule id, raw enumeration value, ``nan``, ``None`` or ``null``; empty cells explained."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from coachkit.coaching.registry import registry
from coachkit.training.demo import demo_ids
from support.helpers import run_cli
from support.reporting import Run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reports-render")]

INTERNAL = (
    (r"\b[a-z]+_[a-z_]+\b", "a snake_case name or enumeration value"),
    (r"\b\w+\[\d+\]", "a list path"),
    (r"\b(problem|deal|confidence|fit|training|risks|stakeholders|plan)\.[a-z]\w*", "a field path"),
    (r"\b(None(?! of)|nan|NaN|null|undefined)\b", "an empty value printed"),
)


def visible(markup: str) -> str:
    """The text of a page as shown: no style, script or title; entities decoded."""
    markup = re.sub(r"<(style|script|title)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def internal_names(text: str) -> list[str]:
    found = []
    for pattern, what in INTERNAL:
        found += [f"{what}: …{text[max(0, m.start() - 30):m.end() + 10]}…"
                  for m in re.finditer(pattern, text)]
    for rule in registry():
        found += [f"rule id: …{text[max(0, m.start() - 30):m.end() + 10]}…"
                  for m in re.finditer(rf"(?<![\w-]){re.escape(rule)}(?![\w-])", text)]
    return found


SHOWN = [*demo_ids(), "bare-deal", "team-all"]
"""The pages of the batch whose text is ours and the demo's (the hostile and formula deals
carry strings made to look like anything)."""


@pytest.mark.parametrize("stem", SHOWN)
def test_deal_and_team_reports_say_nothing_internal(everything: Run, stem: str) -> None:
    assert internal_names(visible(everything.html(stem))) == []


def test_team_report_explains_empty_cells(everything: Run) -> None:
    page = everything.html("team-all")
    bare = page[page.index('href="bare-deal.html"'):]
    row = visible(bare[:bare.index("</tr>")])
    assert "—" in row and "nan" not in row
    assert "— : not known yet" in visible(page)  # the legend says what the dash means


@pytest.fixture(scope="module")
def customer_pages(everything: Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("customer")
    for deal in ("fjordbank-onboarding", "harbourline-crm-replacement", "bare-deal"):
        code, _, err = run_cli("report", deal, "--for", "customer", "--store", everything.store,
                               "--out", str(out))
        assert code == 0, err
    return out


def test_customer_pages_say_nothing_internal(customer_pages: Path) -> None:
    pages = sorted(customer_pages.glob("*.html"))
    assert len(pages) == 3
    for page in pages:
        text = visible(page.read_text(encoding="utf-8"))
        assert internal_names(text) == [], page.name
        assert "changes with it" not in text  # a static page cannot recompute


def test_cohort_report_says_nothing_internal(cohort_store: str, tmp_path: Path) -> None:
    code, _, err = run_cli("report", "--cohort", "leeds-nov", "--store", cohort_store,
                           "--out", str(tmp_path))
    assert code == 0, err
    text = visible((tmp_path / "cohort-leeds-nov.html").read_text(encoding="utf-8"))
    assert internal_names(text) == []
