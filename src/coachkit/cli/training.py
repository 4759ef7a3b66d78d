"""Workshops: ``scenarios`` and ``collect``."""

from __future__ import annotations

import argparse
import sys

from coachkit.cli.common import Parents, err


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("collect", parents=[parents.writer],
                       help="collect participants' workbooks",
                       description="Import a folder or zip of workbook files into the store "
                       "under a cohort. Refused files are reported with the reason; running "
                       "it twice changes nothing.")
    p.add_argument("path", metavar="PATH", help="a folder or a .zip of workbook files")
    p.add_argument("--cohort", required=True, metavar="NAME")
    p.add_argument("--scenario", metavar="S", help="leave out workbooks of other scenarios")
    p.set_defaults(run=collect)

    p = sub.add_parser("scenarios", help="list the training scenarios and their Binder links",
                       description="List the training scenarios (checking each one loads) "
                       "with the Binder urlpath that opens the app on it.")
    p.add_argument("--cohort", metavar="NAME", default="",
                   help="put the cohort in the links, so collected workbooks carry it")
    p.set_defaults(run=scenarios)


def scenarios(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    from coachkit.training.scenarios import load_scenario, scenario_ids

    for scenario_id in scenario_ids():
        scenario = load_scenario(scenario_id)
        scenario.reference()  # a broken reference answer fails here, not in a workshop
        scenario.start("check")
        query = f"scenario={scenario_id}" + (
            f"&cohort={quote(args.cohort, safe='')}" if args.cohort else "")
        print(f"{scenario_id}\t{scenario.title}\t"
              f"urlpath=voila/render/workbooks/coachkit.ipynb{quote('?' + query, safe='')}")
    return 0


def collect(args: argparse.Namespace) -> int:
    """One line per file, then a summary.

    Collected files go to stdout (``source -> deal id``), refused files to stderr with the
    reason, then the summary line. Exit code 0 when every file was collected, 1 when any was
    refused: a trainer's script notices the files it has to chase. The good files are
    imported either way, and collecting again after fixing the bad ones adds only those.
    """
    from coachkit.cli.common import open_store
    from coachkit.training.collect import collect as collect_

    with open_store(args) as store:
        report = collect_(args.path, store, args.cohort, scenario=args.scenario,
                          author=args.author)
    for c in report.collected:
        state = f"version {c.version}" if c.changed else "unchanged"
        print(f"{c.source} -> {c.deal_id} ({state})")
    for r in report.refused:
        err(f"refused {r.line}")
    print(f"cohort {report.cohort}: {report.summary()}", file=sys.stdout)
    return 0 if report.ok else 1
