"""Small helpers used across areas: the pinned day, the repository's folders, demo stores,
and the ``coachkit`` command run in this process or in its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from coachkit.model import Deal
from coachkit.store import Store
from coachkit.training.demo import ANCHOR, demo_deals

TODAY = ANCHOR
"""Tests coach as on the day the demo deals were written for, pinned through the one clock
(``$COACHKIT_TODAY``, set by the root conftest.py), so they never age. Saved versions keep the
real time: a test that mixes the pinned day with the real time fails when CI runs it a year
ahead."""

REPO = Path(__file__).resolve().parents[2]
"""The repository's top folder (templates/, README.md, src/...)."""

TEST_DATA = REPO / "tests" / "data"
"""Labelled and sample files the tests (and bench/) read."""

ARTIFACTS = REPO / "test-artifacts"
"""Screenshots and logs a person may look at after a run."""


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def in_team(deal: Deal, team: str) -> Deal:
    """``deal`` moved to ``team``."""
    doc = deal.to_json_dict()
    return Deal.model_validate({**doc, "deal": {**doc["deal"], "team": team}})


def demo_store(folder: Path, name: str = "coachkit.db") -> str:
    """A SQLite store in ``folder`` holding the demo deals as of the pinned day."""
    location = str(folder / name)
    with Store(location) as s:
        for deal in demo_deals(TODAY):
            s.put(deal, author="demo")
    return location


class CliResult(NamedTuple):
    """What ``coachkit ARGS`` did: exit code, stdout, stderr (also unpacks as a tuple)."""

    code: int
    out: str
    err: str


def run_cli(*args: str, keep_settings: bool = False) -> CliResult:
    """Run ``coachkit ARGS`` in this process (no fixture needed: session fixtures use it too).
    With the shipped settings, whatever ``$COACHKIT_SETTINGS`` says (session and module
    fixtures run before the per-test isolation), unless ``keep_settings``."""
    from coachkit.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out),
          contextlib.redirect_stderr(err)):
        if not keep_settings:
            mp.delenv("COACHKIT_SETTINGS", raising=False)
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


def coachkit(*args: str, env: dict[str, str] | None = None,
             timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process (``env`` added to this one's environment)."""
    return subprocess.run([sys.executable, "-m", "coachkit.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def run_async(coroutine: Any) -> Any:
    """Run a coroutine on a new event loop in its own thread: Playwright's sync API keeps a
    loop running in the main thread for the whole session, where asyncio.run() refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def wait_until(condition: Any, timeout: float, what: str, every: float = 0.25) -> float:
    """Poll ``condition`` until true; returns the seconds it took, fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - start
