"""Helpers for the browser tests: pages of a real ``coachkit app`` in Debian's Chromium."""

from __future__ import annotations

import re
from typing import Any

from coachkit.model.vocabulary import STEPS
from support.helpers import ARTIFACTS

TIMEOUT = 30_000


def new_context(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT)
    return context


def watch(page: Any) -> Any:
    """Record the page's dialogs (dismissed: "stay on the page") and every request."""
    page.dialogs = []
    page.requests = []
    page.on("dialog", lambda d: (page.dialogs.append((d.type, d.message)), d.dismiss()))
    page.on("request", lambda r: page.requests.append(r.url))
    return page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_app(page: Any, url: str, timeout: float = TIMEOUT) -> None:
    """Open the app; a server just started may still be preheating its first kernel."""
    page.goto(url, timeout=timeout)
    page.locator(".ck-app").wait_for(timeout=timeout)


FIRST_PAGE = 120_000
"""The first page of a server just started waits for its first kernel (a loaded machine)."""


def answered(page: Any) -> None:
    """Wait until the kernel has answered the page's heartbeat: the page is live."""
    page.wait_for_function(
        "(document.querySelector('.ck-heartbeat') || {textContent: '0'}).textContent !== '0'",
        timeout=TIMEOUT)


def tab(page: Any, title: str) -> None:
    page.get_by_role("tab", name=re.compile(f"^{title}")).click()
    key = next(s.key for s in STEPS if s.title == title)
    page.locator(f".ck-step-{key} .ck-step-body").wait_for()


def status(page: Any, text: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".ck-status")).to_contain_text(text, timeout=TIMEOUT)


def panel(page: Any, step: str) -> Any:
    return page.locator(f".ck-step-{step} .ck-coach-panel")


def kernel_of(page: Any) -> str:
    return page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
