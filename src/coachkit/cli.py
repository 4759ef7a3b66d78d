"""The ``coachkit`` command.

Startup must stay fast (``coachkit --help`` is typed often): this module imports only the
standard library at the top; each subcommand imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coachkit.store import Store

Handler = Callable[[argparse.Namespace], int]
_HANDLERS: dict[str, Handler] = {}


def _handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return register


def _as_of(text: str) -> dt.date | dt.datetime:
    """``YYYY-MM-DD`` (end of that day, UTC) or a full ISO timestamp."""
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _author() -> str:
    return os.environ.get("COACHKIT_AUTHOR") or os.environ.get("USER") or "coachkit"


def _open_store(args: argparse.Namespace) -> Store:
    from coachkit.store import Store

    return Store(args.store)


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


# -- subcommands -------------------------------------------------------------------------------


@_handler("schema")
def _schema(args: argparse.Namespace) -> int:
    from coachkit.model import json_schema

    _print_json(json_schema())
    return 0


@_handler("validate")
def _validate(args: argparse.Namespace) -> int:
    from coachkit.errors import InvalidWorkbook
    from coachkit.files import read_workbook

    bad = 0
    for path in args.files:
        try:
            deal = read_workbook(path)
        except InvalidWorkbook as exc:
            print(f"coachkit: {exc}", file=sys.stderr)
            bad += 1
        else:
            print(f"{path}: ok (deal {deal.id})")
    return 1 if bad else 0


@_handler("import")
def _import(args: argparse.Namespace) -> int:
    from coachkit.errors import InvalidWorkbook
    from coachkit.files import read_workbook

    deals, errors = [], []
    for path in args.files:
        try:
            deals.append(read_workbook(path))
        except InvalidWorkbook as exc:
            errors.append(str(exc))
    if errors:
        for line in errors:
            print(f"coachkit: {line}", file=sys.stderr)
        print("coachkit: nothing imported", file=sys.stderr)
        return 1
    with _open_store(args) as store:
        for deal in deals:
            version, changed = store.put(deal, author=args.author)
            note = "" if changed else " (unchanged)"
            print(f"{deal.id}\tversion {version}{note}" if args.verbose else deal.id)
    return 0


@_handler("export")
def _export(args: argparse.Namespace) -> int:
    from coachkit.files import dumps, write_workbook

    with _open_store(args) as store:
        deal = store.get(args.id, as_of=args.as_of).deal
    if args.output:
        write_workbook(deal, args.output)
        print(args.output)
    else:
        sys.stdout.write(dumps(deal))
    return 0


@_handler("list")
def _list(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        deals = store.list_deals(team=args.team, cohort=args.cohort)
    if args.json:
        _print_json([d.to_json_dict() for d in deals])
        return 0
    if not deals:
        print("no deals" + (" (coachkit demo loads the demo deals)" if not
                            (args.team or args.cohort) else ""))
        return 0
    from coachkit.textview import deal_table

    print(deal_table(deals))
    return 0


@_handler("show")
def _show(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        found = store.get(args.id, as_of=args.as_of)
    if args.json:
        _print_json(found.deal.to_json_dict())
        return 0
    from coachkit.textview import deal_text

    print(deal_text(found))
    return 0


@_handler("history")
def _history(args: argparse.Namespace) -> int:
    from coachkit.textview import history_text

    with _open_store(args) as store:
        versions = store.history(args.id)
        conflicts = store.conflicts(args.id)
    print(history_text(versions, conflicts))
    return 0


@_handler("conflicts")
def _conflicts(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        found = store.conflicts(args.id)
    if not found:
        print("no conflicts")
    for c in found:
        state = f"restored as version {c.restored_as}" if c.restored_as else "not restored"
        print(f"{c.id}\t{c.deal_id}\t{c.saved_at:%Y-%m-%d %H:%M} UTC\t{c.author}\t"
              f"edited from version {c.base_version}, latest was {c.latest_version}\t{state}")
    return 0


@_handler("restore")
def _restore(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        conflict = store.conflict(args.conflict_id)
        version = store.restore(args.conflict_id, author=args.author)
    print(f"{conflict.deal_id}\tversion {version}")
    return 0


@_handler("new")
def _new(args: argparse.Namespace) -> int:
    from coachkit.ids import new_deal_id
    from coachkit.model import empty_deal

    with _open_store(args) as store:
        deal_id = new_deal_id(args.customer, exists=store.exists)
        deal = empty_deal(deal_id, customer=args.customer, title=args.title,
                          seller=args.seller or "", team=args.team or "")
        store.save(deal, base_version=None, author=args.author)
    print(deal_id)
    return 0


@_handler("demo")
def _demo(args: argparse.Namespace) -> int:
    from coachkit.demo import demo_deals

    with _open_store(args) as store:
        for deal in demo_deals():
            version, changed = store.put(deal, author="coachkit demo")
            print(f"{deal.id}\tversion {version}{'' if changed else ' (unchanged)'}")
    print(f"store: {store.location}", file=sys.stderr)
    return 0


@_handler("coach")
def _coach(args: argparse.Namespace) -> int:
    from pathlib import Path

    from coachkit.coach import Coach
    from coachkit.settings import load_settings
    from coachkit.textview import coaching_text

    coach = Coach(load_settings(args.settings))  # bad settings fail before any work
    target = Path(args.deal)
    if target.suffix == ".json" or target.exists():
        from coachkit.files import read_workbook

        deal = read_workbook(target)
    else:
        with _open_store(args) as store:
            deal = store.get(args.deal, as_of=args.as_of).deal
    today = args.as_of or dt.date.today()
    result = coach.run(deal, today if not isinstance(today, dt.datetime) else today.date())
    if args.json:
        _print_json(result.to_json_dict())
    else:
        print(coaching_text(deal, result))
    return 0


@_handler("scenarios")
def _scenarios(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    from coachkit.scenarios import load_scenario, scenario_ids

    for scenario_id in scenario_ids():
        scenario = load_scenario(scenario_id)
        scenario.reference()  # a broken reference answer fails here, not in a workshop
        scenario.start("check")
        query = f"scenario={scenario_id}" + (
            f"&cohort={quote(args.cohort, safe='')}" if args.cohort else "")
        print(f"{scenario_id}\t{scenario.title}\t"
              f"urlpath=voila/render/workbooks/coachkit.ipynb{quote('?' + query, safe='')}")
    return 0


@_handler("report")
def _report(args: argparse.Namespace) -> int:
    from coachkit.report_cli import run_report

    return run_report(args)


@_handler("app")
def _app(args: argparse.Namespace) -> int:
    from coachkit.server import run_app

    return run_app(args)


@_handler("collect")
def _collect(args: argparse.Namespace) -> int:
    from coachkit.collect import run_collect

    return run_collect(args)


# -- the parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coachkit",
        description="Think through one deal's change story from the customer's side.",
        epilog="Every subcommand has --help. The store is $COACHKIT_STORE or a SQLite file "
        "in your data folder; --store PATH_OR_URL picks another.",
    )
    parser.add_argument("--version", action="version", version=f"coachkit {_version()}")
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", metavar="PATH_OR_URL", default=None,
                       help="SQLite file or database URL (default: $COACHKIT_STORE, "
                            "else coachkit.db in your data folder)")
    writer = argparse.ArgumentParser(add_help=False, parents=[store])
    writer.add_argument("--author", default=_author(),
                        help="who the saved versions are recorded as (default: $COACHKIT_AUTHOR "
                             "or $USER)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("schema", help="print the JSON Schema of a workbook file",
                   description="Print the JSON Schema of the workbook file format.")

    p = sub.add_parser("validate", help="check workbook files without importing them",
                       description="Check workbook files; one line per file.")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = sub.add_parser("import", parents=[writer], help="import workbook files into the store",
                       description="Import workbook files (all or nothing); prints the deal ids. "
                       "Importing a file whose content is already the latest version adds nothing.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-v", "--verbose", action="store_true", help="also print the version saved")

    p = sub.add_parser("export", parents=[store], help="write a deal as a workbook file",
                       description="Write a deal as a workbook file (lossless: importing it "
                       "gives the same deal).")
    p.add_argument("id", metavar="ID")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    p.add_argument("--as-of", type=_as_of, metavar="DATE", help="the version saved by DATE")

    p = sub.add_parser("list", parents=[store], help="list the deals in the store",
                       description="List the deals in the store, most recently changed first.")
    p.add_argument("--team", metavar="T")
    p.add_argument("--cohort", metavar="C")
    p.add_argument("--json", action="store_true", help="one JSON array, an object per deal")

    p = sub.add_parser("show", parents=[store], help="show a deal",
                       description="Show a deal's change story.")
    p.add_argument("id", metavar="ID")
    p.add_argument("--as-of", type=_as_of, metavar="DATE", help="as it was saved by DATE")
    p.add_argument("--json", action="store_true", help="print the workbook document")

    p = sub.add_parser("history", parents=[store], help="list a deal's versions",
                       description="List every saved version of a deal and what it changed.")
    p.add_argument("id", metavar="ID")

    p = sub.add_parser("conflicts", parents=[store], help="list refused edits that were kept",
                       description="List edits refused because someone saved in between.")
    p.add_argument("id", metavar="ID", nargs="?")

    p = sub.add_parser("restore", parents=[writer], help="make a kept conflict the latest version",
                       description="Save a kept conflict as the deal's latest version.")
    p.add_argument("conflict_id", type=int, metavar="CONFLICT_ID")

    p = sub.add_parser("new", parents=[writer], help="start a new deal",
                       description="Start a new deal; prints its id.")
    p.add_argument("--customer", required=True, metavar="C")
    p.add_argument("--title", required=True, metavar="T")
    p.add_argument("--seller", metavar="S")
    p.add_argument("--team", metavar="T")

    p = sub.add_parser("coach", parents=[store], help="coach a deal: findings, scores, questions",
                       description="Coach a deal (a workbook file or a deal id in the store): "
                       "findings by severity with the question to ask, the scores with their "
                       "parts, and the questions for the next call. Findings are not errors: "
                       "the exit code is 0 unless the input is bad.")
    p.add_argument("deal", metavar="FILE_OR_ID")
    p.add_argument("--as-of", type=_as_of, metavar="DATE",
                   help="coach as of DATE: the version saved by then, and DATE as today")
    p.add_argument("--json", action="store_true",
                   help='one JSON object: {"deal", "scores", "findings", "questions"}')
    p.add_argument("--settings", metavar="FILE",
                   help="a team settings file (default: $COACHKIT_SETTINGS, else the defaults)")

    p = sub.add_parser("report", parents=[store], help="render deal, team and cohort reports",
                       description="Render reports with papermill and nbconvert as "
                       "self-contained HTML (and PDF): one deal, a team, every deal, or a "
                       "training cohort. "
                       "Batch work runs in parallel; one failing deal never "
                       "stops the others (their failures are listed and the exit code is 1).")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("deal", metavar="DEAL_ID", nargs="?", help="one deal's report")
    which.add_argument("--team", metavar="T", help="every deal of team T, plus a team report")
    which.add_argument("--all", action="store_true", help="every deal, plus a team report")
    which.add_argument("--cohort", metavar="NAME", help="a training cohort's report")
    p.add_argument("--out", metavar="DIR", default="reports", help="folder to write (default: "
                   "./reports)")
    p.add_argument("--format", choices=("html", "pdf", "both"), default="html")
    p.add_argument("--since", type=_as_of, metavar="DATE",
                   help="'what changed since' this date (default: the version before the "
                   "latest review, else 14 days ago)")
    p.add_argument("--as-of", type=_as_of, metavar="DATE", help="as the deals were on DATE")
    p.add_argument("--keep-notebook", action="store_true",
                   help="also keep the executed notebook next to the HTML")
    p.add_argument("--workers", type=int, metavar="N", default=None,
                   help="parallel worker processes for batches (default: CPU count)")
    p.add_argument("--settings", metavar="FILE", help="a team settings file for coaching")

    p = sub.add_parser("app", parents=[store], help="start the seller's workbook app (Voila)",
                       description="Start the workbook app in Voila on 127.0.0.1 and print its "
                       "URL.")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--pool-size", type=int, default=1, metavar="N",
                   help="kernels kept preheated for the next page (default 1; 0 turns it off)")

    p = sub.add_parser("collect", parents=[writer], help="collect participants' workbooks",
                       description="Import a folder or zip of workbook files into the store "
                       "under a cohort. Refused files are reported with the reason; running "
                       "it twice changes nothing.")
    p.add_argument("path", metavar="PATH", help="a folder or a .zip of workbook files")
    p.add_argument("--cohort", required=True, metavar="NAME")
    p.add_argument("--scenario", metavar="S", help="leave out workbooks of other scenarios")

    p = sub.add_parser("scenarios", help="list the training scenarios and their Binder links",
                       description="List the training scenarios (checking each one loads) "
                       "with the Binder urlpath that opens the app on it.")
    p.add_argument("--cohort", metavar="NAME", default="",
                   help="put the cohort in the links, so collected workbooks carry it")

    sub.add_parser("demo", parents=[store], help="load the demo deals into the store",
                   description="Load the demo deals into the store (dates moved to today).")
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
    from coachkit.errors import CoachkitError

    try:
        return _HANDLERS[args.command](args)
    except CoachkitError as exc:
        print(f"coachkit: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("coachkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("COACHKIT_DEBUG"):
            raise
        print(f"coachkit: internal error: {type(exc).__name__}: {exc} "
              "(set COACHKIT_DEBUG=1 for the traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
