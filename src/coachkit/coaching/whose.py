"""Whose is it: telling the customer's risks, events and steps from our own.

A seller's own worries (losing the deal to a cheaper competitor, our quarter end, our launch,
our to-dos) are easily written into the customer's sections. Coached as the customer's, they
give questions nobody can ask a customer. The phrases that mark an item as ours live in
``[whose]`` of settings.toml; this module only matches them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from coachkit.coaching.settings import Settings
from coachkit.model import Deal, Milestone, Risk
from coachkit.model.deal import Evidence


def matches(text: str, phrases: Iterable[str]) -> list[str]:
    """The phrases found in ``text`` as whole words, any case, in the list's order."""
    low = " ".join(text.lower().split())
    return [p for p in phrases if re.search(rf"(?<![\w-]){re.escape(p.lower())}(?![\w-])", low)]


def our_people(deal: Deal, settings: Settings) -> set[str]:
    """Names that mean us: the seller, the team, and the words for "us"."""
    names = {w.lower() for w in settings.whose.our_words}
    for name in (deal.deal.seller, deal.deal.team):
        if name.strip():
            names.add(name.strip().lower())
    names |= {m.seller_owner.strip().lower() for m in deal.plan if m.seller_owner.strip()}
    return names


def risk_is_ours(risk: Risk, deal: Deal, settings: Settings) -> list[str]:
    """Why ``risk`` is carried by us, not the customer: the words that say so, or []."""
    carrier = risk.carried_by.strip().lower()
    if carrier and carrier in our_people(deal, settings):
        return [f"carried by {risk.carried_by.strip()}"]
    return matches(risk.description, settings.whose.our_risk_phrases)


def event_is_ours(deal: Deal, settings: Settings) -> list[str]:
    """The words that make the compelling event ours (our quarter end, a promotion), or []."""
    return matches(deal.deal.compelling_event, settings.whose.our_event_phrases)


_SOURCE_END = re.compile(r"[,;(]")
"""A source names who said it first: "Sabine Krüger, plant walk"."""


def quote_is_ours(quote: Evidence, deal: Deal, settings: Settings) -> bool:
    """A quote whose source names one of us first (the seller, the team, "we"), or none."""
    who = _SOURCE_END.split(quote.source, 1)[0].strip().lower()
    return not who or who in our_people(deal, settings)


def milestone_is_ours(m: Milestone, deal: Deal, settings: Settings) -> bool:
    """A step with nobody at the customer, or "owned" at the customer by one of us."""
    owner = m.customer_owner.strip().lower()
    return not owner or owner in our_people(deal, settings)


def plan_is_ours(deal: Deal, settings: Settings) -> bool:
    """Every step of the "mutual" plan is ours: a to-do list, not the customer's plan."""
    return bool(deal.plan) and all(milestone_is_ours(m, deal, settings) for m in deal.plan)


def customer_risks(deal: Deal, settings: Settings) -> list[tuple[int, Risk]]:
    """The risks the customer carries (with their index), ours left out."""
    return [(i, r) for i, r in enumerate(deal.risks) if not risk_is_ours(r, deal, settings)]
