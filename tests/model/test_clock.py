"""The one clock: today comes from one place, dates are UTC days, --as-of and --today differ."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from coachkit import clock
from coachkit.errors import CoachkitError
from support.helpers import REPO, TODAY


def test_today_is_pinned_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert clock.today() == TODAY  # conftest pins it for every test
    monkeypatch.setenv("COACHKIT_TODAY", "2031-02-03")
    assert clock.today() == dt.date(2031, 2, 3)
    monkeypatch.setenv("COACHKIT_TODAY", "tomorrow")
    with pytest.raises(CoachkitError, match=r"^COACHKIT_TODAY: not a date: 'tomorrow' \(use"):
        clock.today()


def test_unpinned_today_is_the_utc_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COACHKIT_TODAY")
    before = dt.datetime.now(dt.UTC).date()
    found = clock.today()
    after = dt.datetime.now(dt.UTC).date()
    assert found in (before, after)
    moment = clock.now()
    assert moment.tzinfo is None
    assert abs(moment - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(seconds=5)


def test_dates_people_type() -> None:
    assert clock.parse_when("") is None and clock.parse_when(None) is None
    assert clock.parse_when(" 2026-11-23 ") == dt.date(2026, 11, 23)
    assert clock.parse_when("2026-11-23T10:00:00") == dt.datetime(2026, 11, 23, 10)
    assert clock.parse_when("2026-11-23T10:00:00+01:00") == dt.datetime(2026, 11, 23, 9)
    for bad in ("23.11.2026", "2026-13-01", "soon"):
        with pytest.raises(CoachkitError, match="as_of: not a date"):
            clock.parse_when(bad, "as_of")
    assert clock.end_of(dt.date(2026, 11, 23)) == dt.datetime(2026, 11, 23, 23, 59, 59, 999999)
    assert clock.day_of(dt.datetime(2026, 11, 23, 23, 0, tzinfo=dt.timezone(
        dt.timedelta(hours=-3)))) == dt.date(2026, 11, 24)
    assert clock.coaching_day(None) == TODAY
    assert clock.coaching_day(dt.date(2026, 1, 2)) == dt.date(2026, 1, 2)
    assert clock.coaching_day(dt.date(2026, 1, 2), dt.date(2026, 3, 4)) == dt.date(2026, 3, 4)
    assert clock.iso(None) == "" and clock.iso(dt.date(2026, 1, 2)) == "2026-01-02"


def test_as_of_picks_the_version_today_picks_the_day(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    assert cli("demo", "--store", store).code == 0
    saved_on = clock.now().date().isoformat()  # versions carry the real time
    both = cli("coach", "--store", store, "fjordbank-onboarding", "--json",
               "--as-of", saved_on, "--today", "2027-03-01")
    assert both.code == 0, both.err
    assert json.loads(both.out)["today"] == "2027-03-01"
    as_of = cli("coach", "--store", store, "fjordbank-onboarding", "--json", "--as-of", saved_on)
    assert json.loads(as_of.out)["today"] == saved_on  # the as-of day, unless told
    before = cli("coach", "--store", store, "fjordbank-onboarding", "--as-of", "2001-01-01")
    assert before.code == 1
    assert before.err.strip() == ("coachkit: deal 'fjordbank-onboarding' did not exist yet on "
                                  "2001-01-01")
    bad = cli("coach", "--store", store, "fjordbank-onboarding", "--today", "31/12/2026")
    assert bad.code == 2 and "not a date: '31/12/2026' (use YYYY-MM-DD)" in bad.err


def test_nothing_reads_the_system_date_but_the_clock() -> None:
    src = REPO / "src" / "coachkit"
    offenders = []
    for path in src.rglob("*.py"):
        if path.name == "clock.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("date.today(", "datetime.now(", "datetime.utcnow(", "time.localtime("):
            if needle in text:
                offenders.append(f"{path.relative_to(src)}: {needle}")
    assert offenders == []
