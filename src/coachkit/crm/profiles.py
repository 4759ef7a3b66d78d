"""What differs between sources: the header layouts, stage names and id rules of Salesforce
and HubSpot (a mapping file makes another profile: :mod:`coachkit.crm.mapping`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coachkit.crm.cells import cell_text, match_key, quote, toml_string
from coachkit.crm.errors import BadCell
from coachkit.model import Stage

FIELDS: tuple[str, ...] = (
    "record_id",
    "title",
    "customer",
    "value",
    "currency",
    "stage",
    "close_date",
    "seller",
)
"""The fields a mapping's ``[columns]`` may name, in the order problems are reported."""


SALESFORCE_STAGES: dict[str, Stage] = {
    "Prospecting": Stage.discovery,
    "Qualification": Stage.qualification,
    "Needs Analysis": Stage.qualification,
    # Value Proposition, Id. Decision Makers and Perception Analysis come before any priced
    # proposal: the seller is still finding out whether and how the customer would buy.
    "Value Proposition": Stage.qualification,
    "Id. Decision Makers": Stage.qualification,
    "Perception Analysis": Stage.qualification,
    "Proposal/Price Quote": Stage.proposal,
    "Negotiation/Review": Stage.negotiation,
    "Closed Won": Stage.closed_won,
    "Closed Lost": Stage.closed_lost,
}
"""Salesforce's default opportunity stages; custom stages need a mapping."""


HUBSPOT_STAGES: dict[str, Stage] = {
    "appointmentscheduled": Stage.discovery,
    "qualifiedtobuy": Stage.qualification,
    # A presentation shows the customer what we propose; "bought-in" means the decision maker
    # accepted it but no contract is out yet: both are still the proposal.
    "presentationscheduled": Stage.proposal,
    "decisionmakerboughtin": Stage.proposal,
    "contractsent": Stage.negotiation,
    "closedwon": Stage.closed_won,
    "closedlost": Stage.closed_lost,
}
"""HubSpot's default sales pipeline by internal name; its labels ("Appointment Scheduled",
"Qualified To Buy", "Decision Maker Bought-In", ...) match through :func:`match_key`."""


@dataclass(frozen=True)
class Variant:
    """One header layout of a source; the first alias of each field is its name in messages."""

    name: str
    aliases: Mapping[str, tuple[str, ...]]
    required: frozenset[str]
    from_mapping: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Profile:
    """Everything that differs between sources: headers, stages, ids, formats."""

    source: str
    label: str
    variants: tuple[Variant, ...]
    stages: Mapping[str, str]
    ids: str
    date_formats: tuple[str, ...] | None = None
    decimal: str | None = None
    currency: str | None = None
    mapping: str | None = None


def _stage_table(names: Mapping[str, Stage | str]) -> dict[str, str]:
    return {match_key(name): Stage(stage).value for name, stage in names.items()}


_OWN_STAGES = _stage_table({s.value: s for s in Stage})


_SALESFORCE = Profile(
    source="salesforce",
    label="Salesforce",
    variants=(
        Variant(
            "Data Loader/API export",
            {
                "record_id": ("Id",),
                "title": ("Name",),
                "customer": ("Account.Name",),
                "value": ("Amount",),
                "currency": ("CurrencyIsoCode",),
                "stage": ("StageName",),
                "close_date": ("CloseDate",),
                "seller": ("Owner.Name",),
            },
            frozenset({"record_id", "title", "customer", "stage"}),
        ),
        Variant(
            "report export",
            {
                "record_id": ("Opportunity ID",),
                "title": ("Opportunity Name",),
                "customer": ("Account Name",),
                "value": ("Amount",),
                "currency": ("Opportunity Currency", "Amount Currency"),
                "stage": ("Stage",),
                "close_date": ("Close Date",),
                "seller": ("Opportunity Owner",),
            },
            frozenset({"record_id", "title", "customer", "stage"}),
        ),
    ),
    stages=_stage_table(SALESFORCE_STAGES),
    ids="salesforce",
)


_HUBSPOT = Profile(
    source="hubspot",
    label="HubSpot",
    variants=(
        Variant(
            "deals export",
            {
                "record_id": ("Record ID",),
                "title": ("Deal Name",),
                # Associations are optional in an export (and a deal may have no company).
                "customer": ("Associated Company", "Associated Company (Primary)",
                             "Company name"),
                "value": ("Amount",),
                "currency": ("Currency", "Deal currency code"),
                "stage": ("Deal Stage",),
                "close_date": ("Close Date",),
                "seller": ("Deal owner",),
                "pipeline": ("Pipeline",),
            },
            frozenset({"record_id", "title", "stage"}),
        ),
    ),
    stages=_stage_table(HUBSPOT_STAGES),
    ids="hubspot",
)


BUILTIN_SOURCES: dict[str, Profile] = {"salesforce": _SALESFORCE, "hubspot": _HUBSPOT}


def parse_stage(cell: Any, profile: Profile, pipeline: str) -> Stage:
    """The coachkit stage of a CRM stage name."""
    text = cell_text(cell)
    if not text:
        raise BadCell("empty (every deal needs a stage)")
    names = [text]
    m = re.fullmatch(r"(.*?)\s*\(([^()]*)\)", text)
    if profile.ids == "hubspot" and m and (
        match_key(m.group(2)) == match_key(pipeline) or match_key(m.group(2)).endswith("pipeline")
    ):
        names.append(m.group(1))  # HubSpot writes "Contract Sent (Sales Pipeline)"
    for candidate in names:
        stage = profile.stages.get(match_key(candidate)) or _OWN_STAGES.get(match_key(candidate))
        if stage:
            return Stage(stage)
    where = profile.mapping or f"a mapping file with base = \"{profile.source}\""
    raise BadCell(f"unknown stage {quote(text)}; name it under [stages] in {where}, e.g. "
               f"{toml_string(text)} = \"qualification\"")
