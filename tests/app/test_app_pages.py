"""The app's pages in Chromium against a real ``coachkit app``: nothing loaded from elsewhere,
kernels that end with their tabs, the page cap, plain words when the kernel or the server is
gone, conflicts and uploads that lose nothing without saying so."""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.error
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from coachkit.model.files import too_large
from coachkit.store import Store
from support.helpers import demo_store, wait_until
from support.pages import (
    FIRST_PAGE,
    TIMEOUT,
    answered,
    kernel_of,
    new_context,
    open_app,
    shot,
    status,
    tab,
    watch,
)
from support.procs import alive
from support.servers import AppClient, AppServer, app_command, app_env, kernel_id, kernel_pid

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("voila")]

LOST = "#ck-connection-lost"


def no_pages_open(server: AppServer) -> None:
    """Earlier tests' pages end within their grace period; start from the preheated kernel."""
    wait_until(lambda: len(server.kernel_pids()) <= 1, 90, "earlier pages' kernels end")


def test_the_page_loads_nothing_from_elsewhere(page: Any, app_server: AppServer) -> None:
    open_app(page, app_server.link("deal_id=northwind-plant-maintenance"))
    page.locator(".ck-steps").wait_for()
    for title in ("Problem", "Risks", "Stakeholders", "Decision confidence", "Review"):
        tab(page, title)
    page.get_by_text("Training", exact=False).first.click()
    answered(page)
    shot(page, "20-local-only")
    hosts = {re.sub(r"^\w+://([^/]+)/.*$", r"\1", url) for url in page.requests
             if not url.startswith(("data:", "blob:"))}
    assert hosts == {f"127.0.0.1:{app_server.port}"}
    # the accordion's caret is a plain character now that no icon font is loaded
    caret = page.evaluate("getComputedStyle(document.querySelector("
                          "'.jupyter-widget-Collapse-header .fa'), '::before').content")
    assert caret == '"▸"'


def test_closed_tabs_leave_only_the_preheated_kernel(browser: Any,
                                                     app_server: AppServer) -> None:
    no_pages_open(app_server)
    context = new_context(browser)
    tabs = []
    for n in range(5):
        tab_page = watch(context.new_page())
        open_app(tab_page, app_server.link() if n == 0 else app_server.url)
        answered(tab_page)
        tabs.append(tab_page)
    assert "_xsrf" in {c["name"] for c in context.cookies()}  # what the beacon sends back
    pids = [kernel_pid(app_server, kernel_of(p)) for p in tabs]
    assert len(set(pids)) == 5

    closed = time.monotonic()
    for tab_page in tabs[:3]:  # closed with its beacon, as a browser closes a tab
        tab_page.close(run_before_unload=True)
    context.close()  # the other two vanish with no beacon at all (a crashed browser)
    took = wait_until(lambda: not any(alive(pid) for pid in pids[:3]), 9,
                      "the beacon ends a closed tab's kernel, before any grace period")
    time.sleep(max(0.0, 20 - (time.monotonic() - closed)))
    left = app_server.kernel_pids()
    print(f"beacon: kernels ended {took:.1f} s after their tabs closed; "
          f"20 s later {len(left)} kernel(s) run")
    assert not any(alive(pid) for pid in pids)
    assert len(left) <= 1  # at most the preheated kernel


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """``coachkit app --max-pages 2``."""
    folder = tmp_path_factory.mktemp("small-app")
    server = AppServer(app_command("--store", demo_store(folder), "--max-pages", "2"),
                       app_env(), folder / "app.log")
    yield server
    server.stop()


def test_the_page_cap_says_what_to_do(browser: Any, small_server: AppServer) -> None:
    from playwright.sync_api import expect

    context = new_context(browser)
    first, second, third = (watch(context.new_page()) for _ in range(3))
    open_app(first, small_server.link(), FIRST_PAGE)
    answered(first)
    open_app(second, small_server.url)
    answered(second)
    response = third.goto(small_server.url)
    assert response.status == 429
    expect(third.locator("h1")).to_have_text("Too many open pages")
    expect(third.locator("body")).to_contain_text("at most 2 at once")
    expect(third.locator("body")).to_contain_text("Close a workbook tab you no longer need")
    shot(third, "21-too-many-pages")
    assert len(small_server.kernel_pids()) <= 3  # two pages and the preheated kernel

    first.close(run_before_unload=True)
    wait_until(lambda: len(small_server.kernel_pids()) <= 2, 15, "the closed tab's kernel ends")
    # served at once, even while Voila finishes the closed tab's shutdown (a loaded machine);
    # the preheated kernel may still be starting: the page then waits as a first page does
    response = third.goto(small_server.url)
    assert response.status == 200
    third.locator(".ck-app").wait_for(timeout=FIRST_PAGE)
    answered(third)
    context.close()


def test_pages_opened_together_are_counted_one_by_one(small_server: AppServer) -> None:
    """Six pages asked for at once (a browser restoring its tabs) against a cap of two: two
    are served, the others are told at once instead of waiting for kernels they cannot
    have, and no more kernels start than the cap allows."""
    no_pages_open(small_server)
    client = AppClient(small_server)

    def ask(_: int) -> tuple[int, float, str]:
        start = time.monotonic()
        try:
            with client.opener.open(small_server.url, timeout=180) as response:
                html = response.read().decode("utf-8")
                return response.status, time.monotonic() - start, kernel_id(html)
        except urllib.error.HTTPError as exc:
            return exc.code, time.monotonic() - start, ""

    with ThreadPoolExecutor(6) as pool:
        answers = sorted(pool.map(ask, range(6)))
    client.taken = [kernel for _, _, kernel in answers if kernel]
    try:
        assert [code for code, _, _ in answers] == [200, 200, 429, 429, 429, 429]
        slowest_page = max(took for code, took, _ in answers if code == 200)
        assert all(took < slowest_page for code, took, _ in answers if code == 429)
        assert len(small_server.kernel_pids()) <= 3  # two pages and the preheated kernel
    finally:
        client.close_pages()


def test_a_killed_kernel_is_said_plainly(page: Any, app_server: AppServer,
                                         app_store: str) -> None:
    from playwright.sync_api import expect

    open_app(page, app_server.link("deal_id=tallis-early-discovery"))
    page.locator(".ck-steps").wait_for()
    page.locator(".ck-field-deal-currency input").fill("NOK")
    status(page, "Saved at")
    with Store(app_store) as store:
        version = store.latest_version("tallis-early-discovery")
    answered(page)
    expect(page.locator(LOST)).to_be_hidden()

    os.kill(kernel_pid(app_server, kernel_of(page)), signal.SIGKILL)
    banner = page.locator(LOST)
    expect(banner).to_be_visible(timeout=30_000)
    expect(banner).to_contain_text("The connection to the workbook was lost.")
    expect(banner).to_have_text(re.compile(
        rf"Last saved: version {version} at \d\d:\d\d UTC\. Reload the page to go on; "
        "anything typed since then is not saved."))
    assert page.evaluate("document.getElementById('rendered_cells').inert")  # no more typing
    shot(page, "22-kernel-lost")
    page.reload()  # and reloading goes on, with a new kernel
    page.locator(".ck-steps").wait_for()
    answered(page)
    expect(page.locator(LOST)).to_have_count(0)


def test_a_server_restart_is_said_plainly(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    location = demo_store(tmp_path)
    server = AppServer(app_command("--store", location), app_env(), tmp_path / "first.log")
    context = new_context(browser)
    try:
        page = watch(context.new_page())
        open_app(page, server.link("deal_id=harbourline-crm-replacement"), FIRST_PAGE)
        page.locator(".ck-steps").wait_for()
        page.locator(".ck-field-deal-currency input").fill("EUR")
        status(page, "Saved at")
        answered(page)
        server.stop()
        with Store(location) as store:
            version = store.latest_version("harbourline-crm-replacement")
        expect(page.locator(LOST)).to_contain_text(
            f"Last saved: version {version} at", timeout=30_000)
        restarted = AppServer(app_command("--store", location, "--port", str(server.port)),
                              app_env(), tmp_path / "second.log")
        try:
            time.sleep(12)  # the page's reconnection attempts reach the new server
            expect(page.locator(LOST)).to_be_visible()  # it cannot revive the old kernel
            shot(page, "23-server-restarted")
        finally:
            restarted.stop()
    finally:
        context.close()
        server.stop()


def test_edits_after_a_conflict_survive_a_killed_kernel(browser: Any, app_server: AppServer,
                                                        app_store: str) -> None:
    deal = "fjordbank-onboarding"
    with Store(app_store) as store:
        before = {c.id for c in store.conflicts(deal)}
    context = new_context(browser)
    first, second = watch(context.new_page()), watch(context.new_page())
    for pg in (first, second):
        open_app(pg, app_server.link(f"deal_id={deal}"))
        pg.locator(".ck-steps").wait_for()
        tab(pg, "Problem")
    first.locator(".ck-field-problem-why-now textarea").fill("First page: the audit")
    status(first, "Saved at")
    second.locator(".ck-field-problem-why-now textarea").fill("Second page: the board")
    status(second, "you both changed “Why now”")
    second.locator(".ck-field-problem-root-cause textarea").fill("Typed after the conflict")
    status(second, "your edits up to")
    conflict_id = int(re.search(r"conflict (\d+)", second.locator(".ck-status")
                                .text_content())[1])

    os.kill(kernel_pid(app_server, kernel_of(second)), signal.SIGKILL)  # never chose
    context.close()
    with Store(app_store) as store:
        kept = [c for c in store.conflicts(deal) if c.id not in before]
    assert [c.id for c in kept] == [conflict_id]  # one record per conflict, kept up to date
    assert kept[0].deal.problem.why_now == "Second page: the board"
    assert kept[0].deal.problem.root_cause == "Typed after the conflict"


def test_an_upload_over_the_limit_gets_a_message(page: Any, app_server: AppServer,
                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    big = tmp_path / "big.coachkit.json"
    with big.open("wb") as f:
        f.truncate(60_000_000)
    open_app(page, app_server.link())
    page.locator(".ck-picker").wait_for()
    answered(page)
    with page.expect_file_chooser() as chooser:
        page.locator(".ck-upload").click()
    chooser.value.set_files(str(big))
    refused = page.locator(".ck-upload-refused")
    expect(refused).to_have_text(too_large("big.coachkit.json", 60_000_000))
    shot(page, "24-upload-too-large")
    # the page keeps working: the connection stays, the kernel answers
    beats = int(page.locator(".ck-heartbeat").text_content())
    page.wait_for_function(f"document.querySelector('.ck-heartbeat').textContent > {beats}",
                           timeout=TIMEOUT)
    page.locator(".ck-search input").fill("Fjordbank")
    expect(page.locator(".ck-deal-list option")).to_have_count(1)
    expect(page.locator(LOST)).to_be_hidden()


def test_leaving_with_unsaved_changes_asks_first(page: Any, app_server: AppServer) -> None:
    """While the status says "Unsaved changes", leaving asks; staying keeps the kernel (Voila's
    own listener would have ended it), and the edit is then saved."""
    open_app(page, app_server.link("deal_id=northwind-plant-maintenance"))
    page.locator(".ck-steps").wait_for()
    tab(page, "Problem")
    answered(page)
    pid = kernel_pid(app_server, kernel_of(page))
    # keep typing (an input event every 200 ms), so the edit stays unsaved for a while
    page.evaluate("""() => {
        const box = document.querySelector('.ck-field-problem-why-now textarea');
        window.typing = setInterval(() => {
            box.value += '.';
            box.dispatchEvent(new Event('input', {bubbles: true}));
        }, 200);
    }""")
    status(page, "Unsaved changes")
    with page.expect_event("dialog", timeout=10_000) as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"  # dismissed by the fixture: the seller stays
    assert not page.is_closed()
    page.evaluate("clearInterval(window.typing)")
    status(page, "Saved at")
    assert alive(pid)
    answered(page)
