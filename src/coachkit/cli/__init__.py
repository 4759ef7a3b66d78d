"""The ``coachkit`` command: one module per family of subcommands, each holding its parsers
and their handlers side by side.

Startup must stay fast (``coachkit --help`` is typed often): these modules import only the
standard library at the top; each handler imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import NoReturn

from coachkit.cli import app, coach, crm, deals, digest, files, hub, report, reviews, training
from coachkit.cli.common import err, parents
from coachkit.errors import shown

FAMILIES = (files, crm, deals, coach, reviews, report, digest, app, hub, training)
"""Where the subcommands come from, in the order ``--help`` lists them."""


class Parser(argparse.ArgumentParser):
    """argparse with its mistakes on one line, like every other error of coachkit's: the
    usage it would print first is what ``--help`` is for."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="coachkit",
        description="Think through one deal's change story from the customer's side.",
        epilog="Every subcommand has --help. The store is $COACHKIT_STORE or a SQLite file "
        "in your data folder; --store PATH_OR_URL picks another. Days are UTC days.",
    )
    parser.add_argument("--version", action="version", version=f"coachkit {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    shared = parents()
    for family in FAMILIES:
        family.register(sub, shared)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coachkit")
    except PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; a user's mistake is one line on stderr and a non-zero exit."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    from pydantic import ValidationError

    from coachkit.errors import CoachkitError

    try:
        return int(args.run(args))
    except CoachkitError as exc:
        err(shown(str(exc)))
        return 1
    except ValidationError as exc:  # a value typed on the command line that a deal refuses
        from coachkit.model.messages import describe_validation_error

        err(shown(describe_validation_error(exc)))
        return 1
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("COACHKIT_DEBUG"):
            raise
        err(shown(f"internal error: {type(exc).__name__}: {exc}")[:300]
            + " (set COACHKIT_DEBUG=1 for the traceback)")
        return 3
