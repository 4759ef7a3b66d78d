"""The stakeholder map and the risk map as inline SVG: no JavaScript, no image files.

The app shows them in an HTML widget and the reports embed them, so both draw the same
picture. Built with :func:`coachkit.html.html`: every value is escaped by construction.
"""

from __future__ import annotations

from coachkit.coaching.settings import RiskSettings
from coachkit.html import Markup, html, join
from coachkit.model import Deal, Role, Stakeholder
from coachkit.model.deal import SCORES, STANCES, score_share, stance_share
from coachkit.model.vocabulary import value_words
from coachkit.views.palette import (
    CRITICAL,
    CRITICAL_FILL,
    CRITICAL_WASH,
    FAINT,
    GOOD,
    GOOD_FILL,
    GOOD_WASH,
    INFO,
    INK,
    MUTED,
    TEXT,
    WARNING_FILL,
)

ROLE_COLOURS: dict[Role, str] = {
    Role.economic_buyer: "#b45309",
    Role.champion: GOOD,
    Role.coach: "#0f766e",
    Role.user: INFO,
    Role.technical: "#7c3aed",
    Role.influencer: MUTED,
    Role.blocker: CRITICAL,
}

role_label = value_words
"""A role in words (the deal report's name for :func:`value_words`; it moves there later)."""

FONT = "font-family='Helvetica, Arial, sans-serif'"


def stakeholder_map(deal: Deal, width: int = 460, height: int = 300) -> Markup:
    """Influence (up) against stance (right), coloured by role; drop-in people are hollow."""
    left, right, top, bottom = 40, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(stance: float) -> float:
        return left + stance_share(stance) * plot_w

    def y(influence: float) -> float:
        return top + (1 - score_share(influence)) * plot_h

    out = [f"<svg width='{width}' height='{height}' "
           f"viewBox='0 0 {width} {height}' role='img' aria-label='Stakeholder map'>",
           f"<rect x='{left}' y='{top}' width='{plot_w / 2}' height='{plot_h}' "
           f"fill='{CRITICAL_WASH}'/>",
           f"<rect x='{left + plot_w / 2}' y='{top}' width='{plot_w / 2}' height='{plot_h}' "
           f"fill='{GOOD_WASH}'/>",
           f"<line x1='{x(0)}' y1='{top}' x2='{x(0)}' y2='{top + plot_h}' stroke='{FAINT}'/>"]
    for influence in SCORES:
        out.append(f"<text x='{left - 8}' y='{y(influence) + 4}' font-size='11' {FONT} "
                   f"text-anchor='end' fill='{MUTED}'>{influence}</text>")
    for stance in (STANCES[0], 0, STANCES[-1]):
        out.append(f"<text x='{x(stance)}' y='{top + plot_h + 14}' font-size='11' {FONT} "
                   f"text-anchor='middle' fill='{MUTED}'>{stance:+d}</text>")
    out.append(f"<text x='{left + plot_w / 2}' y='{height - 6}' font-size='11' {FONT} "
               f"text-anchor='middle' fill='{TEXT}'>stance: against ← → for</text>")
    out.append(f"<text x='12' y='{top + plot_h / 2}' font-size='11' {FONT} fill='{TEXT}' "
               f"text-anchor='middle' transform='rotate(-90 12 {top + plot_h / 2})'>"
               "influence</text>")
    placed: dict[tuple[int, int], int] = {}
    dots: list[tuple[Stakeholder, int, float, float]] = []
    unplaced = []
    for person in deal.stakeholders:
        if person.stance is None or person.influence is None:
            unplaced.append(person.name)
            continue
        key = (person.stance, person.influence)
        offset = placed.get(key, 0)
        placed[key] = offset + 1
        dots.append((person, person.stance, x(person.stance),
                     y(person.influence) + offset * 14))
    # Labels may not cover a dot or an earlier label: move a label down until it is clear.
    taken = [(cx - 7, cx + 7, cy) for _, _, cx, cy in dots]
    for person, stance, cx, cy in dots:
        colour = ROLE_COLOURS[person.role]
        fill = colour if person.active else "white"
        name = person.name[:24]
        tip = (f"{person.name} ({value_words(person.role)}, influence {person.influence}, "
               f"stance {stance:+d}{'' if person.active else ', drops in'})")
        anchor, dx = ("end", -9) if stance >= 4 else ("start", 9)
        span = 6.6 * len(person.name[:24])
        x0 = cx + dx - (span if anchor == "end" else 0)
        ly = cy + 4
        while any(a < x0 + span and x0 < b and abs(ly - 4 - y0) < 12 for a, b, y0 in taken
                  if (a, b, y0) != (cx - 7, cx + 7, cy)):
            ly += 12
        taken.append((x0, x0 + span, ly - 4))
        out.append(html("<g><title>{}</title><circle cx='{:.1f}' cy='{:.1f}' r='6' "
                        "fill='{}' stroke='{}' stroke-width='2'/>"
                        "<text x='{:.1f}' y='{:.1f}' font-size='11' " + FONT + " "
                        "text-anchor='{}' fill='{}'>{}</text></g>",
                        tip, cx, cy, fill, colour, cx + dx, ly, anchor, INK, name))
    out.append("</svg>")
    legend = join((html("<span style='color:{}'>●</span>&nbsp;{}", c, value_words(r))
                   for r, c in ROLE_COLOURS.items() if any(s.role == r for s in deal.stakeholders)),
                  " ")
    notes: list[Markup] = []
    if legend:
        notes.append(legend + Markup(" &nbsp; ○&nbsp;drops in"))
    if unplaced:
        notes.append(html("Not placed (influence or stance unknown): {}", join(unplaced, ", ")))
    return Markup("".join(out)) + join(html("<div class='ck-map-note'>{}</div>", n)
                                       for n in notes)


def exposure_colour(exposure: int, risks: RiskSettings) -> str:
    if exposure >= risks.high_exposure:
        return CRITICAL_FILL
    if exposure >= risks.medium_exposure:
        return WARNING_FILL
    return GOOD_FILL


def risk_map(deal: Deal, risks: RiskSettings, size: int = 300) -> Markup:
    """Likelihood (right) against impact (up); each risk is its number in its cell."""
    left, top, bottom = 34, 10, 34
    low, high, levels = SCORES[0], SCORES[-1], len(SCORES)  # the 1-5 scale, both ways
    cell = (size - left - 10) / levels
    height = top + cell * levels + bottom
    out = [f"<svg width='{size}' height='{height:.0f}' "
           f"viewBox='0 0 {size} {height:.0f}' role='img' aria-label='Risk map'>"]
    for likelihood in SCORES:
        for impact in SCORES:
            out.append(f"<rect x='{left + (likelihood - low) * cell:.1f}' "
                       f"y='{top + (high - impact) * cell:.1f}' width='{cell:.1f}' "
                       f"height='{cell:.1f}' fill='{exposure_colour(likelihood * impact, risks)}' "
                       "stroke='white'/>")
    for n in SCORES:
        out.append(f"<text x='{left + (n - low + 0.5) * cell:.1f}' "
                   f"y='{top + levels * cell + 14:.1f}' "
                   f"font-size='11' {FONT} text-anchor='middle' fill='{MUTED}'>{n}</text>")
        out.append(f"<text x='{left - 8}' y='{top + (high - n + 0.5) * cell + 4:.1f}' "
                   f"font-size='11' {FONT} text-anchor='end' fill='{MUTED}'>{n}</text>")
    out.append(f"<text x='{left + levels / 2 * cell:.1f}' y='{height - 4:.0f}' font-size='11' "
               f"{FONT} text-anchor='middle' fill='{TEXT}'>likelihood →</text>")
    out.append(f"<text x='10' y='{top + levels / 2 * cell:.1f}' font-size='11' {FONT} "
               f"text-anchor='middle' fill='{TEXT}' "
               f"transform='rotate(-90 10 {top + levels / 2 * cell:.1f})'>impact →</text>")
    in_cell: dict[tuple[int, int], int] = {}
    unrated = []
    for number, risk in enumerate(deal.risks, 1):
        if risk.likelihood is None or risk.impact is None:
            unrated.append(number)
            continue
        key = (risk.likelihood, risk.impact)
        k = in_cell.get(key, 0)
        in_cell[key] = k + 1
        cx = left + (risk.likelihood - low) * cell + 12 + (k % 3) * 16
        cy = top + (high - risk.impact) * cell + 14 + (k // 3) * 16
        weight = "bold" if risk.status.value == "open" else "normal"
        tip = f"{number}. {risk.description} ({risk.status.value})"
        out.append(html("<g><title>{}</title><circle cx='{:.1f}' cy='{:.1f}' r='7.5' "
                        "fill='white' stroke='{}'/><text x='{:.1f}' y='{:.1f}' "
                        "font-size='10' font-weight='{}' " + FONT + " text-anchor='middle'>"
                        "{}</text></g>", tip, cx, cy, TEXT, cx, cy + 4, weight, number))
    out.append("</svg>")
    if unrated:
        out.append(html("<div class='ck-map-note'>Not rated yet: {}</div>",
                        join([f"risk {n}" for n in unrated], ", ")))
    return Markup("".join(out))
