"""Export files as rows of cells: CSV (encoding and separator sniffed) or ``.xlsx``,
recognised by content, bounded in size, rows and columns (see "Files" in
:mod:`coachkit.crm.reader`)."""

from __future__ import annotations

import codecs
import csv
import importlib.util
import io
import warnings
import zipfile
from typing import Any

from coachkit.crm.cells import CONTROL
from coachkit.crm.errors import CrmImportError
from coachkit.errors import CoachkitError
from coachkit.fs import read_regular, size_text

MAX_FILE_BYTES = 20_000_000
"""A CRM export of tens of thousands of opportunities; anything bigger is not one to coach."""

MAX_UNZIPPED_BYTES = 200_000_000
"""What an ``.xlsx`` may unpack to: a small zip can hold gigabytes of XML."""

MAX_ROWS = 50_000
"""Deals in one import: each becomes a workbook; more is a data dump, not a pipeline."""

MAX_COLUMNS = 1_000
"""Columns in one file: CRM exports have dozens; more means a broken separator or a hostile file."""

HEADER_SEARCH_ROWS = 20
"""Formatted exports put a title and filters above the table: the header is looked for here."""


def _decode(data: bytes, name: str) -> str:
    """CSV bytes as text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            text = data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CrmImportError(
                f"{name}: starts as UTF-8 but byte {exc.start + 3} is not UTF-8; export it again"
            ) from None
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise CrmImportError(f"{name}: starts as UTF-16 but is not UTF-16 text") from None
    elif b"\x00" in data:
        raise CrmImportError(f"{name}: not a CSV file: it holds binary data")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise CrmImportError(
                    f"{name}: not text in UTF-8 or Windows-1252 (byte {exc.start}); "
                    "is this a CSV file?"
                ) from None
    sample = text[:65536]
    if len(CONTROL.findall(sample)) > max(8, len(sample) // 100):
        # A stray control character is one bad cell (named by its row); many are a binary file.
        raise CrmImportError(f"{name}: not a CSV file: it holds binary data")
    return text


def _delimiter(text: str) -> str:
    """The separator: whichever of , ; tab | the first line (the header) uses most."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(",;\t|", 0)
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: counts[d])  # ties: the first, so "," wins
    return best if counts[best] else ","


def _read_csv(data: bytes, name: str) -> list[list[Any]]:
    """Every row of a CSV file, blank rows included, so that list index + 1 is the row; short
    rows are padded with empty cells to the widest. Read once, by the csv module (strict: a
    stray quote is refused, not guessed)."""
    text = _decode(data, name)
    if not text.strip():
        raise CrmImportError(f"{name}: the file is empty")
    table: list[list[Any]] = []
    width = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        for record in reader:
            table.append(record)
            width = max(width, len(record))
            if width > MAX_COLUMNS:
                raise CrmImportError(
                    f"{name}: row {len(table)} has more than {MAX_COLUMNS} columns; is this a "
                    "CRM export?"
                )
            if len(table) > MAX_ROWS + HEADER_SEARCH_ROWS + 100:
                raise too_many_rows(name)
    except csv.Error as exc:
        raise CrmImportError(
            f"{name}: not a readable CSV file: row {len(table) + 1}: {exc} (a stray '\"'?)"
        ) from None
    return [row + [""] * (width - len(row)) for row in table]


def _read_xlsx(data: bytes, name: str) -> list[list[Any]]:
    """Every row of an .xlsx file's first sheet, blank rows included (index + 1 is the row)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if "xl/workbook.xml" not in archive.namelist():
                raise CrmImportError(f"{name}: a zip file, not an Excel workbook")
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES or len(members) > 10_000:
                raise CrmImportError(
                    f"{name}: the workbook unpacks to more than {size_text(MAX_UNZIPPED_BYTES)}"
                )
    except zipfile.BadZipFile:
        raise CrmImportError(f"{name}: not a readable .xlsx file (a damaged zip)") from None
    if importlib.util.find_spec("openpyxl") is None:
        raise CrmImportError(
            f"{name}: reading Excel files needs the optional package openpyxl, which is not "
            "installed (pip install openpyxl); or export the report as CSV"
        )
    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles are of no use here
            frame = pd.read_excel(
                io.BytesIO(data), sheet_name=0, header=None, dtype=object, engine="openpyxl"
            )
    except Exception as exc:  # openpyxl raises many kinds for damaged workbooks
        raise CrmImportError(f"{name}: not a readable .xlsx file ({exc})") from None
    if frame.shape[1] > MAX_COLUMNS:
        raise CrmImportError(f"{name}: more than {MAX_COLUMNS} columns; is this a CRM export?")
    return [[None if _missing(v) else v for v in row] for row in frame.to_numpy().tolist()]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def read_file(path: str, limit: int, what: str) -> bytes:
    """A regular file of at most ``limit`` bytes (:func:`coachkit.fs.read_regular`), its
    refusal as this module's error."""
    try:
        return read_regular(path, limit, what)
    except CrmImportError:
        raise
    except CoachkitError as exc:
        raise CrmImportError(str(exc)) from None


def read_table(path: str) -> list[list[Any]]:
    """The rows of an export, by content: .xlsx (a zip), old .xls (refused), or CSV text."""
    data = read_file(path, MAX_FILE_BYTES, "CRM export")
    if not data:
        raise CrmImportError(f"{path}: the file is empty")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, path)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise CrmImportError(
            f"{path}: an old Excel .xls file; save it as .xlsx or CSV"
        )
    return _read_csv(data, path)


def too_many_rows(name: str) -> CrmImportError:
    return CrmImportError(
        f"{name}: more than {MAX_ROWS:,} deals in one file; import the pipeline in parts"
    )
