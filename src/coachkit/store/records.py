"""What the store hands out: versions, deal summaries (the header columns) and conflicts.

:class:`DealSummary` is where the deal header's columns are listed, once: each header field
names (``from``) the document field it is copied from, and :mod:`coachkit.store.tables` builds the
``deals`` table's columns from these fields.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from coachkit.errors import InvalidWorkbook
from coachkit.model import Deal
from coachkit.model.messages import describe_validation_error


@dataclass(frozen=True)
class DealSummary:
    """What lists show of a deal: its header and where its history stands."""

    id: str
    customer: str = field(metadata={"from": "deal.customer"})
    title: str = field(metadata={"from": "deal.title"})
    seller: str = field(metadata={"from": "deal.seller"})
    team: str = field(metadata={"from": "deal.team"})
    stage: str = field(metadata={"from": "deal.stage"})
    value: float | None = field(metadata={"from": "deal.value"})
    currency: str = field(metadata={"from": "deal.currency"})
    close_date: dt.date | None = field(metadata={"from": "deal.close_date"})
    cohort: str = field(metadata={"from": "training.cohort"})
    participant: str = field(metadata={"from": "training.participant"})
    scenario: str = field(metadata={"from": "training.scenario"})
    crm_key: str = field(metadata={"from": "deal.crm.key"})
    version: int = 0
    updated_at: dt.datetime = dt.datetime.min
    updated_by: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for key, value in out.items():
            if isinstance(value, dt.datetime):
                out[key] = value.isoformat() + "Z"
            elif isinstance(value, dt.date):
                out[key] = value.isoformat()
        return out


HEADER_FIELDS: tuple[dataclasses.Field[Any], ...] = tuple(
    f for f in dataclasses.fields(DealSummary) if "from" in f.metadata)
"""The header columns, in order: copied from the document on every save."""


def header_values(deal: Deal) -> dict[str, Any]:
    """The header columns' values for ``deal`` (enumerations as their values)."""
    out = {}
    for f in HEADER_FIELDS:
        value: Any = deal
        for part in f.metadata["from"].split("."):
            value = getattr(value, part)
        out[f.name] = getattr(value, "value", value)
    return out


@dataclass(frozen=True)
class VersionInfo:
    """One saved version of a deal, with its document."""

    deal_id: str
    version: int
    saved_at: dt.datetime
    author: str
    document: str

    @property
    def deal(self) -> Deal:
        """The stored document as a deal; one line if it no longer is one."""
        return _read(self.document, f"deal '{self.deal_id}' version {self.version}",
                     f"coachkit history {self.deal_id}")


@dataclass(frozen=True)
class Conflict:
    """An edit refused because someone saved in between; kept so it can be restored."""

    id: int
    deal_id: str
    base_version: int | None
    latest_version: int
    saved_at: dt.datetime
    author: str
    document: str
    restored_as: int | None

    @property
    def deal(self) -> Deal:
        return _read(self.document, f"conflict {self.id}", f"coachkit conflicts {self.deal_id}")


def _read(document: str, what: str, look: str) -> Deal:
    try:
        return Deal.model_validate_json(document)
    except ValidationError as exc:
        raise InvalidWorkbook(
            f"{what}: the stored document is not a valid deal ({describe_validation_error(exc)}"
            f"); see {look} for another version to restore") from None
