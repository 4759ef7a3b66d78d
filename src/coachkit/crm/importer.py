"""Applying a CRM export to the store: a new deal per new record, a new header for known ones.

The CRM owns a deal's header (:data:`HEADER`); the seller owns the change story. So a record
seen for the first time starts a workbook (:func:`~coachkit.model.empty_deal`, the header
from the export, ``deal.crm`` set); a record seen before (same source and record id: the
store finds its deal by ``deal.crm.key``) gets a new version in which only the header
fields that differ are changed, everything else of the latest version kept exactly; a record
whose header is unchanged adds nothing. An empty cell never erases what a deal has: the CRM
fills and updates the header, it does not clear it.

All or nothing, also against concurrent saves: every deal is written in one transaction,
each on the version it was read at (:meth:`~coachkit.store.Store.save_many`). If a seller
saved a deal in between, nothing is written; the import reads again and tries once more, so
the seller's version is kept and the header goes on top of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from coachkit.crm.reader import CrmRow
from coachkit.errors import CoachkitError, StaleError
from coachkit.model import CrmRecord, Deal, DealInfo, empty_deal
from coachkit.model.ids import new_deal_id
from coachkit.model.vocabulary import field_title
from coachkit.store import Store

HEADER: tuple[str, ...] = ("customer", "title", "value", "currency", "stage", "close_date",
                           "seller")
"""The fields of ``deal`` a CRM import sets and updates (and ``team``, when one is given)."""

ATTEMPTS = 2
"""How often an import reads and writes before giving up on a store that keeps changing."""


class Action(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


@dataclass(frozen=True)
class Change:
    """What an import does with one CRM record."""

    action: Action
    row: CrmRow
    deal: Deal
    """The deal as it is saved (for ``unchanged``: as it is)."""
    base_version: int | None
    """The version it was read at (None: a new deal)."""
    fields: tuple[str, ...] = ()
    """The header fields set or changed."""

    @property
    def crm_key(self) -> str:
        return self.deal.deal.crm.key


@dataclass(frozen=True)
class ImportPlan:
    changes: tuple[Change, ...]

    def count(self, action: Action) -> int:
        return Counter(c.action for c in self.changes)[action]

    @property
    def writes(self) -> list[tuple[Deal, int | None]]:
        """The deals to save, each with the version it was read at."""
        return [(c.deal, c.base_version) for c in self.changes if c.action != Action.unchanged]


def crm_record(row: CrmRow) -> CrmRecord:
    return CrmRecord(source=row.source, record_id=row.record_id)


def header_of(row: CrmRow, team: str | None = None) -> dict[str, Any]:
    """The header a row gives a deal: its filled cells (and ``team`` when given)."""
    values: dict[str, Any] = {name: getattr(row, name) for name in HEADER}
    if team:
        values["team"] = team
    return {name: value for name, value in values.items() if value not in (None, "")}


def plan_import(store: Store, rows: Sequence[CrmRow], *, team: str | None = None
                ) -> ImportPlan:
    """What importing ``rows`` would do to the store as it is now (nothing is written)."""
    known = store.deal_ids_by_crm_key([crm_record(r).key for r in rows])
    # one query for the ids in use (an id taken after this is caught when saving)
    used = {s.id for s in store.list_deals()} if len(known) < len(rows) else set()

    changes = []
    for row in rows:
        record = crm_record(row)
        header = header_of(row, team)
        deal_id = known.get(record.key)
        if deal_id is None:
            deal_id = new_deal_id(row.customer or row.title, exists=used.__contains__)
            used.add(deal_id)
            deal = empty_deal(deal_id, crm=record.model_dump(), **header)
            changes.append(Change(Action.created, row, deal, None, tuple(header)))
            continue
        found = store.get(deal_id)
        latest = found.deal  # a stored document that no longer validates: one line
        old = latest.deal
        changed = {name: value for name, value in header.items()
                   if getattr(old, name) != value}
        if not changed:
            changes.append(Change(Action.unchanged, row, latest, found.version))
            continue
        info = DealInfo.model_validate({**old.model_dump(), **changed})
        changes.append(Change(Action.updated, row, latest.model_copy(update={"deal": info}),
                              found.version, tuple(changed)))
    return ImportPlan(tuple(changes))


def import_rows(store: Store, rows: Sequence[CrmRow], *, author: str,
                team: str | None = None) -> ImportPlan:
    """Import ``rows``: every new or changed deal saved in one transaction, or none. Read
    and written again if someone saved one of the deals in between."""
    for attempt in range(ATTEMPTS):
        plan = plan_import(store, rows, team=team)
        try:
            store.save_many(plan.writes, author=author)
        except StaleError:
            if attempt + 1 < ATTEMPTS:
                continue
            raise CoachkitError("store: other saves kept changing these deals; nothing was "
                                "imported, try again") from None
        return plan
    raise AssertionError("unreachable")


def describe(change: Change) -> str:
    """What a change does to a deal, in words: ``Stage, Close date``."""
    if change.action == Action.created:
        info = change.deal.deal
        return " · ".join(v for v in (info.customer, info.title) if v)
    return ", ".join(field_title(("deal", name)) for name in change.fields)
