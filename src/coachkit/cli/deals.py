"""Deals in the store: ``list``, ``show``, ``history``, ``new``, ``conflicts``, ``restore``,
``demo``."""

from __future__ import annotations

import argparse
import sys

from coachkit.cli.common import Parents, add_dates, open_store, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("list", parents=[parents.store], help="list the deals in the store",
                       description="List the deals in the store, most recently changed first.")
    p.add_argument("--team", metavar="T")
    p.add_argument("--cohort", metavar="C")
    p.add_argument("--json", action="store_true", help="one JSON array, an object per deal")
    p.set_defaults(run=list_)

    p = sub.add_parser("show", parents=[parents.store], help="show a deal",
                       description="Show a deal's change story.")
    p.add_argument("id", metavar="ID")
    add_dates(p, as_of="as it was saved by DATE", today=False)
    p.add_argument("--json", action="store_true", help="print the workbook document")
    p.set_defaults(run=show)

    p = sub.add_parser("history", parents=[parents.store], help="list a deal's versions",
                       description="List every saved version of a deal and what it changed.")
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=history)

    p = sub.add_parser("conflicts", parents=[parents.store],
                       help="list refused edits that were kept",
                       description="List edits refused because someone saved in between.")
    p.add_argument("id", metavar="ID", nargs="?")
    p.set_defaults(run=conflicts)

    p = sub.add_parser("restore", parents=[parents.writer],
                       help="make a kept conflict the latest version",
                       description="Save a kept conflict as the deal's latest version.")
    p.add_argument("conflict_id", type=int, metavar="CONFLICT_ID")
    p.set_defaults(run=restore)

    p = sub.add_parser("new", parents=[parents.writer], help="start a new deal",
                       description="Start a new deal; prints its id.")
    p.add_argument("--customer", required=True, metavar="C")
    p.add_argument("--title", required=True, metavar="T")
    p.add_argument("--seller", metavar="S")
    p.add_argument("--team", metavar="T")
    p.set_defaults(run=new)

    p = sub.add_parser("demo", parents=[parents.store], help="load the demo deals into the store",
                       description="Load the demo deals into the store (dates moved to today).")
    p.set_defaults(run=demo)


def list_(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        deals = store.list_deals(team=args.team, cohort=args.cohort)
    if args.json:
        print_json([d.to_json_dict() for d in deals])
        return 0
    if not deals:
        print("no deals" + (" (coachkit demo loads the demo deals)" if not
                            (args.team or args.cohort) else ""))
        return 0
    from coachkit.views.text import deal_table

    print(deal_table(deals))
    return 0


def show(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        found = store.get(args.id, as_of=args.as_of)
    if args.json:
        print_json(found.deal.to_json_dict())
        return 0
    from coachkit.views.text import deal_text

    print(deal_text(found))
    return 0


def history(args: argparse.Namespace) -> int:
    from coachkit.views.text import history_text

    with open_store(args) as store:
        versions = store.history(args.id)
        kept = store.conflicts(args.id)
    print(history_text(versions, kept))
    return 0


def conflicts(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        found = store.conflicts(args.id)
    if not found:
        print("no conflicts")
    for c in found:
        state = f"restored as version {c.restored_as}" if c.restored_as else "not restored"
        print(f"{c.id}\t{c.deal_id}\t{c.saved_at:%Y-%m-%d %H:%M} UTC\t{c.author}\t"
              f"edited from version {c.base_version}, latest was {c.latest_version}\t{state}")
    return 0


def restore(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        conflict = store.conflict(args.conflict_id)
        version = store.restore(args.conflict_id, author=args.author)
    print(f"{conflict.deal_id}\tversion {version}")
    return 0


def new(args: argparse.Namespace) -> int:
    from coachkit.model import empty_deal
    from coachkit.model.ids import new_deal_id

    with open_store(args) as store:
        deal_id = new_deal_id(args.customer, exists=store.exists)
        deal = empty_deal(deal_id, customer=args.customer, title=args.title,
                          seller=args.seller or "", team=args.team or "")
        store.save(deal, base_version=None, author=args.author)
    print(deal_id)
    return 0


def demo(args: argparse.Namespace) -> int:
    from coachkit.training.demo import load_demo

    with open_store(args) as store:
        for deal_id, version, changed in load_demo(store):
            print(f"{deal_id}\tversion {version}{'' if changed else ' (unchanged)'}")
        print(f"store: {store.name}", file=sys.stderr)
    return 0
