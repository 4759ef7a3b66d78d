"""From a report notebook's parameters to the versions it shows, with one-line errors.

Notebook parameters are plain strings (papermill injects them; a manager may retype them in
JupyterLab): ``store`` is a path or a database URL, ``as_of`` and ``since`` are ISO dates or
timestamps, or empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import ValidationError

from coachkit.errors import CoachkitError, NotFound
from coachkit.model import Deal
from coachkit.store import Store, VersionInfo

DEFAULT_SINCE_DAYS = 14
"""'What changed since' looks this far back unless told otherwise."""


class ReportError(CoachkitError):
    """A report cannot be made; the message names the deal and says why, on one line."""


def parse_when(value: str | dt.date | None, name: str = "date") -> dt.date | dt.datetime | None:
    """``""`` -> None; ``YYYY-MM-DD`` -> a date (the end of that day counts); else a timestamp."""
    if value is None or isinstance(value, dt.date):
        return value
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ReportError(f"{name}: not a date: {value!r} (use YYYY-MM-DD)") from None


def as_text(value: dt.date | dt.datetime | None) -> str:
    """The inverse of :func:`parse_when`, for passing a date as a notebook parameter."""
    return "" if value is None else value.isoformat()


def day_of(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def default_since(as_of: dt.date | dt.datetime | None, today: dt.date) -> dt.date | dt.datetime:
    """14 days before the report's day. (There is no record of reviews yet; once there is,
    the default becomes the version before the latest review.)"""
    return (as_of or today) - dt.timedelta(days=DEFAULT_SINCE_DAYS)


def read_deal(found: VersionInfo) -> Deal:
    """The deal of a stored version; a document that no longer validates is a ReportError."""
    try:
        return found.deal
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ReportError(
            f"deal '{found.deal_id}' version {found.version}: the stored document is not a "
            f"valid deal ({where}: {first['msg']})"
        ) from None


@dataclass(frozen=True)
class Baseline:
    """The version a report compares with for 'what changed since', and why that one."""

    version: VersionInfo | None
    deal: Deal | None
    since: dt.date | dt.datetime
    created_after: bool
    """True when the deal did not exist yet at ``since``: the first version stands in."""
    problem: str = ""
    """Why no comparison is possible (an unreadable old version), else empty."""


def open_store(location: str) -> Store:
    """The store a notebook names; empty: ``$COACHKIT_STORE`` or the user's default store."""
    return Store(location or None)


def find_version(store: Store, deal_id: str, as_of: dt.date | dt.datetime | None) -> VersionInfo:
    """The version a report shows: the latest, or the latest saved by ``as_of``."""
    if not deal_id:
        raise ReportError("no deal given (the notebook's 'deal_id' parameter is empty)")
    try:
        return store.get(deal_id, as_of=as_of)
    except NotFound as exc:
        raise ReportError(str(exc)) from None


def find_baseline(
    store: Store, current: VersionInfo, since: dt.date | dt.datetime,
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
