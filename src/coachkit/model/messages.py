"""A refused value, in the words of the person who typed it: the one home of pydantic error
text.

pydantic says "String should match pattern '^[A-Z]{3}$'"; a seller needs "Currency: three
capital letters, like EUR". Two readers, one formatter underneath (:func:`first_problem`):
the app shows :func:`human_message` by the field; files and the command line show
:func:`describe_validation_error`, which keeps the field's path, which a file's author needs.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from coachkit.errors import shown
from coachkit.model.deal import PATTERN_WORDS
from coachkit.model.vocabulary import field_title


def _number(value: Any) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


_BOUNDS = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
           "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
_NUMBER_KINDS = ("float_parsing", "float_type", "int_parsing", "int_type", "finite_number",
                 "int_from_float")
_SAID = {
    "too_short": "pick at least {min_length}",
    "too_long": "at most {max_length} entries",
    "missing": "needed",
    "duplicate_stakeholder": "another person is already called '{name}'",
    "unknown_stakeholder": "'{name}' is not in the buying group",
    "extra_forbidden": "not a field of the workbook",
}
"""What an error of each kind asks for, filled from its context."""


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
    if kind in _BOUNDS:
        said, key = _BOUNDS[kind]
        return f"{said} {_number(ctx[key])}"
    if kind in _NUMBER_KINDS:
        return "a number, like 1,200"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "a date, like 2027-03-31"
    if kind == "enum":
        return "one of " + str(ctx.get("expected", "the listed choices")).replace("_", " ")
    if kind.startswith("bool"):
        return "yes or no"
    if kind in _SAID:
        return _SAID[kind].format_map(defaultdict(str, {k: str(v) for k, v in ctx.items()}))
    message = str(error["msg"])
    head, _, rest = message.partition(": ")  # whole-document checks name the path first
    return rest if rest and ("." in head or "[" in head) else message


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('stakeholders', 2, 'stance')`` -> ``stakeholders[2].stance``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _loc(error: Any) -> tuple[str | int, ...]:
    """Where pydantic says an error is, without its validator steps (``function-after``)."""
    return tuple(p for p in error["loc"] if not str(p).startswith("function-"))


def first_problem(exc: ValidationError, describe: Callable[[Any], str], *,
                  count_more: bool = True) -> str:
    """The first error as ``describe`` says it, plus how many more there are (unless
    ``count_more`` is False)."""
    errors = exc.errors()
    more = len(errors) - 1 if count_more else 0
    return describe(errors[0]) + (
        f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def _where(error: Any) -> tuple[str | int, ...]:
    """The field an error is about (a whole-document check names it in its context)."""
    loc = _loc(error)
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
    return first_problem(exc, _in_words, count_more=count_more)


def _in_words(error: Any) -> str:
    line = words(error)
    with contextlib.suppress(KeyError, StopIteration, TypeError):
        line = f"{field_title(_where(error))}: {line}"
    return line


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem as ``path (Title): message (got ...)``, plus how many more there
    are: one line (a key may hold a newline)."""
    return first_problem(exc, lambda error: shown(_with_path(error)))


def _with_path(error: Any) -> str:
    """One pydantic error as ``field: message``, in words a seller understands."""
    path = field_path(_loc(error))
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{path}: unknown field (not part of the coachkit format)"
    if not path:  # whole-document checks put the field path in the message itself
        return str(error["msg"])
    with contextlib.suppress(KeyError, StopIteration):  # a key that is not a model field
        path += f" ({field_title(error['loc'])})"
    message = str(error["msg"])
    if kind == "string_pattern_mismatch":  # "three capital letters, like EUR", not a regex
        message = words(error)
    if kind not in ("missing",) and "input" in error and not isinstance(
        error["input"], dict | list
    ):
        got = repr(error["input"])
        if len(got) > 40:
            got = got[:37] + "..."
        message += f" (got {got})"
    return f"{path}: {message}"
