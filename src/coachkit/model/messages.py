"""A refused value, in the words of the person who typed it.

pydantic says "String should match pattern '^[A-Z]{3}$'"; a seller needs "Currency: three
capital letters, like EUR". The app shows :func:`human_message` by the field (the command line
keeps the field's path, which a file's author needs).
"""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from coachkit.model.deal import PATTERN_WORDS
from coachkit.model.vocabulary import field_title


def _number(value: Any) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


_BOUNDS = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
           "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}


def words(error: Any) -> str:
    """What the field asks for, without the field's name."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return PATTERN_WORDS.get(ctx.get("pattern", ""), "not in the form this field takes")
    if kind == "string_too_short":
        return "cannot be empty" if ctx.get("min_length") == 1 else \
            f"at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"at most {_number(ctx.get('max_length', 0))} characters"
    if kind == "too_short":
        return f"pick at least {ctx.get('min_length')}"
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} entries"
    if kind in _BOUNDS:
        said, key = _BOUNDS[kind]
        return f"{said} {_number(ctx[key])}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "finite_number",
                "int_from_float"):
        return "a number, like 1,200"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "a date, like 2027-03-31"
    if kind == "enum":
        return "one of " + str(ctx.get("expected", "the listed choices")).replace("_", " ")
    if kind.startswith("bool"):
        return "yes or no"
    if kind == "missing":
        return "needed"
    if kind == "duplicate_stakeholder":
        return f"another person is already called '{ctx.get('name', '')}'"
    if kind == "unknown_stakeholder":
        return f"'{ctx.get('name', '')}' is not in the buying group"
    if kind == "extra_forbidden":
        return "not a field of the workbook"
    message = str(error["msg"])
    head, _, rest = message.partition(": ")  # whole-document checks name the path first
    return rest if rest and ("." in head or "[" in head) else message


def _where(error: Any) -> tuple[str | int, ...]:
    """The field an error is about (a whole-document check names it in its context)."""
    loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
    ctx = error.get("ctx") or {}
    if not loc and error["type"] == "duplicate_stakeholder":
        return ("stakeholders", int(ctx.get("index", 0)), "name")
    if not loc and error["type"] == "unknown_stakeholder":
        return ("disagreements", int(ctx.get("index", 0)), "between")
    return loc


def human_message(exc: ValidationError, *, count_more: bool = True) -> str:
    """The first problem as "Field: what it takes" ("Currency: three capital letters, like
    EUR"), plus how many more there are (unless ``count_more`` is False: beside a field the
    others are its consequences, such as a renamed person's disagreements)."""
    errors = exc.errors()
    error = errors[0]
    line = words(error)
    with contextlib.suppress(KeyError, StopIteration, TypeError):
        line = f"{field_title(_where(error))}: {line}"
    more = len(errors) - 1 if count_more else 0
    return line + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
