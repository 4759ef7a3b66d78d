"""``coachkit coach``: findings, scores and questions for one deal."""

from __future__ import annotations

import argparse

from coachkit.cli.common import Parents, add_dates, open_store, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("coach", parents=[parents.coaching],
                       help="coach a deal: findings, scores, questions",
                       description="Coach a deal (a workbook file or a deal id in the store): "
                       "findings by severity with the question to ask, the scores with their "
                       "parts, and the questions for the next call. Findings are not errors: "
                       "the exit code is 0 unless the input is bad.")
    p.add_argument("deal", metavar="FILE_OR_ID")
    add_dates(p, as_of="the version saved by DATE (a store's deal)")
    p.add_argument("--json", action="store_true",
                   help='one JSON object: {"deal", "today", "scores", "findings", "questions"}')
    p.set_defaults(run=coach)


def coach(args: argparse.Namespace) -> int:
    from pathlib import Path

    from coachkit.clock import coaching_day, end_of
    from coachkit.coaching.coach import Coach
    from coachkit.coaching.settings import load_settings
    from coachkit.views.text import coaching_text

    coach_ = Coach(load_settings(args.settings))  # bad settings fail before any work
    target = Path(args.deal)
    if target.suffix == ".json" or target.exists():
        from coachkit.model.files import read_workbook_file

        book = read_workbook_file(target)
        deal, reviews = book.deal, book.reviews
    else:
        with open_store(args) as store:
            deal = store.get(args.deal, as_of=args.as_of).deal
            reviews = tuple(r for r in store.reviews(args.deal)
                            if args.as_of is None or r.at <= end_of(args.as_of))
    result = coach_.run(deal, coaching_day(args.as_of, args.today), reviews)
    if args.json:
        print_json(result.to_json_dict())
    else:
        print(coaching_text(deal, result))
    return 0
