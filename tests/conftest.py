"""Shared fixtures: a fresh store per test, and the demo deals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coachkit.demo import ANCHOR, demo_deals
from coachkit.model import Deal
from coachkit.store import Store

TODAY = ANCHOR
"""Tests run as of the day the demo deals were written for, so they never age."""


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def store(store_path: Path):
    with Store(str(store_path)) as s:
        yield s


@pytest.fixture(autouse=True)
def _isolated_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may touch the user's real store."""
    monkeypatch.setenv("COACHKIT_STORE", str(tmp_path / "env-store.db"))
    monkeypatch.delenv("COACHKIT_SETTINGS", raising=False)


@pytest.fixture
def demo() -> dict[str, Deal]:
    return {d.id: d for d in demo_deals(TODAY)}


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
