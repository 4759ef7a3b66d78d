"""Mapping files: any spreadsheet's columns, stages, date formats and amounts, or changes
to a built-in import (format in :mod:`coachkit.crm.reader`); every mistake named, with its
key."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, create_model
from pydantic_core import PydanticCustomError

from coachkit.crm.amounts import CURRENCY_CODES
from coachkit.crm.cells import match_key, toml_string
from coachkit.crm.errors import CrmImportError
from coachkit.crm.files import read_file
from coachkit.crm.profiles import BUILTIN_SOURCES, FIELDS, Profile, Variant
from coachkit.model import Stage

MAX_MAPPING_BYTES = 64_000
"""A mapping is a page of TOML."""


_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


class _Table(BaseModel):
    """A table of a mapping: typed, no unknown keys, no conversions (as the settings)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _header(text: str) -> str:
    if not text.strip() or len(text) > 200:
        raise PydanticCustomError("header", "not a header")
    return text


Header = Annotated[str, AfterValidator(_header)]

Columns = create_model(  # one optional header per field a mapping may name
    "Columns", __base__=_Table, **{f: (Header | None, None) for f in FIELDS})  # type: ignore[call-overload]


def _date_formats(given: object) -> tuple[str, ...]:
    formats = [given] if isinstance(given, str) else given
    if not isinstance(formats, list) or not formats or not all(
        isinstance(f, str) and _date_format_ok(f) for f in formats
    ):
        raise PydanticCustomError("date_format", "not a date format")
    return tuple(formats)


class Dates(_Table):
    format: Annotated[Any, AfterValidator(_date_formats)] = None


def _decimal(mark: object) -> str:
    if mark not in (".", ","):
        raise PydanticCustomError("decimal", "not a decimal mark")
    return str(mark)


def _currency(code: object) -> str:
    if code not in CURRENCY_CODES:
        raise PydanticCustomError("currency", "not a currency code")
    return str(code)


class Amounts(_Table):
    decimal: Annotated[Any, AfterValidator(_decimal)] = None
    currency: Annotated[Any, AfterValidator(_currency)] = None


class MappingFile(_Table):
    """A mapping file's keys; ``name``/``base`` and the stages are checked against each
    other and the import by :func:`_cross_checks`."""

    name: Any = None
    base: Any = None
    columns: Columns = Columns()
    stages: dict[str, Any] = {}
    dates: Dates = Dates()
    amounts: Amounts = Amounts()


_SAID = {
    "columns": "{path}: must be the column's header, as text",
    "dates.format": "{path}: {input!r} is not a date format such as \"%d.%m.%Y\" (day, month "
                    "and year, strptime codes)",
    "amounts.decimal": "{path}: {input!r} must be \".\" or \",\"",
    "amounts.currency": "{path}: {input!r} must be an ISO currency code such as \"EUR\"",
}
"""What each key takes, said when its value is refused (``columns``: any of its fields)."""


def _said(error: Any) -> str:
    loc = [str(p) for p in error["loc"]]
    path = ".".join(loc)
    if error["type"] == "extra_forbidden":
        if len(loc) == 1:
            return f"unknown key {loc[0]!r} (known: {', '.join(MappingFile.model_fields)})"
        table = MappingFile.model_fields[loc[0]].annotation
        known = ", ".join(getattr(table, "model_fields", {}))
        if loc[0] == "columns":
            return f"{path}: unknown field (fields: {known})"
        return f"{path}: unknown key (known: {known})"
    if len(loc) == 1:
        return f"{path} must be a table ([{path}])"
    template = _SAID.get(path) or _SAID.get(loc[0], "{path}: {msg}")
    return template.format(path=path, input=error.get("input"), msg=error["msg"])


def load_mapping(path: str, base: Profile | None) -> Profile:
    """A mapping file as a profile; every problem in it is named, with its key, in the
    file's order: its keys, name and base, columns, stages, dates, amounts."""
    data = read_file(path, MAX_MAPPING_BYTES, "mapping file")
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CrmImportError(f"{path}: not UTF-8 text; save the mapping as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise CrmImportError(f"{path}: not valid TOML ({exc})") from None
    found: dict[str, list[tuple[int, str]]] = {key: [] for key in ("", *MappingFile.model_fields)}
    mapping: MappingFile | None = None
    try:
        mapping = MappingFile.model_validate(doc)
    except ValidationError as exc:
        for error in exc.errors():
            table = str(error["loc"][0]) if len(error["loc"]) > 1 or (
                error["type"] != "extra_forbidden") else ""
            found[table].append((0 if error["type"] == "extra_forbidden" else 1, _said(error)))
    base, stages = _cross_checks(doc, base, found)
    problems = [f"{path}: {said}" for key in found for _, said in sorted(found[key],
                                                                       key=lambda p: p[0])]
    if problems or mapping is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CrmImportError(problems[0] + more, problems)

    name = mapping.name
    columns = {f: h for f, h in mapping.columns.model_dump().items() if h is not None}
    date_formats = mapping.dates.format
    decimal, currency = mapping.amounts.decimal, mapping.amounts.currency
    named = {f: h.strip() for f, h in columns.items()}
    if base is None:
        variants: tuple[Variant, ...] = (
            Variant("mapping", {f: (h,) for f, h in named.items()}, frozenset(named),
                     frozenset(named)),
        )
        return Profile(
            source=str(name), label=str(name), variants=variants, stages=stages, ids="text",
            date_formats=date_formats, decimal=decimal, currency=currency, mapping=path,
        )
    variants = tuple(
        Variant(
            v.name,
            {**v.aliases, **{f: (h,) for f, h in named.items()}},
            v.required | frozenset(named),
            frozenset(named),
        )
        for v in base.variants
    )
    return Profile(
        source=base.source, label=base.label, variants=variants,
        stages={**base.stages, **stages}, ids=base.ids,
        date_formats=date_formats or base.date_formats, decimal=decimal or base.decimal,
        currency=currency or base.currency, mapping=path,
    )


def _cross_checks(doc: dict[str, Any], base: Profile | None,
                  found: dict[str, list[tuple[int, str]]]) -> tuple[Profile | None, dict[str, str]]:
    """What one key says about another: name or base (and the import's base), the columns a
    mapping of its own must name, stage names that are one name; the base and stages."""
    name, base_name = doc.get("name"), doc.get("base")
    said = found["name"]
    if base_name is not None:
        if base_name not in BUILTIN_SOURCES:
            said.append((1, f"base must be \"salesforce\" or \"hubspot\", not {base_name!r}"))
        elif base is not None and base.source != base_name:
            said.append((1, f"base is {base_name!r} but the import is from {base.source!r}"))
        else:
            base = BUILTIN_SOURCES[base_name]
    if base is not None:
        if name is not None:
            said.append((1, f"name is not allowed when the mapping changes the {base.source} "
                            f"import (its records keep the source {base.source!r})"))
    elif not isinstance(name, str) or not _NAME.fullmatch(name):
        said.append((1, "name must be given: lowercase letters, digits, - and _ (e.g. "
                        "\"pipedrive\"), or base = \"salesforce\"/\"hubspot\" to change a "
                        "built-in import"))
    elif name in BUILTIN_SOURCES:
        said.append((1, f"name {name!r} is the built-in import; use base = "
                        f"{toml_string(name)} to change its columns or stages"))
    columns = doc.get("columns")
    if base is None and isinstance(columns, dict):
        for field in ("record_id", "title", "stage"):
            if field not in columns:
                found["columns"].append((2, f"columns.{field} is missing: a mapping must name "
                                            f"the {field} column"))
    stages: dict[str, str] = {}
    seen: dict[str, str] = {}
    raw = doc.get("stages", {})
    for crm_stage, ours in (raw.items() if isinstance(raw, dict) else ()):
        key = match_key(crm_stage)
        if not key:
            found["stages"].append((1, f"stages.{toml_string(crm_stage)}: not a stage name"))
        elif key in seen:
            found["stages"].append((1, f"stages: {toml_string(seen[key])} and "
                                       f"{toml_string(crm_stage)} are the same stage name "
                                       "(case, spaces and punctuation are ignored)"))
        seen.setdefault(key, crm_stage)
        if not isinstance(ours, str) or ours not in Stage.__members__:
            found["stages"].append((1, f"stages.{toml_string(crm_stage)}: {ours!r} is not a "
                                       f"coachkit stage ({', '.join(s.value for s in Stage)})"))
        else:
            stages[key] = ours
    return base, stages


def _date_format_ok(fmt: str) -> bool:
    """A format that writes and reads back a day, a month and a year."""
    sample = dt.date(2027, 11, 23)
    try:
        return dt.datetime.strptime(sample.strftime(fmt), fmt).date() == sample
    except ValueError:
        return False


def source_profile(source: str | os.PathLike[str], mapping_file: str | None) -> Profile:
    text = os.fspath(source)
    builtin = BUILTIN_SOURCES.get(text.strip().casefold())
    if builtin is not None:
        return load_mapping(os.fspath(mapping_file), builtin) if mapping_file else builtin
    if mapping_file is not None:
        raise CrmImportError(
            f"source {text!r} with mapping_file {os.fspath(mapping_file)!r}: give the mapping "
            "once, as the source or as the mapping file of salesforce/hubspot"
        )
    if not text.lower().endswith(".toml") and not os.path.exists(text):
        raise CrmImportError(
            f"unknown source {text!r}: use salesforce, hubspot or a mapping file (.toml)"
        )
    return load_mapping(text, None)
