"""What every command shares: the store and author options, date arguments, JSON output.

Imports only the standard library at the top: ``coachkit --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coachkit.author import default_author

if TYPE_CHECKING:
    from coachkit.clock import When
    from coachkit.store import Store

@dataclass(frozen=True)
class Parents:
    """Option groups that several commands take (argparse ``parents=``)."""

    store: argparse.ArgumentParser
    """``--store PATH_OR_URL``."""
    writer: argparse.ArgumentParser
    """``--store`` and ``--author``: commands that save versions."""
    coaching: argparse.ArgumentParser
    """``--store`` and ``--settings``: commands that coach."""


def parents() -> Parents:
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", metavar="PATH_OR_URL", default=None,
                       help="SQLite file or database URL (default: $COACHKIT_STORE, "
                            "else coachkit.db in your data folder)")
    writer = argparse.ArgumentParser(add_help=False, parents=[store])
    writer.add_argument("--author", default=default_author(),
                        help="who the saved versions are recorded as (default: $COACHKIT_AUTHOR "
                             "or $USER)")
    coaching = argparse.ArgumentParser(add_help=False, parents=[store])
    coaching.add_argument("--settings", metavar="FILE",
                          help="a team settings file (default: $COACHKIT_SETTINGS, else the "
                               "defaults)")
    return Parents(store, writer, coaching)


def when_arg(text: str) -> When:
    """``--as-of``/``--since``: ``YYYY-MM-DD`` (up to the end of that UTC day) or an ISO
    timestamp."""
    from coachkit.clock import parse_when
    from coachkit.errors import CoachkitError

    try:
        found = parse_when(text)
    except CoachkitError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("date: ")) from None
    if found is None:
        raise argparse.ArgumentTypeError("empty date (use YYYY-MM-DD)")
    return found


def day_arg(text: str) -> dt.date:
    """``--today``: a ``YYYY-MM-DD`` day."""
    from coachkit.clock import parse_day
    from coachkit.errors import CoachkitError

    try:
        return parse_day(text)
    except CoachkitError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("date: ")) from None


def add_dates(parser: argparse.ArgumentParser, *, as_of: str, today: bool = True) -> None:
    """``--as-of`` (which version) and, for commands that coach, ``--today`` (which day)."""
    parser.add_argument("--as-of", type=when_arg, metavar="DATE", help=as_of)
    if today:
        parser.add_argument("--today", type=day_arg, metavar="DATE",
                            help="coach as on DATE: what 'overdue' and 'days since' count "
                                 "from (default: the --as-of day, else today, UTC)")


def open_store(args: argparse.Namespace) -> Store:
    """The store ``--store`` names (else ``$COACHKIT_STORE`` or the default), imported late:
    SQLAlchemy is not loaded for ``--help``."""
    from coachkit.store import Store

    return Store(args.store)


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def err(line: str) -> None:
    """One line on stderr, prefixed like every coachkit message."""
    print(f"coachkit: {line}", file=sys.stderr)

