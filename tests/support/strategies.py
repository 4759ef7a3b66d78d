"""Hypothesis strategies: valid deal documents, from nearly empty to full."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from coachkit.model import DIMENSIONS, FitAnswer, Period, RiskCategory, RiskStatus, Role, Stage

_ALPHABET = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\x7f"
) | st.sampled_from("\n\t")

text = st.text(_ALPHABET, max_size=40)
names = st.text(_ALPHABET.filter(lambda c: not c.isspace()), min_size=1, max_size=20)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)).map(
    lambda d: d.isoformat())
score = st.none() | st.integers(1, 5)
number = st.none() | st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
money = st.none() | st.floats(0, 1e9, allow_nan=False, allow_infinity=False)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def deal_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document; sections are often absent or empty, as in a real workbook."""
    doc: dict[str, Any] = {
        "schema_version": 3,
        "deal": {
            "id": draw(st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,20}\Z")),
            "customer": draw(text),
            "title": draw(text),
            "stage": draw(st.sampled_from([s.value for s in Stage])),
            "value": draw(money),
            "close_date": draw(_maybe(dates)),
        },
    }
    if draw(st.booleans()):
        doc["problem"] = {
            "statement": draw(text),
            "in_customer_words": draw(st.booleans()),
            "why_now": draw(text),
            "metrics": draw(st.lists(st.fixed_dictionaries(
                {"name": text, "baseline": number, "target": number, "unit": text}),
                max_size=3)),
            "cost_of_inaction": {
                "amount": draw(money),
                "period": draw(st.sampled_from([p.value for p in Period])),
                "assumptions": draw(st.lists(st.fixed_dictionaries(
                    {"name": text, "value": number, "unit": text,
                     "kind": st.sampled_from(["money", "count"])}), max_size=3)),
            },
            "alternatives": draw(st.lists(text, max_size=3)),
        }
    people = draw(st.lists(names, max_size=5, unique_by=str.strip).filter(
        lambda ns: len({n.strip() for n in ns}) == len(ns)))
    doc["stakeholders"] = [
        {
            "name": name,
            "role": draw(st.sampled_from([r.value for r in Role])),
            "influence": draw(score),
            "stance": draw(st.none() | st.integers(-5, 5)),
            "trust": draw(score),
            "active": draw(st.booleans()),
            "last_contact": draw(_maybe(dates)),
            "concerns": draw(text),
        }
        for name in people
    ]
    if len(people) >= 2:
        doc["disagreements"] = [
            {
                "between": draw(st.lists(st.sampled_from(people), min_size=2, max_size=3)),
                "about": draw(text),
                "severity": draw(score),
                "resolution_plan": draw(text),
                "resolved": draw(st.booleans()),
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
    doc["risks"] = draw(st.lists(st.fixed_dictionaries({
        "description": text,
        "category": st.sampled_from([c.value for c in RiskCategory]),
        "likelihood": score,
        "impact": score,
        "owner": text,
        "mitigation": text,
        "status": st.sampled_from([s.value for s in RiskStatus]),
    }), max_size=3))
    if draw(st.booleans()):
        doc["confidence"] = {
            "customer": {d: draw(score) for d in DIMENSIONS},
            "seller": {d: draw(score) for d in DIMENSIONS},
        }
    doc["plan"] = draw(st.lists(st.fixed_dictionaries({
        "milestone": text, "customer_owner": text, "date": _maybe(dates),
        "confirmed": st.booleans(), "done": st.booleans(),
    }), max_size=3))
    doc["fit"] = {"good_for_customer": draw(_maybe(st.sampled_from([f.value for f in FitAnswer]))),
                  "reason": draw(text)}
    return doc
