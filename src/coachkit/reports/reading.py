"""From a report notebook's parameters to the versions it shows, with one-line errors.

Notebook parameters are plain strings (papermill injects them; a manager may retype them in
JupyterLab): ``store`` is a path or a database URL, ``as_of`` and ``since`` are ISO dates or
timestamps, or empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coachkit.clock import When, coaching_day, day_of, end_of, parse_when
from coachkit.errors import CoachkitError, InvalidWorkbook, NotFound
from coachkit.model import Deal
from coachkit.model.review import Review
from coachkit.store import Store, VersionInfo


class ReportError(CoachkitError):
    """A report cannot be made; the message names the deal and says why, on one line."""


@dataclass(frozen=True)
class Dates:
    """A report's two dates: which versions it shows (``as_of``; None: the latest) and the
    day it coaches on (``today``: the as-of day unless told otherwise)."""

    as_of: When | None
    today: dt.date

    @classmethod
    def of(cls, as_of: str = "", today: str = "") -> Dates:
        """From notebook parameters (``""``: not given)."""
        when = parse_when(as_of, "as_of")
        day = parse_when(today, "today")
        return cls(when, coaching_day(when, day_of(day) if day is not None else None))

    def shown(self) -> str:
        """"as of 2026-11-23" or "on 2026-11-23", for a report's kicker line."""
        if self.as_of is None:
            return f"on {self.today.isoformat()}"
        from coachkit.reports.markup import day

        return f"as of {day(self.as_of)}"


def default_since(as_of: When | None, today: dt.date, days: int) -> When:
    """``days`` before the report's day (settings: ``reports.since_days``)."""
    return (as_of or today) - dt.timedelta(days=days)


def read_deal(found: VersionInfo) -> Deal:
    """The deal of a stored version; a document that no longer validates is a ReportError."""
    try:
        return found.deal
    except InvalidWorkbook as exc:
        raise ReportError(str(exc)) from None


@dataclass(frozen=True)
class Baseline:
    """The version a report compares with for 'what changed since', and why that one."""

    version: VersionInfo | None
    deal: Deal | None
    since: When
    created_after: bool
    """True when the deal did not exist yet at ``since``: the first version stands in."""
    problem: str = ""
    """Why no comparison is possible (an unreadable old version), else empty."""
    review: Review | None = None
    """The review whose version this is: "what changed since the last review"."""


def find_version(store: Store, deal_id: str, as_of: When | None) -> VersionInfo:
    """The version a report shows: the latest, or the latest saved by ``as_of``."""
    if not deal_id:
        raise ReportError("no deal given (the notebook's 'deal_id' parameter is empty)")
    try:
        return store.get(deal_id, as_of=as_of)
    except NotFound as exc:
        raise ReportError(str(exc)) from None


def reviews_by(store: Store, deal_id: str, as_of: When | None) -> tuple[Review, ...]:
    """The deal's reviews recorded by ``as_of`` (all when None), oldest first."""
    return tuple(r for r in store.reviews(deal_id) if as_of is None or r.at <= end_of(as_of))


def review_baseline(store: Store, current: VersionInfo, review: Review) -> Baseline:
    """The version the last review looked at (never newer than ``current``)."""
    base = store.get(current.deal_id, version=min(review.version, current.version))
    try:
        deal = read_deal(base)
    except ReportError as exc:
        return Baseline(base, None, review.at, False, str(exc), review)
    return Baseline(base, deal, review.at, False, review=review)


def find_baseline(
    store: Store, current: VersionInfo, since: When,
) -> Baseline:
    """The version that was latest at ``since`` (never newer than ``current``); the first
    version when the deal is younger than that."""
    created_after = False
    try:
        base = store.get(current.deal_id, as_of=since)
    except NotFound:
        base = store.history(current.deal_id)[0]
        created_after = True
    if base.version > current.version:
        base = current
    try:
        deal = read_deal(base)
    except ReportError as exc:
        return Baseline(base, None, since, created_after, str(exc))
    return Baseline(base, deal, since, created_after)
