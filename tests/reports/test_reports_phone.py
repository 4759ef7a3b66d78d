"""A rendered report read on a phone (390 px wide, Chromium): every word in its tables stays
whole and the page itself does not scroll sideways (a wide table scrolls inside the report).
The fixed table layout made for print broke words letter by letter on a phone ("Sous / a")."""

from __future__ import annotations

import pytest

from coachkit.training.demo import demo_ids
from support.reporting import Run

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("reports-render")]

BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // a word: what lies between spaces and hyphens (a line may end after a hyphen)
      for (const m of node.data.matchAll(/[^\\s\\-\\u2013\\u2014\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("stem", [*demo_ids(), "team-all"])
def test_a_report_on_a_phone_keeps_its_words_whole(everything: Run, browser, stem: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto((everything.folder / f"{stem}.html").as_uri())
        assert page.evaluate(BROKEN_WORDS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        page.close()
