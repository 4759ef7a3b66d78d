"""Every colour coachkit shows: the pictures (maps, health chart, team charts, digest email)
and both stylesheets, the app's (``app/style.py``) and the reports' (``report.css``).

Named for what they mean, not for their hue, so that a picture says "critical" and not
"#b91c1c". The stylesheets write no colour themselves: they use ``var(--ck-...)``, the
custom properties :func:`css_variables` renders from this module (the app ships them with
its stylesheet, the report template includes them), so a shade changes here, once.

Each severity has four shades: the colour itself (a finding's edge, a badge, an error),
its ``_TINT`` (the background of a pill or a box about it), its ``_EDGE`` (that box's
border) and its ``_TEXT`` (words on the tint, headings of its group); some also a ``_WASH``
(the background of a large area: a panel of text, half a map: fainter than the tint) and a
``_FILL`` (a grid's cell: stronger).
"""

from __future__ import annotations

import re
from typing import Final

INK: Final = "#0f172a"
"""Body text, titles and a picture's own labels."""
TEXT: Final = "#334155"
"""Secondary text that must read well: questions, labels, axis titles, legends."""
MUTED: Final = "#475569"
"""Notes and hints: scale numbers, sub-titles, table headers."""
SUBTLE: Final = "#64748b"
"""Axes, small print (page footers, "where" lines), what was dismissed."""
FAINT: Final = "#94a3b8"
"""What is not known, rules and dividers, an unrated finding's edge."""
LINE: Final = "#cbd5e1"
"""Frames and guide lines."""
GRID: Final = "#e2e8f0"
"""Grid lines, quiet borders of boxes and rows, an empty bar."""
NEUTRAL_TINT: Final = "#f1f5f9"
"""A neutral wash: behind the report page, a neutral pill, the faintest row dividers."""
PANEL: Final = "#f8fafc"
"""A panel a step off the paper: the coach panel, quoted words, plain text outputs."""
PAPER: Final = "#ffffff"
"""The page itself, and words on a strong colour (badges)."""
SHADOW: Final = "rgba(15, 23, 42, 0.12)"
"""The report page's shadow on screen (ink, faint)."""

HEADING: Final = "#1e3a5f"
"""The reports' navy: section headings, the customer's words and scores, the questions to
ask."""
LINK: Final = "#1d4ed8"
"""Links."""

# Severity and health, as the findings, the verdicts, the pills and the confidence bands
# show it.
CRITICAL: Final = "#b91c1c"
CRITICAL_TINT: Final = "#fee2e2"
CRITICAL_EDGE: Final = "#fca5a5"
CRITICAL_TEXT: Final = "#991b1b"
CRITICAL_FILL: Final = "#fecaca"
"""A cell of a grid at its worst (high exposure, a strong disagreement)."""
CRITICAL_WASH: Final = "#fef2f2"
"""A large area about it: a panel of text (a conflict to settle), a picture's area behind
coloured marks (the stakeholder map's "against" half). Fainter than the tint, which a
small pill needs to show but which would weigh on a whole panel and dim the marks on it."""

WARNING: Final = "#d97706"
WARNING_TINT: Final = "#fef3c7"
WARNING_EDGE: Final = "#fcd34d"
WARNING_TEXT: Final = "#92400e"
WARNING_FILL: Final = "#fde68a"
"""A grid's middle cell (medium exposure, a mild disagreement)."""
WARNING_WASH: Final = "#fffbeb"
"""A large area about it: the scenario brief beside the form, a banner, the seller's words."""

INFO: Final = "#2563eb"
INFO_TINT: Final = "#e0f2fe"
INFO_EDGE: Final = "#7dd3fc"
INFO_TEXT: Final = "#075985"

GOOD: Final = "#15803d"
GOOD_TINT: Final = "#dcfce7"
GOOD_EDGE: Final = "#86efac"
GOOD_TEXT: Final = "#166534"
GOOD_FILL: Final = "#d9f99d"
"""A grid's quiet cell (low exposure)."""
GOOD_WASH: Final = "#f0fdf4"
"""A large area about it: the reference card, the stakeholder map's "for" half."""

CUSTOMER: Final = HEADING
"""The customer's side of a comparison (their words, their score)."""
SELLER: Final = WARNING
"""The seller's side of a comparison."""

PREFIX: Final = "--ck-"
_COLOUR = re.compile(r"#[0-9a-f]{6}|rgba\([0-9., ]+\)")


def colours() -> dict[str, str]:
    """Every colour of this module as ``{"critical-tint": "#fee2e2", ...}``, in the order
    written above: the names the stylesheets use after ``--ck-``."""
    return {name.lower().replace("_", "-"): value for name, value in globals().items()
            if name.isupper() and isinstance(value, str) and _COLOUR.fullmatch(value)}


def css_variables() -> str:
    """The palette as CSS custom properties on ``:root``, for a ``<style>`` element or a
    stylesheet: ``:root { --ck-critical: #b91c1c; ... }``."""
    lines = "".join(f"  {PREFIX}{name}: {value};\n" for name, value in colours().items())
    return ":root {\n" + lines + "}\n"
