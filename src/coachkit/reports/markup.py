"""The one way report HTML is built: every string is escaped unless this module built it.

:class:`Safe` marks markup made here by :func:`el` and friends. Anything else, a deal's text
above all, is a plain ``str`` and is escaped wherever it goes, as element content or as an
attribute value. User text is never wrapped in :class:`Safe`; a ``<script>`` a seller typed
shows as text in every report.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from typing import Any

VOID_TAGS = frozenset({"br", "col", "hr", "img", "meta", "wbr"})

NOT_FILLED = "not yet filled"
"""What a report says where a section or a field is empty."""


class Safe(str):
    """Markup built by this module from escaped parts.

    It has ``_repr_html_``, so a report cell that ends with one shows it as HTML.
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"<HTML, {len(self)} characters>"


def esc(value: object) -> Safe:
    """Escape anything for HTML content or a quoted attribute; :class:`Safe` passes through."""
    if isinstance(value, Safe):
        return value
    if value is None:
        return Safe("")
    return Safe(html.escape(str(value), quote=True))


def _flatten(children: Iterable[Any]) -> Iterable[Any]:
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, list | tuple):
            yield from _flatten(child)
        else:
            yield child


def _attr_name(name: str) -> str:
    """``class_`` -> ``class``, ``text_anchor`` -> ``text-anchor`` (names come from code)."""
    return name.rstrip("_").replace("_", "-")


def el(tag: str, *children: Any, **attrs: Any) -> Safe:
    """An element: ``el("td", name, class_="who")``. Children and attribute values are
    escaped (nested :class:`Safe` stays as it is); None and False are left out."""
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(f" {_attr_name(name)}")
        else:
            parts.append(f' {_attr_name(name)}="{esc(value)}"')
    opening = f"<{tag}{''.join(parts)}>"
    if tag in VOID_TAGS:
        return Safe(opening)
    return Safe(f"{opening}{join(children)}</{tag}>")


def join(children: Iterable[Any], sep: str = "") -> Safe:
    """Escaped children, concatenated (``sep`` is escaped too)."""
    return Safe(esc(sep).join(esc(c) for c in _flatten(children)))


def text(value: str | None, *, empty: str = NOT_FILLED) -> Safe:
    """A user's free text, line breaks kept (CSS ``white-space: pre-line``), or a muted
    "not yet filled"."""
    if value is None or not str(value).strip():
        return el("span", empty, class_="empty")
    return el("span", value, class_="t")


def blank(what: str = NOT_FILLED) -> Safe:
    """A paragraph saying a section is not filled in yet."""
    return el("p", what, class_="empty")


def section(key: str, title: str, *body: Any, note: Any = None) -> Safe:
    """One report section: a heading, an optional note under it, then the body."""
    return el("section", el("h2", title), el("p", note, class_="note") if note else None,
              *body, class_=f"ck-section ck-{key}", id=key)


def table(header: Iterable[Any], rows: Iterable[Iterable[Any]], *, class_: str = "",
          widths: Iterable[str] | None = None) -> Safe:
    """A table; cells may be plain values (escaped) or :class:`Safe` markup."""
    cols = el("colgroup", [el("col", style=f"width:{w}") for w in widths]) if widths else None
    head = el("thead", el("tr", [el("th", h) for h in header]))
    body = el("tbody", [el("tr", [el("td", c, class_="nw" if _token(c) else None)
                                  for c in row]) for row in rows])
    return el("table", cols, head, body, class_=class_ or None)


_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2} UTC)?|[+-]?[\d,.]+%?")


def _token(cell: Any) -> bool:
    """A date or a number made by code: kept on one line (never "2027-02/-12")."""
    return isinstance(cell, str) and not isinstance(cell, Safe) and bool(
        _TOKEN.fullmatch(cell))


def pill(label: str, kind: str) -> Safe:
    """A small coloured label (``kind`` is a CSS class chosen by code, e.g. ``critical``)."""
    return el("span", label, class_=f"pill {kind}")


def money(value: float | None, currency: str) -> str:
    """``1,330,000 NOK``; an empty string when unknown."""
    if value is None:
        return ""
    return f"{value:,.0f} {currency}"


def number(value: float | None) -> str:
    """A number as a person writes it: no trailing ``.0``, thousands separated."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def day(value: dt.date | dt.datetime | None) -> str:
    """An ISO date, or a timestamp to the minute (UTC)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return value.isoformat()

