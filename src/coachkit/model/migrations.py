"""Upgrading workbook files written with an older ``schema_version``.

Each step takes the raw JSON object of version N and returns version N+1, so a file of any
older version is carried forward one step at a time. A file of a *newer* version is refused:
guessing at a format we do not know would silently lose the seller's work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from coachkit.model import SCHEMA_VERSION

Document = dict[str, Any]


class MigrationError(ValueError):
    """The document cannot be brought to the current version; the message says why."""


def _v0_to_v1(doc: Document) -> Document:
    """Version 0 was the pre-release draft: risks had ``probability``, stakeholders had
    ``support``, and fit was a yes/no boolean."""
    out = dict(doc)
    out["risks"] = [
        {("likelihood" if k == "probability" else k): v for k, v in risk.items()}
        if isinstance(risk, dict)
        else risk
        for risk in doc.get("risks", [])
    ]
    out["stakeholders"] = [
        {("stance" if k == "support" else k): v for k, v in person.items()}
        if isinstance(person, dict)
        else person
        for person in doc.get("stakeholders", [])
    ]
    fit = doc.get("fit")
    if isinstance(fit, dict) and isinstance(fit.get("good_for_customer"), bool):
        out["fit"] = {**fit, "good_for_customer": "yes" if fit["good_for_customer"] else "no"}
    out["schema_version"] = 1
    return out


def _v1_to_v2(doc: Document) -> Document:
    """Version 2 added fields with defaults: ``deal.crm`` (the CRM record a deal came from)
    and ``risks[].shared`` (shown on the customer's page). Nothing else changed."""
    return {**doc, "schema_version": 2}


_CURRENCY = re.compile(r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])|[€£$¥]")


def _factor_kind(assumption: dict[str, Any]) -> dict[str, Any]:
    """Version 2's factor carried only a unit; its kind is read from that unit: a currency
    code or sign is money ("EUR per hour"), a share or per cent a share (a per cent becomes
    a fraction: 30 % is 0.3), anything else a count ("hours per month")."""
    if not isinstance(assumption, dict) or "kind" in assumption:
        return assumption
    unit = str(assumption.get("unit") or "")
    lowered = unit.strip().lower()
    value = assumption.get("value")
    if "%" in unit or "per cent" in lowered or "percent" in lowered:
        fraction = value / 100 if isinstance(value, int | float) and not isinstance(
            value, bool) else value
        return {**assumption, "value": fraction, "kind": "share"}
    if lowered in ("share", "fraction") or lowered.startswith("share "):
        return {**assumption, "kind": "share"}
    if _CURRENCY.search(unit):
        return {**assumption, "kind": "money"}
    return {**assumption, "kind": "count"}


def _v2_to_v3(doc: Document) -> Document:
    """Version 3 says what each cost-of-inaction factor is (``kind``: money, count, share),
    so a count alone is never shown as money."""
    out = dict(doc)
    problem = doc.get("problem")
    if not isinstance(problem, dict):
        return {**out, "schema_version": 3}
    coi = problem.get("cost_of_inaction")
    if isinstance(coi, dict) and isinstance(coi.get("assumptions"), list):
        out["problem"] = {**problem, "cost_of_inaction": {
            **coi, "assumptions": [_factor_kind(a) for a in coi["assumptions"]]}}
    out["schema_version"] = 3
    return out


MIGRATIONS: dict[int, Callable[[Document], Document]] = {0: _v0_to_v1, 1: _v1_to_v2,
                                                         2: _v2_to_v3}
"""``MIGRATIONS[n]`` turns a version-n document into version n+1."""


def migrate(doc: Document) -> Document:
    """Bring a raw document to the current schema version, or say why it cannot be."""
    if "schema_version" not in doc:
        raise MigrationError("schema_version: missing (is this a coachkit workbook?)")
    version = doc["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise MigrationError(f"schema_version: must be a whole number, got {version!r:.40}")
    if version > SCHEMA_VERSION:
        raise MigrationError(
            f"schema_version: {version} was made by a newer coachkit "
            f"(this one reads up to {SCHEMA_VERSION}); upgrade coachkit to open it"
        )
    if version < min(MIGRATIONS, default=SCHEMA_VERSION):
        raise MigrationError(f"schema_version: {version} is not a coachkit schema version")
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["schema_version"]
    return doc
