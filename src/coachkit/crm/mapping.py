"""Mapping files: any spreadsheet's columns, stages, date formats and amounts, or changes
to a built-in import (format in :mod:`coachkit.crm.reader`); every mistake named, with its
key."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from typing import Any

from coachkit.crm.amounts import CURRENCY_CODES
from coachkit.crm.cells import match_key, toml_string
from coachkit.crm.errors import CrmImportError
from coachkit.crm.files import read_file
from coachkit.crm.profiles import BUILTIN_SOURCES, FIELDS, Profile, Variant
from coachkit.model import Stage

MAX_MAPPING_BYTES = 64_000
"""A mapping is a page of TOML."""


_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


_MAPPING_KEYS = ("name", "base", "columns", "stages", "dates", "amounts")


def load_mapping(path: str, base: Profile | None) -> Profile:
    """A mapping file as a profile; every problem in it is named, with its key."""
    data = read_file(path, MAX_MAPPING_BYTES, "mapping file")
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CrmImportError(f"{path}: not UTF-8 text; save the mapping as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise CrmImportError(f"{path}: not valid TOML ({exc})") from None
    problems: list[str] = []

    def problem(message: str) -> None:
        problems.append(f"{path}: {message}")

    for key in doc:
        if key not in _MAPPING_KEYS:
            problem(f"unknown key {key!r} (known: {', '.join(_MAPPING_KEYS)})")
    name = doc.get("name")
    base_name = doc.get("base")
    if base_name is not None:
        if base_name not in BUILTIN_SOURCES:
            problem(f"base must be \"salesforce\" or \"hubspot\", not {base_name!r}")
        elif base is not None and base.source != base_name:
            problem(f"base is {base_name!r} but the import is from {base.source!r}")
        else:
            base = BUILTIN_SOURCES[base_name]
    if base is not None:
        if name is not None:
            problem(f"name is not allowed when the mapping changes the {base.source} import "
                    f"(its records keep the source {base.source!r})")
    elif not isinstance(name, str) or not _NAME.fullmatch(name):
        problem("name must be given: lowercase letters, digits, - and _ (e.g. \"pipedrive\"), "
                "or base = \"salesforce\"/\"hubspot\" to change a built-in import")
    elif name in BUILTIN_SOURCES:
        problem(f"name {name!r} is the built-in import; use base = {toml_string(name)} to "
                "change its columns or stages")

    columns = _table(doc, "columns", problem)
    for field, header in columns.items():
        if field not in FIELDS:
            problem(f"columns.{field}: unknown field (fields: {', '.join(FIELDS)})")
        elif not isinstance(header, str) or not header.strip() or len(header) > 200:
            problem(f"columns.{field}: must be the column's header, as text")
    if base is None:
        for field in ("record_id", "title", "stage"):
            if field not in columns:
                problem(f"columns.{field} is missing: a mapping must name the {field} column")

    stages: dict[str, str] = {}
    seen: dict[str, str] = {}
    for crm_stage, ours in _table(doc, "stages", problem).items():
        key = match_key(crm_stage)
        if not key:
            problem(f"stages.{toml_string(crm_stage)}: not a stage name")
        elif key in seen:
            problem(f"stages: {toml_string(seen[key])} and {toml_string(crm_stage)} are the "
                    "same stage name (case, spaces and punctuation are ignored)")
        seen.setdefault(key, crm_stage)
        if not isinstance(ours, str) or ours not in Stage.__members__:
            problem(f"stages.{toml_string(crm_stage)}: {ours!r} is not a coachkit stage "
                    f"({', '.join(s.value for s in Stage)})")
        else:
            stages[key] = ours

    date_formats: tuple[str, ...] | None = None
    dates = _table(doc, "dates", problem)
    for key in dates:
        if key != "format":
            problem(f"dates.{key}: unknown key (known: format)")
    if "format" in dates:
        given = dates["format"]
        formats = [given] if isinstance(given, str) else given
        if not isinstance(formats, list) or not formats or not all(
            isinstance(f, str) and _date_format_ok(f) for f in formats
        ):
            problem(f"dates.format: {given!r} is not a date format such as \"%d.%m.%Y\" "
                    "(day, month and year, strptime codes)")
        else:
            date_formats = tuple(formats)

    amounts = _table(doc, "amounts", problem)
    for key in amounts:
        if key not in ("decimal", "currency"):
            problem(f"amounts.{key}: unknown key (known: decimal, currency)")
    decimal = amounts.get("decimal")
    if decimal is not None and decimal not in (".", ","):
        problem(f"amounts.decimal: {decimal!r} must be \".\" or \",\"")
    currency = amounts.get("currency")
    if currency is not None and currency not in CURRENCY_CODES:
        problem(f"amounts.currency: {currency!r} must be an ISO currency code such as \"EUR\"")

    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CrmImportError(problems[0] + more, problems)

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


def _table(doc: dict[str, Any], key: str, problem: Any) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        problem(f"{key} must be a table ([{key}])")
        return {}
    return value


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
