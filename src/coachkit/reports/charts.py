"""Charts for the team report: matplotlib, drawn to SVG and embedded as a ``data:`` image.

matplotlib is imported inside the functions (about a second in a fresh kernel), so only the
team report pays for it. No pyplot (no GUI backend, no global state): a bare
:class:`~matplotlib.figure.Figure` saved as SVG, with text drawn as paths
(``svg.fonttype = "path"``: the picture needs no font on the reader's machine) and without
the metadata and DOCTYPE that name outside addresses. The SVG travels base64-encoded in an
``<img src="data:image/svg+xml;base64,...">``: an image never runs script, its ids cannot
clash with another chart's, and the HTML opens offline.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from coachkit.coaching.settings import ConfidenceSettings
from coachkit.reports.markup import Safe, el
from coachkit.views.palette import CRITICAL, FAINT, GOOD, INK, LINE, SUBTLE, TEXT, WARNING

BAND_COLOURS = {"high": GOOD, "medium": WARNING, "low": CRITICAL,
                "unknown": FAINT}
STYLE: dict[str, Any] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "coachkit",  # the same picture gives the same file
    "text.parse_math": False,  # a "$" in a customer's name is a dollar, not TeX
    "font.family": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": SUBTLE,
    "axes.labelcolor": TEXT,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
}
_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


@dataclass(frozen=True)
class PipelineDeal:
    """What the charts need of one deal."""

    label: str
    value: float | None
    currency: str
    confidence: float | None
    stage: str


def band_labels(bands: ConfidenceSettings) -> dict[str, str]:
    """The decision-confidence bands as the charts name them, in order."""
    return {"high": f"high ({bands.high:g}+)",
            "medium": f"medium ({bands.medium:g}-{bands.high - 1:g})",
            "low": f"low (under {bands.medium:g})", "unknown": "not assessed"}


def svg_image(fig: Any, alt: str) -> Safe:
    """A matplotlib figure as an embedded SVG image (no outside references)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight",
                metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    svg = _METADATA.sub("", _PROLOGUE.sub("", buffer.getvalue(), count=1))
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return el("img", src=f"data:image/svg+xml;base64,{data}", alt=alt, class_="chart")


def _figure(width: float, height: float) -> Any:
    import matplotlib

    cast(Any, matplotlib.rcParams).update(STYLE)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def pipeline_value(deals: Sequence[PipelineDeal], bands: ConfidenceSettings) -> Safe:
    """Open pipeline value by decision-confidence band, one panel per currency (values in
    different currencies are never added up)."""
    currencies = sorted({d.currency for d in deals if d.value})
    if not currencies:
        return el("p", "No deal has a value yet: not yet filled.", class_="empty")
    labels = band_labels(bands)
    names = list(labels)
    fig = _figure(7.0, 0.4 + 1.3 * len(currencies))
    axes = fig.subplots(len(currencies), 1, squeeze=False)[:, 0]
    for ax, currency in zip(axes, currencies, strict=True):
        totals = {n: 0.0 for n in names}
        counts = {n: 0 for n in names}
        for d in deals:
            if d.currency == currency and d.value:
                totals[bands.band(d.confidence)] += d.value
                counts[bands.band(d.confidence)] += 1
        y = list(range(len(names)))[::-1]
        ax.barh(y, [totals[n] for n in names], color=[BAND_COLOURS[n] for n in names],
                height=0.7)
        ax.set_yticks(y, [labels[n] for n in names])
        ax.set_title(f"Pipeline in {currency}", loc="left", fontsize=9, color=INK)
        ax.xaxis.set_major_formatter(_money_formatter())
        top = max(totals.values()) or 1.0
        for yy, n in zip(y, names, strict=True):
            if counts[n]:
                ax.text(totals[n] + top * 0.01, yy, f"{counts[n]} deal{'s' * (counts[n] != 1)}",
                        va="center", fontsize=8, color=TEXT)
        ax.set_xlim(0, top * 1.18)
    return svg_image(fig, "Open pipeline value by decision confidence")


def deals_by_confidence(deals: Sequence[PipelineDeal], bands: ConfidenceSettings) -> Safe:
    """Each open deal's decision-confidence index, lowest first, coloured by band."""
    rated = sorted((d for d in deals if d.confidence is not None),
                   key=lambda d: (d.confidence, d.label))
    if not rated:
        return el("p", "No deal has the customer's confidence assessed: not yet filled.",
                  class_="empty")
    shown = rated[:40]
    fig = _figure(7.0, 0.6 + 0.22 * len(shown))
    ax = fig.subplots()
    y = list(range(len(shown)))[::-1]
    ax.barh(y, [d.confidence for d in shown],
            color=[BAND_COLOURS[bands.band(d.confidence)] for d in shown], height=0.7)
    ax.set_yticks(y, [_short(d.label) for d in shown], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("decision confidence index (customer's side)")
    ax.set_title("Decision confidence of each open deal" + (
        f" (the {len(shown)} least confident)" if len(rated) > len(shown) else ""),
        loc="left", fontsize=9, color=INK)
    for x in (bands.medium, bands.high):
        ax.axvline(x, color=LINE, linewidth=0.8, zorder=0)
    return svg_image(fig, "Decision confidence of each open deal")


def _short(label: str, limit: int = 38) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _money_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    def fmt(x: float, _pos: int) -> str:
        if x >= 1e6:
            return f"{x / 1e6:g}M"
        if x >= 1e3:
            return f"{x / 1e3:g}k"
        return f"{x:g}"

    return FuncFormatter(fmt)
