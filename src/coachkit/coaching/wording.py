"""How findings and questions word what they name: a customer, a list of people, a field's
text cut to one line; and whether a field says anything at all (blank, or only a
placeholder such as "tbd"). One home, so that a finding and the question for the next call
call the same person and the same customer by the same words, and every part of coachkit
counts the same mitigation as real."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from coachkit.model import Deal, Stakeholder

if TYPE_CHECKING:
    from coachkit.coaching.settings import Settings

_WORD = re.compile(r"[^\W_]+")


def blank(text: str) -> bool:
    """Nothing written (spaces only count as nothing)."""
    return not text.strip()


def tokens(text: str) -> list[str]:
    """The words of ``text`` as written (case kept: "SaaS" and "KPIs" stay acronyms),
    punctuation and spacing left out."""
    return _WORD.findall(text)


def words(text: str) -> tuple[str, ...]:
    """The words of ``text``, lower case, punctuation and spacing left out: "N/A." and
    "n / a" are both ``("n", "a")``, "don't" and "don’t" both ``("don", "t")``, so a
    listed phrase matches however it was typed."""
    return tuple(tokens(text.lower()))


@lru_cache(maxsize=8)
def _placeholders(phrases: tuple[str, ...], single: tuple[str, ...],
                  ) -> tuple[tuple[tuple[str, ...], ...], frozenset[str]]:
    """The phrases as word tuples, longest first (so "keep an eye on" wins over "keep an
    eye"), and the set of single words."""
    tuples = {words(p) for p in phrases} - {()}
    return tuple(sorted(tuples, key=len, reverse=True)), frozenset(words(" ".join(single)))


def placeholder_only(text: str, phrases: Iterable[str], single: Iterable[str]) -> bool:
    """``text`` is made only of the ``phrases`` and the ``single`` words (whole words, any
    case, any punctuation): nothing else is left once they are taken out."""
    listed, vocabulary = _placeholders(tuple(phrases), tuple(single))
    seen = words(text)
    i = 0
    while i < len(seen):
        match = next((p for p in listed if seen[i:i + len(p)] == p), None)
        if match is not None:
            i += len(match)
        elif seen[i] in vocabulary:
            i += 1
        else:
            return False
    return True


def hollow(text: str, settings: Settings) -> bool:
    """Blank, or only a placeholder ("tbd", "will discuss", "monitor it", "our product
    handles it"): a text that says nothing anyone will do. The phrases and words are
    ``[risks] placeholder_phrases`` and ``placeholder_words`` of the settings, with the
    team's product names as phrases; any other word (a name, a day, a number, an action)
    makes the text real."""
    risks = settings.risks
    return placeholder_only(text, (*risks.placeholder_phrases, *settings.team.product_names),
                            risks.placeholder_words)


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
