"""One cell of an export: as text, as a date, as a record id; quoted in messages.

Cells are read as text and never evaluated: ``=SUM(A1)``, ``+49 ...``, ``-x``, ``@x`` stay as
written. Dates are ISO or US ``M/D/YYYY`` unless a mapping gives formats; record ids are
Salesforce's (18-character form), HubSpot's (digits) or a mapping's (any short text). The
module docstring of :mod:`coachkit.crm.reader` says why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from coachkit.crm.errors import BadCell

MAX_ID_LENGTH = 64
"""A record id becomes part of a deal id (at most 80 characters with its prefix)."""


_ISO_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
"""ISO dates, with HubSpot's time (``2027-01-31 00:00``) or a full timestamp; the time is
dropped (a close date is a day)."""

_US_DATE = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?"
)
"""US dates (Salesforce reports in the US locale), with or without a time."""


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EXCEL_NUMBER = re.compile(r"\d(?:[.,]\d+)?[eE][+-]?\d+")


def cell_text(cell: Any) -> str:
    """A cell as text: strings as written (never evaluated), spreadsheet numbers unformatted."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(" ")
    return str(cell).strip()


def quote(value: str) -> str:
    """A cell quoted for a message, cut short when long."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA: columns as a spreadsheet names them."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def is_blank(row: Sequence[Any]) -> bool:
    return all(not cell_text(c) for c in row)


def match_key(text: str) -> str:
    """What two spellings of a header or stage share: ``Account.Name`` ~ ``account name``."""
    return re.sub(r"[\W_]+", "", text.casefold())


def parse_date(cell: Any, formats: tuple[str, ...] | None) -> dt.date:
    """A close date: ISO or US by default, else exactly the mapping's formats."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = cell_text(cell)
    if formats is None:
        with contextlib.suppress(ValueError):
            if m := _ISO_DATE.fullmatch(text):
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if m := _US_DATE.fullmatch(text):
                return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        hint = "use YYYY-MM-DD or M/D/YYYY"
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text) and date_or_none(text, "%d/%m/%Y"):
            hint += '; for day-first dates use a mapping with [dates] format = "%d/%m/%Y"'
        raise BadCell(f"not a date: {quote(text)} ({hint})")
    for fmt in formats:
        if date := date_or_none(text, fmt):
            return date
    example = dt.date(2027, 1, 31)
    shown = " or ".join(f"{f} as in {example.strftime(f)}" for f in formats)
    raise BadCell(f"not a date: {quote(text)} (expected {shown})")


def date_or_none(text: str, fmt: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def salesforce_id(text: str) -> str | None:
    """The 18-character form of a Salesforce id (15 case-sensitive characters + checksum)."""
    if not re.fullmatch(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?", text):
        return None
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for part in (text[0:5], text[5:10], text[10:15]):
        suffix += alphabet[sum(1 << i for i, c in enumerate(part) if "A" <= c <= "Z")]
    if len(text) == 18 and text[15:].upper() != suffix:
        return None
    return text[:15] + suffix


def parse_id(cell: Any, kind: str) -> str:
    """The record id as stored: what a second import of the same deal must give again."""
    text = cell_text(cell)
    if not text:
        raise BadCell("empty (every deal needs the CRM's id)")
    if EXCEL_NUMBER.fullmatch(text):
        raise BadCell(f"{quote(text)} is a number shortened by Excel, not an id; export again "
                   "and import the file without opening it in Excel")
    if kind == "salesforce":
        full = salesforce_id(text)
        if full is None:
            raise BadCell(f"not a Salesforce record id: {quote(text)} (15 or 18 letters and "
                       "digits)")
        if not full.startswith("006"):
            raise BadCell(f"{quote(text)} is not an opportunity id (those start with 006); is "
                       "this an export of opportunities?")
        return full
    if kind == "hubspot":
        if not text.isdigit() or len(text) > 20:
            raise BadCell(f"not a HubSpot record id: {quote(text)} (digits only)")
        return text
    if len(text) > MAX_ID_LENGTH or CONTROL.search(text):
        raise BadCell(f"not a usable record id: {quote(text)} (at most {MAX_ID_LENGTH} "
                   "characters)")
    return text


def toml_string(text: str) -> str:
    """A TOML basic string, for the examples in messages."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
