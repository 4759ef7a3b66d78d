"""What the buying group may see of a deal: every field is shown on the customer's page or
kept internal, and this is the one place that says which.

The customer's page is made from :func:`for_customer`, a copy of the deal in which every
internal field is back at its default and unshared risks are gone, so no part of the page can
show what is not meant for the customer, whatever it reads.
``tests/reports/test_customer_page.py`` walks the model
(:func:`~coachkit.model.vocabulary.leaf_paths`): a field that is in neither list fails it, so a
new field is classified before it ships.

Paths name fields as ``leaf_paths`` does (``problem.metrics[].name``). :data:`INTERNAL` may
name a whole part (``stakeholders``: every field of it, those added later too);
:data:`SHOWN` names single fields only, so nothing becomes visible by being added to a part.
"""

from __future__ import annotations

from typing import Any, Final

from coachkit.model.deal import Deal
from coachkit.model.vocabulary import field_info

SHOWN: Final = frozenset({
    "deal.id",  # the page's file name: ID-customer.html
    "deal.customer", "deal.title", "deal.seller",
    "deal.currency",  # the unit of the cost of inaction
    "deal.compelling_event", "deal.compelling_event_date",
    "problem.statement", "problem.in_customer_words", "problem.statement_source",
    "problem.current_state", "problem.future_state", "problem.root_cause",
    "problem.business_impact", "problem.why_change", "problem.why_now",
    "problem.metrics[].name", "problem.metrics[].baseline", "problem.metrics[].target",
    "problem.metrics[].unit",
    "problem.cost_of_inaction.amount", "problem.cost_of_inaction.period",
    "problem.cost_of_inaction.assumptions[].name", "problem.cost_of_inaction.assumptions[].value",
    "problem.cost_of_inaction.assumptions[].unit", "problem.cost_of_inaction.assumptions[].kind",
    "problem.cost_of_inaction.notes",
    "problem.alternatives",
    "problem.glossary[].customer_term", "problem.glossary[].our_term",
    "problem.glossary[].meaning",
    # only of the risks the seller chose to share (SHARED_ITEMS)
    "risks[].description", "risks[].category", "risks[].applies_to", "risks[].likelihood",
    "risks[].impact", "risks[].carried_by", "risks[].owner", "risks[].mitigation",
    "risks[].status",
    "plan[].milestone", "plan[].customer_owner", "plan[].seller_owner", "plan[].date",
    "plan[].confirmed", "plan[].done",
})
"""Fields the customer's page may show."""

INTERNAL: Final = frozenset({
    "schema_version",
    # the seller's pipeline: where the deal stands for us, what it is worth, our forecast
    "deal.team", "deal.stage", "deal.value", "deal.close_date", "deal.crm",
    # about people personally, and the seller's notes on where answers came from
    "problem.personal_impact", "problem.evidence",
    "risks[].shared",  # the choice itself
    # the buying group as the seller reads it: stance, influence, trust, goals, concerns,
    # views, roles (champion, blocker ...), disagreements
    "stakeholders", "disagreements",
    # both sides' confidence and its evidence, the decision and paper processes
    "confidence",
    "fit", "training",
})
"""Fields for the seller and the manager only (whole parts included)."""

SHARED_ITEMS: Final = {"risks": "shared"}
"""Lists whose items appear only where the seller ticked this flag (default: not shared)."""


def for_customer(deal: Deal) -> Deal:
    """The deal as the buying group may see it: unshared risks dropped, every internal field
    at its default."""
    data = deal.model_dump()
    for name, flag in SHARED_ITEMS.items():
        data[name] = [item for item in data[name] if item[flag]]
    for path in INTERNAL:
        _reset(data, path.replace("[]", "").split("."), path)
    return Deal.model_validate(data)


def _reset(data: Any, parts: list[str], path: str) -> None:
    """Set the field at ``parts`` (in every item of a list on the way) to its default."""
    if isinstance(data, list):
        for item in data:
            _reset(item, parts, path)
        return
    head, *rest = parts
    if rest:
        _reset(data[head], rest, path)
    else:
        data[head] = field_info(path.replace("[]", "").split(".")).get_default(
            call_default_factory=True)


def classes(path: str) -> list[str]:
    """Where ``path`` is classified: ``["shown"]``, ``["internal"]``, or none or both (which
    :mod:`tests.test_customer_page` refuses)."""
    found = ["shown"] if path in SHOWN else []
    if any(path == p or path.startswith((f"{p}.", f"{p}[].")) for p in INTERNAL):
        found.append("internal")
    return found
