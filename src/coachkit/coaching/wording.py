"""How findings and questions word what they name: a customer, a list of people, a field's
text cut to one line. One home, so that a finding and the question for the next call call
the same person and the same customer by the same words."""

from __future__ import annotations

from coachkit.model import Deal, Stakeholder


def blank(text: str) -> bool:
    """Nothing written (spaces only count as nothing)."""
    return not text.strip()


def customer_name(deal: Deal, fallback: str = "the customer") -> str:
    """The customer's name for a question, so it names who is asked about."""
    return deal.deal.customer.strip() or fallback


def join_and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def names_of(people: list[Stakeholder], limit: int = 3) -> str:
    """Up to ``limit`` people by name, for a question ("them" when nobody is named)."""
    names = [p.name for p in people[:limit]]
    if not names:
        return "them"
    return join_and(names + (["the others"] if len(people) > limit else []))


def shortened(text: str, fallback: str, limit: int = 80) -> str:
    """A field's text cut to fit in a one-line message."""
    text = " ".join(text.split()) or fallback
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
