"""Workshops: ``scenarios`` and ``collect``."""

from __future__ import annotations

import argparse
import sys

from coachkit.cli.common import Parents, err
from coachkit.training.links import BINDER_REPO, LOCAL_APP


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

    p = sub.add_parser("scenarios", help="list the training scenarios and their links",
                       description="List the training scenarios (checking each one loads), "
                       "each with two whole links that open the app on it: the local app's "
                       "and Binder's.")
    p.add_argument("--cohort", metavar="NAME", default="",
                   help="put the cohort in the links, so collected workbooks carry it")
    p.add_argument("--app-url", metavar="URL", default=LOCAL_APP,
                   help=f"the address of `coachkit app` (default {LOCAL_APP})")
    p.add_argument("--binder", metavar="OWNER/REPO[@REF]", default=BINDER_REPO,
                   help=f"the GitHub repository Binder builds (default {BINDER_REPO})")
    p.set_defaults(run=scenarios)


def scenarios(args: argparse.Namespace) -> int:
    """Per scenario: its id and title, then the local app's link and Binder's, whole."""
    from coachkit.training.links import binder_link, local_link
    from coachkit.training.scenarios import load_scenario, scenario_ids

    # a bad address or repository is refused before any scenario is printed
    local_link("", "", args.app_url)
    binder_link("", "", args.binder)
    for scenario_id in scenario_ids():
        scenario = load_scenario(scenario_id)
        scenario.reference()  # a broken reference answer fails here, not in a workshop
        scenario.start("check")
        print(f"{scenario_id}\t{scenario.title}")
        print(f"  local app: {local_link(scenario_id, args.cohort, args.app_url)}")
        print(f"  Binder:    {binder_link(scenario_id, args.cohort, args.binder)}")
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
