"""Reading and writing workbook files, with one clear line for every way a file can be bad.

Everything that enters coachkit from outside (the CLI, the app's upload, ``collect``) goes
through :func:`parse_workbook`, so every entrance refuses the same things in the same words.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from coachkit.errors import CoachkitError, InvalidWorkbook
from coachkit.fs import read_regular, size_text, write_atomic
from coachkit.model import Deal
from coachkit.model.messages import describe_validation_error
from coachkit.model.migrations import MigrationError, migrate
from coachkit.model.review import Review

MAX_FILE_BYTES = 5_000_000
"""A full workbook is tens of kilobytes; anything past this is not one (or is hostile). It is
judged on the workbook file as :func:`dumps` writes it, on the way in (a file, an upload) and
on the way out (a save, so that every stored deal exports to a file import accepts)."""

_REVIEWS = TypeAdapter(list[Review])

SUFFIX = ".coachkit.json"
"""The file ending the app downloads and the docs recommend (plain ``.json`` works too)."""


@dataclass(frozen=True)
class Workbook:
    """What a workbook file holds: the deal, the managers' reviews of it (if any), and the
    fingerprint of the version it was exported from (if known), so that an import merges
    the offline edits with what others saved meanwhile instead of writing over it."""

    deal: Deal
    reviews: tuple[Review, ...] = ()
    edited_from: str = ""


EDITED_FROM = "edited_from"
"""The top-level key of a workbook file that names, by :func:`fingerprint`, the version the
file was exported from. Like ``reviews`` it travels beside the deal, not in it."""

_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{32}$")


def fingerprint(deal: Deal) -> str:
    """The same for the same content in any store: ``sha256:`` and 32 hex digits."""
    return "sha256:" + hashlib.sha256(canonical(deal).encode("utf-8")).hexdigest()[:32]


def validate_document(doc: Any, source: str = "document") -> Deal:
    """A decoded JSON value -> a valid, current-version :class:`Deal`, or InvalidWorkbook."""
    return load_document(doc, source).deal


def load_document(doc: Any, source: str = "document") -> Workbook:
    """A decoded workbook file -> its deal and reviews, or InvalidWorkbook naming the field.

    The reviews travel beside the deal under the top-level key ``reviews``: they are not part
    of the deal's versions, but a file exported from one store imports them into another."""
    if not isinstance(doc, dict):
        raise InvalidWorkbook(
            f"{source}: not a coachkit workbook (expected a JSON object, "
            f"got {type(doc).__name__})"
        )
    doc = dict(doc)
    raw_reviews = doc.pop("reviews", [])
    edited_from = doc.pop(EDITED_FROM, "")
    if not isinstance(edited_from, str) or (edited_from and not _FINGERPRINT.match(edited_from)):
        raise InvalidWorkbook(f"{source}: {EDITED_FROM}: not a version fingerprint (it is "
                              "written by coachkit export; remove the line to import anyway)")
    try:
        current = migrate(doc)
        deal = Deal.model_validate(current)
        reviews = _REVIEWS.validate_python(raw_reviews)
    except MigrationError as exc:
        raise InvalidWorkbook(f"{source}: {exc}") from None
    except ValidationError as exc:
        raise InvalidWorkbook(f"{source}: {describe_validation_error(exc)}") from None
    except RecursionError:
        raise InvalidWorkbook(f"{source}: nested too deeply to be a workbook") from None
    check_size(deal, source)
    return Workbook(deal, tuple(reviews), edited_from)


def too_large(source: str, size: int) -> str:
    """The one line for a file over :data:`MAX_FILE_BYTES` (the app's page script says the
    same words before it sends a file)."""
    return f"{source}: file is {size_text(size, 1)}; a workbook is at most " \
        f"{size_text(MAX_FILE_BYTES)}"


def parse_workbook(data: bytes | str, source: str = "document") -> Deal:
    """The bytes of a workbook file -> a valid :class:`Deal`, or one line saying what is wrong."""
    return load_workbook(data, source).deal


def load_workbook(data: bytes | str, source: str = "document") -> Workbook:
    """The bytes of a workbook file -> its deal and reviews, or one line saying what is
    wrong."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > MAX_FILE_BYTES:
        raise InvalidWorkbook(too_large(source, size))
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidWorkbook(
                f"{source}: not UTF-8 text (byte {exc.start}); is this a workbook file?"
            ) from None
    else:
        text = data
    if not text.strip():
        raise InvalidWorkbook(f"{source}: file is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidWorkbook(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise InvalidWorkbook(f"{source}: nested too deeply to be a workbook") from None
    return load_document(doc, source)


def read_workbook(path: str | os.PathLike[str]) -> Deal:
    """Read and validate one workbook file (its deal)."""
    return read_workbook_file(path).deal


def read_workbook_file(path: str | os.PathLike[str]) -> Workbook:
    """Read and validate one workbook file: only a regular file, its size checked before
    anything is read (a FIFO or a link to /dev/zero is refused, never waited on)."""
    try:
        data = read_regular(path, MAX_FILE_BYTES, "workbook")
    except CoachkitError as exc:
        raise InvalidWorkbook(str(exc)) from None
    return load_workbook(data, os.fspath(path))


def check_size(deal: Deal, source: str = "document") -> None:
    """Refuse a deal whose workbook file would be larger than :data:`MAX_FILE_BYTES`."""
    size = len(dumps(deal).encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise InvalidWorkbook(
            f"{source}: the workbook is {size_text(size, 1)} as a file; a workbook is at most "
            f"{size_text(MAX_FILE_BYTES)} (shorten the longest texts or lists)")


def canonical(deal: Deal) -> str:
    """The compact canonical JSON of a deal: what the store keeps, byte for byte comparable."""
    return json.dumps(deal.to_json_dict(), ensure_ascii=False, separators=(",", ":"))


def dumps(deal: Deal, reviews: Sequence[Review] = (), *, edited_from: str = "") -> str:
    """The canonical text of a workbook file: stable key order, readable, UTF-8; the reviews
    (as recorded, with their events) under ``reviews`` when there are any; the fingerprint
    of the stored version under ``edited_from`` when the file is exported from a store."""
    doc: dict[str, Any] = deal.to_json_dict()
    if reviews:
        doc["reviews"] = [r.model_dump(mode="json") for r in reviews]
    if edited_from:
        doc[EDITED_FROM] = edited_from
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_workbook(deal: Deal, path: str | os.PathLike[str],
                   reviews: Sequence[Review] = (), *, edited_from: str = "") -> Path:
    """Write a workbook file atomically: a crash never leaves half a workbook."""
    return write_atomic(path, dumps(deal, reviews, edited_from=edited_from))
