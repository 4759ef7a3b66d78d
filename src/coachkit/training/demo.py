"""The demo deals shipped in the package, kept fresh by moving their dates to today."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

from coachkit import clock
from coachkit.model import Deal

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
