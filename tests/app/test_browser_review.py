"""The review loop in a real browser: a manager records a review in the app, the seller opens
the deal and ticks the action done, and the manager's next report shows it done."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coachkit.model import empty_deal
from coachkit.store import Store
from support.helpers import ARTIFACTS
from support.pages import TIMEOUT, new_context, open_app, tab
from support.servers import AppServer

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("voila")]


def open_review_step(browser, url: str):
    """A new browser context (another person: the token's first visit) on the Review step."""
    context = new_context(browser)
    page = context.new_page()
    open_app(page, url)
    page.locator(".ck-steps").wait_for()
    tab(page, "Review")
    page.locator(".ck-review-panel").wait_for()
    return context, page


def test_a_review_goes_to_the_seller_and_back(browser, app_server: AppServer, app_store: str,
                                              tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with Store(app_store) as s:
        s.save(empty_deal("review-loop-deal", customer="Loop Ltd", title="Fewer late orders",
                          stage="qualification"), base_version=None, author="seller")
    url = app_server.link("deal_id=review-loop-deal")

    manager, page = open_review_step(browser, url)
    page.get_by_text("Record a review").click()
    page.locator(".ck-review-note textarea").fill("Who signs? Ask before the next call.")
    page.locator(".ck-review-new-actions textarea").fill("Ask who signs @2026-12-01")
    page.locator(".ck-review-record").click()
    expect(page.locator(".ck-latest-review")).to_contain_text("Review 1", timeout=TIMEOUT)
    page.screenshot(path=str(ARTIFACTS / "review-manager.png"), full_page=True)
    manager.close()

    seller, page = open_review_step(browser, url)
    expect(page.locator(".ck-latest-review")).to_contain_text("Who signs?")
    action = page.locator(".ck-review-action input[type=checkbox]")
    expect(action).to_have_count(1)
    action.check()
    expect(page.locator(".ck-latest-review")).to_contain_text("Review 1")
    page.screenshot(path=str(ARTIFACTS / "review-seller.png"), full_page=True)

    def done() -> bool:
        with Store(app_store) as s:
            return s.reviews("review-loop-deal")[0].action_states()[0].done

    for _ in range(100):
        if done():
            break
        page.wait_for_timeout(100)
    assert done()
    seller.close()

    out = tmp_path / "reports"
    report = subprocess.run([sys.executable, "-m", "coachkit.cli", "report", "review-loop-deal",
                             "--store", app_store, "--out", str(out)], capture_output=True,
                            text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    html = (out / "review-loop-deal.html").read_text(encoding="utf-8")
    assert "What changed since the last review" in html
    assert "Actions (1 of 1 done)" in html and "Who signs? Ask before the next call." in html
