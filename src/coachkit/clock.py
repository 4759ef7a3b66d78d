"""The one clock: what day it is, what time it is, and the dates people type.

coachkit's clock is UTC. "Today" is the current UTC date (or ``$COACHKIT_TODAY``, which pins
it for a training replay or a test); times are stored and shown in UTC; a day typed as
``YYYY-MM-DD`` (``--as-of``, ``--since``) means that UTC day, up to its end. One zone for
everyone: a seller's laptop, the team server and a report cluster in another country all
agree on which version was the latest "on 2026-11-23".

Two questions are kept apart: *which version* of a deal (``--as-of``: saved by when) and
*which day to coach on* (``--today``: what "overdue" and "days since" are measured from;
by default the as-of day when there is one, else today).
"""

from __future__ import annotations

import datetime as dt
import os

from coachkit.errors import CoachkitError

ENV_VAR = "COACHKIT_TODAY"

When = dt.date | dt.datetime
"""A day (up to its end) or a moment."""


def today() -> dt.date:
    """The UTC date, unless ``$COACHKIT_TODAY`` pins it."""
    pinned = os.environ.get(ENV_VAR, "").strip()
    if pinned:
        return parse_day(pinned, ENV_VAR)
    return dt.datetime.now(dt.UTC).date()


def now() -> dt.datetime:
    """This moment as naive UTC: what every SQL engine stores the same way."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def parse_day(text: str, what: str = "date") -> dt.date:
    """``YYYY-MM-DD`` -> a date, or one line saying what to type."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CoachkitError(f"{what}: not a date: {text.strip()[:40]!r} (use YYYY-MM-DD)") \
            from None


def parse_when(text: str | When | None, what: str = "date") -> When | None:
    """``""`` -> None; ``YYYY-MM-DD`` -> that day; an ISO timestamp -> that moment (naive
    UTC; one without a zone is taken as UTC)."""
    if text is None or isinstance(text, dt.date):
        return normalise(text) if isinstance(text, dt.datetime) else text
    text = text.strip()
    if not text:
        return None
    if len(text) == 10:
        return parse_day(text, what)
    try:
        return normalise(dt.datetime.fromisoformat(text))
    except ValueError:
        raise CoachkitError(f"{what}: not a date: {text[:40]!r} (use YYYY-MM-DD or an ISO "
                            "timestamp)") from None


def normalise(moment: dt.datetime) -> dt.datetime:
    """An aware moment as naive UTC; a naive one is already UTC."""
    if moment.tzinfo is not None:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def end_of(when: When) -> dt.datetime:
    """``as of 2026-11-23`` means everything saved on that UTC day counts."""
    if isinstance(when, dt.datetime):
        return normalise(when)
    return dt.datetime.combine(when, dt.time.max)


def day_of(when: When) -> dt.date:
    """The UTC day of a moment (a day is its own day)."""
    return normalise(when).date() if isinstance(when, dt.datetime) else when


def coaching_day(as_of: When | None, today_: dt.date | None = None) -> dt.date:
    """The day to coach on: ``today_`` if given, else the as-of day, else today."""
    if today_ is not None:
        return today_
    return day_of(as_of) if as_of is not None else today()


def iso(when: When | None) -> str:
    """A day or moment as text for a notebook parameter or a file ("" for none)."""
    return "" if when is None else when.isoformat()
