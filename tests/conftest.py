"""What every area of the suite needs: the pinned day and an isolated environment for each
test, a fresh store, the CLI, and the ONE real Voila server, browser and PostgreSQL server
that the tests of every area share (session-scoped: starting them is what costs).

An area's own fixtures live in its folder's conftest.py; helpers live in ``support/``."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coachkit.coaching.coach import Coach
from coachkit.model import Deal
from coachkit.store import Store
from coachkit.training.demo import demo_deals
from support.helpers import TODAY, demo_store, run_cli
from support.servers import CHROMIUM_ARGS, AppServer, app_command, app_env, chromium_path

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


@pytest.fixture(scope="module")
def coach() -> Coach:
    """The coach with the shipped settings and rules (coaching and training tests)."""
    return Coach()


@pytest.fixture
def cli():
    """Run ``coachkit ARGS`` in this process; returns exit code, stdout and stderr
    (``$COACHKIT_SETTINGS`` as the test set it)."""
    return functools.partial(run_cli, keep_settings=True)


# -- a real Voila server and a real browser, shared by the tests that need them -------------


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


@pytest.fixture
def page(browser: Any, app_server: AppServer) -> Iterator[Any]:
    """A page in a fresh browser context (no cookie yet: open ``app_server.link(...)``),
    recording its dialogs and requests."""
    from support.pages import new_context, watch

    context = new_context(browser)
    yield watch(context.new_page())
    context.close()


# -- a real PostgreSQL server, for the tests that need one ---------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """Debian's PostgreSQL on 127.0.0.1. Skips locally without it; fails in CI
    (``COACHKIT_REQUIRE_POSTGRES=1``)."""
    from support.postgres import find_bin, running_postgres

    if find_bin() is None:
        if os.environ.get("COACHKIT_REQUIRE_POSTGRES"):
            pytest.fail("no PostgreSQL found, and COACHKIT_REQUIRE_POSTGRES is set")
        pytest.skip("no PostgreSQL on this machine (apt-get install postgresql)")
    with running_postgres() as server:
        yield server
