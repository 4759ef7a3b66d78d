"""The customer's page in a real browser: the Review step's preview (a sandboxed frame) and the
download, in Chromium against `coachkit app`. Screenshot: test-artifacts/customer-page.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.pages import open_app, shot, tab
from support.servers import AppServer

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("voila")]


def test_preview_and_download_the_customers_page(page, app_server: AppServer,
                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    open_app(page, app_server.link("deal_id=northwind-plant-maintenance"))
    page.locator(".ck-steps").wait_for()
    tab(page, "Review")
    page.get_by_role("button", name="Preview the customer's page").click()
    frame = page.frame_locator(".ck-customer-preview iframe")
    expect(frame.locator("h1")).to_have_text("Northwind Verpackung GmbH", timeout=60_000)
    expect(frame.locator("#plan h2")).to_have_text("Our mutual plan")
    expect(frame.locator("body")).not_to_contain_text("Show the group board")  # a goal
    page.locator(".ck-customer-preview iframe").scroll_into_view_if_needed()
    shot(page, "customer-page")
    with page.expect_download() as info:
        page.get_by_text("Download the customer's page").click()
    download = info.value
    assert download.suggested_filename == "northwind-plant-maintenance-customer.html"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert "<h1>Northwind Verpackung GmbH</h1>" in text and "<script" not in text
    assert page.dialogs == []  # type: ignore[attr-defined]
