"""Deal health over time: completeness, decision confidence and consensus, one point a day.

The scores are sums of the deal's own fields (no rules run), so a deal's whole history is
cheap to score. Drawn as hand-made SVG, like the maps: the deal report stays free of
matplotlib, and the team report's sparklines are the same function, small.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from coachkit.coaching.scores import completeness, confidence_index, consensus_index
from coachkit.coaching.settings import Settings
from coachkit.errors import InvalidWorkbook
from coachkit.reports.markup import Safe, esc
from coachkit.store import VersionInfo
from coachkit.views.palette import GOOD, GRID, INFO, MUTED, TEXT

SERIES = (("completeness", TEXT), ("confidence", INFO), ("consensus", GOOD))
"""The three lines, in the order of the legend, with their colours."""


@dataclass(frozen=True)
class Point:
    """A deal's scores at the end of one day (None: not known yet)."""

    day: dt.date
    version: int
    completeness: float
    confidence: float | None
    consensus: float | None


def daily(versions: Sequence[VersionInfo], settings: Settings) -> list[Point]:
    """The last version of each day, scored (unreadable versions are left out)."""
    last: dict[dt.date, VersionInfo] = {}
    for v in versions:
        last[v.saved_at.date()] = v
    points = []
    for day_, version in sorted(last.items()):
        try:
            deal = version.deal
        except InvalidWorkbook:
            continue
        conf, cons = confidence_index(deal), consensus_index(deal, settings)
        points.append(Point(day_, version.version, completeness(deal, settings).value,
                            conf.value if conf.known else None,
                            cons.value if cons.known else None))
    return points


def chart(points: Sequence[Point], width: int = 640, height: int = 220,
          legend: bool = True) -> Safe:
    """The three scores against the date, as inline SVG (0-100 up, days across): numbers
    and colours made here, the series' names escaped."""
    if not points:
        return Safe("")
    left, right, top, bottom = (34, 12, 10, 34) if legend else (2, 2, 2, 2)
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)

    def x(day_: dt.date) -> float:
        return left + (day_ - first).days / span * plot_w if len(points) > 1 else left + plot_w

    def y(value: float) -> float:
        return top + (100 - value) / 100 * plot_h

    size = (f"width='{width}' height='{height}'" if legend else
            f"width='100%' height='{height}' preserveAspectRatio='none'")  # fits its cell
    out = [f"<svg {size} viewBox='0 0 {width} {height}' "
           "role='img' aria-label='Deal health over time'>"]
    if legend:
        for level in (0, 50, 100):
            out.append(f"<line x1='{left}' y1='{y(level):.1f}' x2='{left + plot_w}' "
                       f"y2='{y(level):.1f}' stroke='{GRID}'/>"
                       f"<text x='{left - 6}' y='{y(level) + 4:.1f}' font-size='10' "
                       f"text-anchor='end' fill='{MUTED}'>{level}</text>")
        for day_, anchor in dict.fromkeys(((first, "start"), (last, "end"))):
            out.append(f"<text x='{x(day_):.1f}' y='{top + plot_h + 14}' font-size='10' "
                       f"text-anchor='{anchor}' fill='{MUTED}'>{day_.isoformat()}</text>")
    for name, colour in SERIES:
        values = [(x(p.day), y(v)) for p in points if (v := getattr(p, name)) is not None]
        if not values:
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in values)
        out.append(f"<polyline points='{path}' fill='none' stroke='{colour}' "
                   f"stroke-width='{2 if legend else 1.5}'/>")
        px, py = values[-1]
        out.append(f"<circle cx='{px:.1f}' cy='{py:.1f}' r='{3 if legend else 2}' "
                   f"fill='{colour}'><title>{esc(name)} {getattr(points[-1], name) or 0:.0f}"
                   "</title></circle>")
    if legend:
        x0 = left
        for name, colour in SERIES:
            out.append(f"<rect x='{x0}' y='{height - 12}' width='10' height='3' "
                       f"fill='{colour}'/><text x='{x0 + 14}' y='{height - 8}' font-size='10' "
                       f"fill='{TEXT}'>{esc(name)}</text>")
            x0 += 110
    out.append("</svg>")
    return Safe("".join(out))
