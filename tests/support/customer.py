"""A deal with EVERY field of the model filled, each recognisably (found by walking the
model, so a field added later is filled too): text gets a marker (``Mk017x``), dates and
numbers a value of their own, every list two items (one shared with the customer, one not).
What the customer's page tests (with and without a kernel) look for."""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel

from coachkit.model import Deal, Role, empty_deal
from coachkit.model.sharing import SHARED_ITEMS, classes
from coachkit.reports.markup import number

INTERNAL_WORDS = ("stakeholder", "disagree", "confidence", "finding", "score", "trust",
                  "influence", "stance", "champion", "blocker", "consensus", "economic buyer",
                  "decision process", "paper process", "walk away", "not yet filled",
                  "exposure", "critical", "warning")
"""Words of the seller's and the manager's views that have no place on the customer's page."""


# -- a deal with every field filled, each recognisably ------------------------------------------


@dataclass
class Marked:
    deal: Deal
    hidden: dict[str, str] = field(default_factory=dict)
    """Text as the page would show it -> the field it is in: must not be on the page."""
    shown: dict[str, str] = field(default_factory=dict)
    """The same for the shared material: must be on the page."""


SHOWN_BUT_NOT_PRINTED = {"deal.id", "deal.currency"}
"""Shown fields the page does not print as such (the file name; the money's unit)."""


def _plain(annotation: Any) -> Any:
    """``Annotated[float, ...] | None`` -> ``float``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def marked_deal() -> Marked:
    out = Marked(empty_deal("mk-deal"))
    counter = iter(range(1, 10_000))
    special: dict[str, Any] = {"deal.id": "mk-deal", "deal.currency": "NOK",
                               "deal.crm.source": "mkcrm",
                               # money: the factors' product is an amount, and it is shown
                               "problem.cost_of_inaction.assumptions[].kind": "money"}

    def record(value: str, path: str, hidden: bool) -> None:
        (out.hidden if hidden else out.shown)[value] = path

    def leaf(path: str, annotation: Any, hidden: bool) -> Any:
        n = next(counter)
        if path in special:
            return special[path]
        kind = _plain(annotation)
        if typing.get_origin(kind) is list:
            return [leaf(path, typing.get_args(kind)[0], hidden)]
        if kind is str:
            value = f"Mk{n:03d}x"
        elif kind is bool:
            return True
        elif kind is dt.date:
            day = dt.date(2031, 1, 1) + dt.timedelta(days=n)
            record(day.isoformat(), path, hidden)
            return day
        elif kind is float:
            value_ = 70_000.0 + 7 * n
            record(number(value_), path, hidden)
            return value_
        elif kind is int:
            return 2  # a score (1-5) or a stance (-5..5): told apart by the model, not here
        elif isinstance(kind, type) and issubclass(kind, Enum):
            return list(kind)[-1]
        elif typing.get_origin(kind) is typing.Literal:
            return typing.get_args(kind)[0]
        else:
            raise AssertionError(f"{path}: a field of a kind this test cannot fill ({kind})")
        if path not in SHOWN_BUT_NOT_PRINTED:
            record(value, path, hidden)
        return value

    def build(model: type[BaseModel], prefix: str, hidden: bool) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            inner = _plain(info.annotation)
            listed = typing.get_origin(inner) is list
            item = typing.get_args(inner)[0] if listed else inner
            if isinstance(item, type) and issubclass(item, BaseModel):
                if listed:
                    doc[name] = [build(item, f"{path}[].", hidden or _internal(f"{path}[]", i))
                                 for i in range(2)]
                    if name in SHARED_ITEMS:  # the first item shared, the second not
                        doc[name][0][SHARED_ITEMS[name]] = True
                        doc[name][1][SHARED_ITEMS[name]] = False
                else:
                    doc[name] = build(item, f"{path}.", hidden or _internal(path))
            else:
                doc[name] = leaf(path, info.annotation, hidden or _internal(path))
        return doc

    doc = build(Deal, "", False)
    # the few values the model ties together or that must read as what they are
    names = [p["name"] for p in doc["stakeholders"]]
    for d in doc["disagreements"]:
        d["between"] = names
    doc["stakeholders"][0]["role"], doc["stakeholders"][1]["role"] = (
        Role.blocker.value, Role.champion.value)
    out.deal = Deal.model_validate(doc)
    return out


def _internal(path: str, item: int | None = None) -> bool:
    """Is ``path`` (item ``item`` of a list) kept from the customer?"""
    if item is not None and path.removesuffix("[]") in SHARED_ITEMS:
        return item != 0  # the marked deal shares the first item only
    return classes(path) == ["internal"]
