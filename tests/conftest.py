"""Shared fixtures: a fresh store per test, and the demo deals."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
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
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture(scope="session")
def app_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    location = str(tmp_path_factory.mktemp("app-store") / "coachkit.db")
    with Store(location) as s:
        for deal in demo_deals(TODAY):
            s.put(deal, author="demo")
    return location


@pytest.fixture(scope="session")
def app_server(app_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``coachkit app`` as a user starts it, on a free port, with the demo deals."""
    from coachkit.app.server import free_port

    port = free_port()
    env = {**os.environ, "COACHKIT_TODAY": TODAY.isoformat(), "COACHKIT_AUTHOR": "browser"}
    env.pop("COACHKIT_STORE", None)
    log = tmp_path_factory.mktemp("voila-log") / "voila.log"
    server = Server([sys.executable, "-m", "coachkit.cli", "app", "--store", app_store,
                     "--port", str(port), "--no-browser"],
                    f"http://127.0.0.1:{port}/", env, log=log)
    try:
        wait_for_http(server.url)
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
