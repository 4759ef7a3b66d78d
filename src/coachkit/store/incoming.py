"""A workbook edited offline comes back: merged with what was saved since it was exported.

A file written by ``coachkit export`` names the version it was exported from (by content,
:func:`coachkit.model.files.fingerprint`, so it holds in any store). When others saved the
deal since, the file's edits are merged three-way with theirs (:mod:`coachkit.model.merge`)
instead of being written over them; a file that does not say where it came from is saved on
top, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from coachkit.errors import InvalidWorkbook
from coachkit.model import Deal
from coachkit.model.files import fingerprint
from coachkit.model.merge import FieldConflict, merge, merged_with, resolve
from coachkit.model.messages import describe_validation_error
from coachkit.store.records import VersionInfo
from coachkit.store.scoped import ScopedStore
from coachkit.store.sql import Store


@dataclass(frozen=True)
class Incoming:
    """What an import saves for one file, on top of which version."""

    deal: Deal
    base_version: int | None
    """The latest version it is saved on top of (None: a deal new to the store)."""
    unchanged: bool = False
    note: str = ""
    """"merged with maria's change to “Why now” (version 41)", or ""."""
    conflicts: list[FieldConflict] = field(default_factory=list)
    """Fields the file and the store both changed, when no preference settles them."""
    theirs: str = ""
    """Who saved since the file was exported."""


def exported_version(store: Store | ScopedStore, deal_id: str,
                     edited_from: str) -> VersionInfo | None:
    """The newest stored version whose content the file was exported from, if any."""
    if not edited_from:
        return None
    for version in reversed(store.history(deal_id)):
        if fingerprint(version.deal) == edited_from:
            return version
    return None


def incoming(store: Store | ScopedStore, deal: Deal, edited_from: str = "",
             prefer: str | None = None) -> Incoming:
    """Plan the import of one file's deal. ``prefer`` ("mine": the file, "theirs": the
    store) settles fields both changed; without it they come back as conflicts."""
    if store.latest_version(deal.id) is None:
        return Incoming(deal, None)
    latest = store.get(deal.id)
    if fingerprint(latest.deal) == fingerprint(deal):
        return Incoming(deal, latest.version, unchanged=True)
    base = exported_version(store, deal.id, edited_from)
    if base is None or base.version == latest.version:
        return Incoming(deal, latest.version)
    result = merge(base.deal.to_json_dict(), latest.deal.to_json_dict(), deal.to_json_dict())
    authors = " and ".join(dict.fromkeys(
        v.author for v in store.history(deal.id) if v.version > base.version)) or "someone"
    if result.conflicts and prefer is None:
        return Incoming(deal, latest.version, conflicts=result.conflicts, theirs=authors)
    try:
        merged = Deal.model_validate(
            resolve(result, {c.pointer: prefer or "theirs" for c in result.conflicts}))
    except ValidationError as exc:
        raise InvalidWorkbook(
            f"deal {deal.id}: the file and version {latest.version} do not merge by "
            f"themselves ({describe_validation_error(exc)}); export the latest version and "
            "make the edits there") from None
    if fingerprint(merged) == fingerprint(latest.deal):  # the file's edits are in already
        return Incoming(latest.deal, latest.version, unchanged=True)
    return Incoming(merged, latest.version, theirs=authors,
                    note=merged_with(authors, result.theirs_changed, latest.version))
