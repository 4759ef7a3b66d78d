"""``coachkit import-crm``: the pipeline from a CRM export, so nobody retypes it.

    coachkit import-crm FILE --from salesforce|hubspot|MAPPING.toml [--team T] [--dry-run]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coachkit.cli.common import Parents, err


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser(
        "import-crm", parents=[parents.writer], help="import deals from a CRM export",
        description="Import the deals of a Salesforce or HubSpot export (CSV or .xlsx), or of "
        "any spreadsheet described by a mapping file. New records start deals; records "
        "imported before get their header (customer, title, value, currency, stage, close "
        "date, seller) updated as a new version, never their change story. All or nothing: "
        "one bad row and nothing is imported; every bad row is named.")
    p.add_argument("file", metavar="FILE", help="the export (CSV or .xlsx)")
    p.add_argument("--from", dest="source", required=True, metavar="SOURCE",
                   help="salesforce, hubspot, or a mapping file (MAPPING.toml) for any "
                        "other export")
    p.add_argument("--team", metavar="T", help="the team of every imported deal")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be created and updated; save nothing")
    p.set_defaults(run=import_crm)


def import_crm(args: argparse.Namespace) -> int:
    from coachkit.cli.common import open_store
    from coachkit.crm import CrmImportError, read_crm_export
    from coachkit.crm.importer import Action, describe, import_rows, plan_import

    try:
        rows = read_crm_export(args.file, args.source)
    except CrmImportError as exc:
        for problem in exc.problems:
            err(problem)
        if str(exc) not in exc.problems:
            err(str(exc))
        return 1
    with open_store(args) as store:
        if args.dry_run:
            plan = plan_import(store, rows, team=args.team)
        else:
            plan = import_rows(store, rows, author=args.author, team=args.team)
    verbs = ({Action.created: "would create", Action.updated: "would update",
              Action.unchanged: "unchanged"} if args.dry_run else {})
    for change in plan.changes:
        deal_id = "(new)" if args.dry_run and change.action == Action.created \
            else change.deal.id
        line = [verbs.get(change.action, change.action.value), deal_id, change.crm_key]
        print("\t".join([*line, describe(change)] if change.fields else line))
    counts = ", ".join(f"{plan.count(a)} {a.value}" for a in Action)
    name = Path(args.file).name
    if args.dry_run:
        print(f"dry run, nothing saved: {len(plan.changes)} deals in {name} ({counts})")
    else:
        print(f"{len(plan.changes)} deals in {name}: {counts}")
    return 0
