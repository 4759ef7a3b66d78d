"""The manager's review loop: ``review`` (record one), ``reviews`` (list them), ``done``
(an action done, or open again)."""

from __future__ import annotations

import argparse
import datetime as dt
import re

from coachkit.cli.common import Parents, day_arg, open_store, print_json

ACTION = re.compile(r"^(?P<text>.*?)\s*(?:@(?P<due>\d{4}-\d{2}-\d{2}))?\s*$", re.S)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("review", parents=[parents.coaching],
                       help="record a manager's review of a deal",
                       description="Record a review of the deal's latest version: a note, "
                       "findings dismissed with a reason (they stay listed, no longer counted, "
                       "and come back when their field changes) and actions for the seller. "
                       "Prints the review's number.")
    p.add_argument("id", metavar="ID")
    p.add_argument("--by", required=True, metavar="NAME", help="the reviewer")
    p.add_argument("--note", default="", metavar="TEXT")
    p.add_argument("--dismiss", action="append", default=[], metavar="RULE=REASON",
                   help="dismiss every current finding of RULE, saying why (repeatable)")
    p.add_argument("--action", action="append", default=[], metavar="TEXT[@YYYY-MM-DD]",
                   help="an action for the seller, due by the date after @ (repeatable)")
    p.add_argument("--today", type=day_arg, metavar="DATE",
                   help="coach as on DATE to find what to dismiss (default: today, UTC)")
    p.set_defaults(run=review)

    p = sub.add_parser("reviews", parents=[parents.store], help="list a deal's reviews",
                       description="List a deal's reviews, oldest first, with where their "
                       "actions stand and the seller's answers.")
    p.add_argument("id", metavar="ID")
    p.add_argument("--json", action="store_true", help="one JSON array, an object per review")
    p.set_defaults(run=reviews)

    p = sub.add_parser("done", parents=[parents.writer],
                       help="mark a review's action done (or open again)",
                       description="Mark action K of review N done: `coachkit done ID N.K`.")
    p.add_argument("id", metavar="ID")
    p.add_argument("action", metavar="N.K", help="review N, action K (both from 1)")
    p.add_argument("--undo", action="store_true", help="open the action again")
    p.set_defaults(run=done)


def _pairs(items: list[str], what: str) -> dict[str, str]:
    from coachkit.errors import CoachkitError

    out: dict[str, str] = {}
    for item in items:
        rule, sep, reason = item.partition("=")
        if not sep or not rule.strip() or not reason.strip():
            raise CoachkitError(f"{what} '{item[:60]}': write RULE=REASON (the reason is "
                                "what the next reader needs)")
        out[rule.strip()] = reason.strip()
    return out


def review(args: argparse.Namespace) -> int:
    from coachkit.clock import coaching_day
    from coachkit.coaching.coach import Coach
    from coachkit.coaching.dismissals import dismissals_for
    from coachkit.coaching.settings import load_settings
    from coachkit.model.review import Action

    reasons = _pairs(args.dismiss, "--dismiss")
    actions = []
    for item in args.action:
        match = ACTION.match(item)
        assert match is not None  # the pattern matches any text
        due = dt.date.fromisoformat(match["due"]) if match["due"] else None
        actions.append(Action(text=match["text"], due=due))
    coach = Coach(load_settings(args.settings))
    with open_store(args) as store:
        found = store.get(args.id)
        deal = found.deal
        coaching = coach.run(deal, coaching_day(None, args.today), store.reviews(args.id))
        dismissed = dismissals_for(deal, coaching.findings, reasons)
        recorded = store.add_review(args.id, version=found.version, by=args.by,
                                    note=args.note, dismissed=dismissed, actions=actions)
    print(recorded.number)
    return 0


def reviews(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        if not store.exists(args.id):
            store.get(args.id)  # one line: no such deal
        found = store.reviews(args.id)
    if args.json:
        print_json([r.to_json_dict() for r in found])
        return 0
    from coachkit.views.text import reviews_text

    print(reviews_text(found) if found else f"no reviews of deal {args.id} yet "
          f"(coachkit review {args.id} --by NAME records one)")
    return 0


def done(args: argparse.Namespace) -> int:
    from coachkit.clock import now
    from coachkit.errors import CoachkitError
    from coachkit.model.review import ReviewEvent

    match = re.fullmatch(r"(\d{1,9})\.(\d{1,9})", args.action)
    if not match or int(match[2]) < 1:
        raise CoachkitError(f"'{args.action[:20]}' is not N.K: review N, action K (e.g. 2.1)")
    number, action = int(match[1]), int(match[2]) - 1
    with open_store(args) as store:
        store.add_review_event(args.id, number, ReviewEvent(
            at=now(), by=args.author, kind="reopened" if args.undo else "done", action=action))
    print(f"{args.id}\treview {number}, action {action + 1}: "
          f"{'open again' if args.undo else 'done'}")
    return 0
