"""The demo deals shipped in the package, kept fresh by moving their dates to today, with a
history of earlier versions and reviews (``demo/history.toml``) so that trends show."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from importlib import resources
from typing import TYPE_CHECKING, Any

from coachkit import clock
from coachkit.model import Deal
from coachkit.model.diff import set_at

if TYPE_CHECKING:
    from coachkit.store import Store

ANCHOR = dt.date(2026, 11, 23)
"""The 'today' the demo deals were written for; loading shifts every date by today - ANCHOR."""

DATE_KEYS = frozenset({"close_date", "compelling_event_date", "date", "last_contact"})


def _shift(value: Any, days: int) -> Any:
    if isinstance(value, dict):
        return {
            k: (
                (dt.date.fromisoformat(v) + dt.timedelta(days=days)).isoformat()
                if k in DATE_KEYS and isinstance(v, str)
                else _shift(v, days)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shift(v, days) for v in value]
    return value


def shift_dates(doc: dict, days: int) -> dict:
    """A copy of a deal document with every date moved by ``days``."""
    return _shift(doc, days)


def demo_ids() -> list[str]:
    folder = resources.files("coachkit.training").joinpath("demo")
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir()
                  if p.name.endswith(".json"))


def demo_deal(deal_id: str, today: dt.date | None = None) -> Deal:
    """One demo deal with its dates moved so that ``today`` plays the role of ANCHOR."""
    text = resources.files("coachkit.training").joinpath("demo", f"{deal_id}.json").read_text(
        "utf-8")
    days = ((today or clock.today()) - ANCHOR).days
    return Deal.model_validate(shift_dates(json.loads(text), days))


def demo_deals(today: dt.date | None = None) -> list[Deal]:
    return [demo_deal(i, today) for i in demo_ids()]


AUTHOR = "coachkit demo"


def _history() -> dict[str, Any]:
    text = resources.files("coachkit.training").joinpath("demo", "history.toml").read_text(
        "utf-8")
    return tomllib.loads(text)


def _moved(path: str, value: Any, days: int) -> Any:
    """A value of the history file, moved like the deal files' dates when it is one."""
    if path.rsplit(".", 1)[-1] in DATE_KEYS and isinstance(value, str) and value:
        return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()
    return value


def earlier_versions(deal: Deal, today: dt.date | None = None) -> list[tuple[int, Deal]]:
    """``(days_ago, deal)`` for the deal's earlier versions, oldest first."""
    today = today or clock.today()
    days = (today - ANCHOR).days
    out = []
    for step in _history().get("versions", {}).get(deal.id, []):
        doc = deal.to_json_dict()
        for path, value in step.get("set", {}).items():
            set_at(doc, path, _moved(path, value, days))
        for path, count in step.get("keep", {}).items():
            doc[path] = doc[path][:count]
        doc["disagreements"] = [d for d in doc["disagreements"] if all(
            any(s["name"] == n for s in doc["stakeholders"]) for n in d["between"])]
        out.append((int(step["days_ago"]), Deal.model_validate(doc)))
    return out


def load_demo(store: Store, today: dt.date | None = None) -> list[tuple[str, int, bool]]:
    """Load the demo deals into ``store``: a deal new to the store gets its history
    (earlier versions backdated, then its reviews); an existing one is only brought up to
    date. Returns ``(deal id, version, changed)`` per deal; loading twice adds nothing."""
    from coachkit.coaching.coach import Coach
    from coachkit.coaching.dismissals import dismissals_for
    from coachkit.model.review import Action

    today = today or clock.today()
    coach = Coach()
    out = []
    for deal in demo_deals(today):
        new = not store.exists(deal.id)
        if new:
            version = None
            for days_ago, earlier in earlier_versions(deal, today):
                at = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(10))
                version = store.save(earlier, base_version=version, author=AUTHOR, at=at)
        latest, changed = store.put(deal, author=AUTHOR)
        out.append((deal.id, latest, changed))
        if not new:
            continue
        for review in _history().get("reviews", {}).get(deal.id, []):
            at = dt.datetime.combine(today - dt.timedelta(days=review["days_ago"]), dt.time(15))
            found = store.get(deal.id, as_of=at)
            coaching = coach.run(found.deal, at.date())
            store.add_review(
                deal.id, version=found.version, by=review["by"], note=review.get("note", ""),
                dismissed=dismissals_for(found.deal, coaching.findings,
                                         review.get("dismiss", {})),
                actions=[Action(text=a["text"], due=today + dt.timedelta(days=a["due_in_days"]))
                         for a in review.get("actions", [])], at=at)
    return out
