"""Shared fixtures: a fresh store per test, and the demo deals."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coachkit.model import Deal
from coachkit.store import Store
from coachkit.training.demo import ANCHOR, demo_deals

TODAY = ANCHOR
"""Tests coach as on the day the demo deals were written for, pinned through the one clock
(``$COACHKIT_TODAY``), so they never age. Saved versions keep the real time: a test that
mixes the pinned day with the real time fails when CI runs it a year ahead."""

os.environ["COACHKIT_TODAY"] = TODAY.isoformat()  # session fixtures and subprocesses too


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def store(store_path: Path):
    with Store(str(store_path)) as s:
        yield s


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may touch the user's real store; every test coaches as on TODAY."""
    monkeypatch.setenv("COACHKIT_STORE", str(tmp_path / "env-store.db"))
    monkeypatch.setenv("COACHKIT_TODAY", TODAY.isoformat())
    monkeypatch.delenv("COACHKIT_SETTINGS", raising=False)


@pytest.fixture
def demo() -> dict[str, Deal]:
    return {d.id: d for d in demo_deals(TODAY)}


def run_async(coroutine: Any) -> Any:
    """Run a coroutine on a new event loop in its own thread: Playwright's sync API keeps a
    loop running in the main thread for the whole session, where asyncio.run() refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``coachkit ARGS`` in this process; returns exit code, stdout and stderr."""
    from coachkit.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


# -- a real Voila server and a real browser, shared by the tests that need them -------------


ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def wait_for_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer in {timeout:.0f} s")
        time.sleep(0.25)


class Server:
    """A process group serving HTTP on 127.0.0.1 (Voila and its kernels)."""

    def __init__(self, command: list[str], url: str, env: dict[str, str], cwd: str | None = None,
                 log: Path | None = None):
        self.url = url
        self.log = log
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=45)  # coachkit app gives Voila 20 s, then ends what is left
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log else ""


class AppServer(Server):
    """``coachkit app`` as a user runs it: its URL, token included, is read from what it
    prints."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path,
                 cwd: str | None = None):
        super().__init__(command, "", env, cwd=cwd, log=log)
        deadline = time.monotonic() + 60
        while not (found := re.search(
                r"coachkit app: (http://127\.0\.0\.1:(\d+)/(?:([\w-]+)/)?)\?token=(\S+)",
                self.log_text())):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"coachkit app printed no URL:\n{self.log_text()}")
            time.sleep(0.1)
        self.url, self.port, self.prefix, self.token = (found[1], int(found[2]),
                                                        found[3] or "", found[4])
        self.root = f"http://127.0.0.1:{self.port}/"  # what other servers on the host share
        wait_for_http(self.url + "voila/static/voila.js")  # static: no page, no kernel

    def link(self, query: str = "") -> str:
        """The app's URL with the token, as printed (the first visit trades it for a cookie)."""
        return f"{self.url}?{query + '&' if query else ''}token={self.token}"

    def kernel_pids(self) -> set[int]:
        return {pid for pid in descendants(self.proc.pid) if "ipykernel" in cmdline(pid)}

    def pages_taken(self) -> int:
        """Preheated kernels Voila has handed to pages, from its log."""
        return self.log_text().count("Using pre-heated kernel")


def app_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "coachkit.cli", "app", "--no-browser", "--port", "0", *args]


def app_env() -> dict[str, str]:
    env = {**os.environ, "COACHKIT_TODAY": TODAY.isoformat(), "COACHKIT_AUTHOR": "browser"}
    env.pop("COACHKIT_STORE", None)
    return env


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class AppClient:
    """A signed-in HTTP client of an :class:`AppServer`: cookies kept, as a browser does."""

    def __init__(self, server: AppServer):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies)
        # Signing in: the token URL answers with the login cookie and a redirect to the page;
        # that redirect is not followed here (the page would take a kernel).
        try:
            urllib.request.build_opener(cookies, _NoRedirect).open(server.link(), timeout=60)
        except urllib.error.HTTPError as exc:
            self.signed_in = (exc.code, exc.headers["Location"])
        else:
            raise AssertionError("the token URL did not redirect")
        self.taken: list[str] = []

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name and c.value is not None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def page(self, query: str = "") -> tuple[str, str]:
        """A page (it takes a kernel): its HTML and kernel id."""
        url = self.server.url + (f"?{query}" if query else "")
        with self.opener.open(url, timeout=120) as response:
            html = response.read().decode("utf-8")
        self.taken.append(kernel_id(html))
        return html, self.taken[-1]

    def close_pages(self) -> None:
        """End the kernels of the pages taken, as their tabs' beacons would."""
        for kernel in self.taken:
            with contextlib.suppress(urllib.error.HTTPError):  # ended by the test already
                self.shutdown(kernel)

    def shutdown(self, kernel: str) -> int:
        """What the page's tab-close beacon sends."""
        xsrf = self.cookie("_xsrf")
        request = urllib.request.Request(
            f"{self.server.url}voila/api/shutdown/{kernel}", method="POST",
            data=urllib.parse.urlencode({"_xsrf": xsrf}).encode())
        with self.opener.open(request, timeout=30) as response:
            return response.status


def kernel_id(html: str) -> str:
    found = re.search(r'kernelId"?\s*:\s*"([0-9a-f-]{36})"', html)
    assert found, "the page has no kernel"
    return found[1]


def descendants(root: int) -> set[int]:
    """Live processes below ``root``, from /proc (the tests' own walk, not coachkit's)."""
    parents = {}
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError, ValueError):
            state, ppid = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[:2]
            if state != "Z":
                parents[int(entry)] = int(ppid)
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition: Any, timeout: float, what: str, every: float = 0.25) -> float:
    """Poll ``condition`` until true; returns the seconds it took, fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - start


def demo_store(folder: Path, name: str = "coachkit.db") -> str:
    """A SQLite store in ``folder`` holding the demo deals as of the pinned day."""
    location = str(folder / name)
    with Store(location) as s:
        for deal in demo_deals(TODAY):
            s.put(deal, author="demo")
    return location


@pytest.fixture(scope="session")
def app_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_store(tmp_path_factory.mktemp("app-store"))


@pytest.fixture(scope="session")
def app_server(app_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """``coachkit app`` as a user starts it, on a free port, with the demo deals."""
    log = tmp_path_factory.mktemp("voila-log") / "voila.log"
    server = AppServer(app_command("--store", app_store), app_env(), log)
    try:
        yield server
    finally:
        server.stop()


def chromium_path() -> str | None:
    for candidate in (os.environ.get("COACHKIT_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright. Skips locally without it; fails in CI
    (``COACHKIT_REQUIRE_BROWSER=1``)."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("COACHKIT_REQUIRE_BROWSER"):
            pytest.fail("no Chromium found, and COACHKIT_REQUIRE_BROWSER is set")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# -- a real PostgreSQL server, for the tests that need one ---------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """Debian's PostgreSQL on 127.0.0.1. Skips locally without it; fails in CI
    (``COACHKIT_REQUIRE_POSTGRES=1``)."""
    from postgres import find_bin, running_postgres

    if find_bin() is None:
        if os.environ.get("COACHKIT_REQUIRE_POSTGRES"):
            pytest.fail("no PostgreSQL found, and COACHKIT_REQUIRE_POSTGRES is set")
        pytest.skip("no PostgreSQL on this machine (apt-get install postgresql)")
    with running_postgres() as server:
        yield server


@pytest.fixture
def page(browser: Any, app_server: AppServer) -> Iterator[Any]:
    """A page in a fresh browser context (no cookie yet: open ``app_server.link(...)``),
    recording its dialogs and requests."""
    from pages import new_context, watch

    context = new_context(browser)
    yield watch(context.new_page())
    context.close()
