"""PDFs a manager would print: in the deal, team and cohort reports' PDFs no two words
overlap, table headers are separate words, and no date or code-made word is broken across
lines. Read from WeasyPrint's PDF with pdftotext's word boxes (``-bbox``)."""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.reporting import Run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reports-render")]

SLACK = 1.0
"""Points two word boxes may share (glyph boxes include the font's ascent and descent)."""
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def pdf_words(pdf: Path) -> list[Word]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    found = []
    for n, page in enumerate(out.split("<page ")[1:], 1):
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                             r'yMax="([\d.]+)">(.*?)</word>', page):
            x0, y0, x1, y1 = map(float, m.groups()[:4])
            found.append(Word(n, x0, y0, x1, y1, html.unescape(m.group(5))))
    return found


def overlapping(words: list[Word]) -> list[tuple[int, str, str]]:
    """Pairs of words whose boxes cross by more than :data:`SLACK` on both axes."""
    out = []
    ordered = sorted(words, key=lambda w: (w.page, w.x0))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.page != a.page or b.x0 >= a.x1 - SLACK:
                break
            if (min(a.y1, b.y1) - max(a.y0, b.y0) > SLACK
                    and min(a.x1, b.x1) - max(a.x0, b.x0) > SLACK):
                out.append((a.page, a.text, b.text))
    return out


def tokens(words: list[Word]) -> set[str]:
    return {w.text.strip(",.;:()·") for w in words} | {w.text for w in words}


def visible(markup: str) -> str:
    markup = re.sub(r"<(style|script)\b.*?</\1>", " ", markup, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def assert_printable(pdf: Path, page_html: str, headers: tuple[str, ...],
                     whole: tuple[str, ...] = ()) -> None:
    words = pdf_words(pdf)
    assert words, pdf
    assert overlapping(words) == [], pdf.name
    have = tokens(words)
    for header in headers:  # each its own word: no "WARNSILENTRISK"
        assert header in have, (pdf.name, header)
    for date in set(DATE.findall(visible(page_html))):  # no "2027-02/-12"
        assert date in have, (pdf.name, date)
    for word in whole:  # no "qualificat/ion"
        assert word in have, (pdf.name, word)


PLAN = ("milestone", "date", "customer", "owner", "status")
DEALS = {"fjordbank-onboarding": PLAN, "harbourline-crm-replacement": PLAN,
         "northwind-plant-maintenance": PLAN, "tallis-early-discovery": (), "bare-deal": ()}


@pytest.mark.parametrize("deal", DEALS)
def test_deal_pdfs_print_cleanly(everything: Run, deal: str) -> None:
    assert_printable(everything.folder / f"{deal}.pdf", everything.html(deal), DEALS[deal],
                     ("Verdict:",))


def test_team_pdf_prints_cleanly(everything: Run) -> None:
    page = everything.html("team-all")
    assert_printable(everything.folder / "team-all.pdf", page,
                     ("#", "deal", "stage", "value", "close", "conf.", "cons.", "trend",
                      "crit.", "warn.", "silent", "risk"),
                     ("qualification", "negotiation", "discovery"))


def test_cohort_pdf_prints_cleanly(cohort_store: str, tmp_path: Path, cli) -> None:
    out = tmp_path / "reports"
    done = cli("report", "--cohort", "leeds-nov", "--store", cohort_store, "--out", str(out),
               "--format", "both")
    assert done.code == 0, done.err
    page = (out / "cohort-leeds-nov.html").read_text(encoding="utf-8")
    assert_printable(out / "cohort-leeds-nov.pdf", page,
                     ("Participant", "Done", "Critical", "Problem", "People", "Metric",
                      "Confidence"))
