"""The demo deals: realistic, valid, canonical, and kept fresh."""

from __future__ import annotations

import datetime as dt
import json

from coachkit.model import Deal, Stage
from coachkit.shipped import folder
from coachkit.training.canonical import canonical_text
from coachkit.training.demo import ANCHOR, demo_deal, demo_ids

REGENERATE = "not canonical: run `python -m coachkit.training.canonical` (make canonical)"


def test_four_demo_deals_in_different_states() -> None:
    ids = demo_ids()
    assert len(ids) >= 4
    deals = [demo_deal(i, ANCHOR) for i in ids]
    assert len({d.deal.stage for d in deals}) >= 3
    assert any(d.deal.stage == Stage.discovery and not d.risks for d in deals)


def test_demo_files_are_canonical_and_named_by_id() -> None:
    for deal_id in demo_ids():
        path = folder("coachkit.training") / "demo" / f"{deal_id}.json"
        text = path.read_text("utf-8")
        deal = Deal.model_validate(json.loads(text))
        assert deal.id == deal_id
        assert canonical_text(path) == text, f"{path}: {REGENERATE}"


def test_dates_move_with_today() -> None:
    later = ANCHOR + dt.timedelta(days=100)
    at_anchor = demo_deal("northwind-plant-maintenance", ANCHOR)
    moved = demo_deal("northwind-plant-maintenance", later)
    assert moved.deal.close_date == at_anchor.deal.close_date + dt.timedelta(days=100)
    assert moved.stakeholders[0].last_contact == (
        at_anchor.stakeholders[0].last_contact + dt.timedelta(days=100))
    assert moved.problem.statement == at_anchor.problem.statement
