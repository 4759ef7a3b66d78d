"""What changed in a team's pipeline this week, in the spirit of pipeline-change views: new
deals, close dates moved, stage changes, decision confidence up or down, deals gone quiet,
plan milestones that became overdue.

Each deal is compared with the version that was latest when the week began; the week ends on
the report's day. Thresholds come from the settings (``[reports]``, and the stale-deal rule's
``max_days`` for "quiet").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coachkit.coaching.scores import confidence_index
from coachkit.model import Deal
from coachkit.model.vocabulary import value_words
from coachkit.reports.markup import Safe, blank, el, section


@dataclass(frozen=True)
class Change:
    """One line of the week: which deal, what kind of change, what it was and is."""

    deal_id: str
    customer: str
    kind: str
    what: str


KINDS = ("new deals", "close dates moved", "stage changes", "decision confidence up",
         "decision confidence down", "gone quiet", "milestones overdue")
"""The groups of the week's changes, in the order the report shows them."""


def deal_changes(now: Deal, before: Deal | None, today: dt.date, *, week_days: int,
                 confidence_move: float, quiet_days: int) -> list[Change]:
    """This week's changes of one deal (``before``: the version latest when the week began;
    None for a deal created this week)."""
    info = now.deal
    name = info.customer or info.id

    def change(kind: str, what: str) -> Change:
        return Change(info.id, name, kind, what)

    start = today - dt.timedelta(days=week_days)
    if before is None:
        return [change("new deals", f"{value_words(info.stage)}, {info.title or 'no title'}")]
    out = []
    was = before.deal
    if was.close_date != info.close_date:
        out.append(change("close dates moved",
                          f"{_day(was.close_date)} → {_day(info.close_date)}"))
    if was.stage != info.stage:
        out.append(change("stage changes", f"{value_words(was.stage)} → "
                                           f"{value_words(info.stage)}"))
    a, b = confidence_index(before), confidence_index(now)
    if a.known and b.known and abs(b.value - a.value) >= confidence_move:
        kind = "decision confidence up" if b.value > a.value else "decision confidence down"
        out.append(change(kind, f"{a.value:.0f} → {b.value:.0f}"))
    elif b.known and not a.known:
        out.append(change("decision confidence up", f"first assessed: {b.value:.0f}"))
    silent_now, silent_then = now.days_since_contact(today), before.days_since_contact(start)
    if not now.closed and silent_now is not None and silent_now > quiet_days and (
            silent_then is None or silent_then <= quiet_days):
        out.append(change("gone quiet", f"no contact for {silent_now} days"))
    for m in now.plan:
        if m.date is not None and start <= m.date < today and not m.done:
            out.append(change("milestones overdue", f"{m.milestone or 'a milestone'} "
                                                    f"(due {m.date.isoformat()})"))
    return out


def week_html(changes: list[Change], today: dt.date, week_days: int,
              link: dict[str, str], *, lines: int) -> Safe:
    """The week's changes grouped by kind, each deal linked to its report. Each kind shows
    its first ``lines`` changes (the caller's order: the team report puts the riskiest deals
    first); the rest fold away under "and N more" (``<details>``: no script; on paper only
    the count)."""
    start = today - dt.timedelta(days=week_days)
    title = f"Changes this week ({start.isoformat()} to {today.isoformat()})"
    if not changes:
        return section("week", title, blank("Nothing moved this week."))

    def items(found: list[Change]) -> Safe:
        return el("ul", [el("li", el("a", c.customer, href=link[c.deal_id])
                            if link.get(c.deal_id) else el("strong", c.customer),
                            ": ", el("span", c.what, class_="t")) for c in found],
                  class_="week")

    body = []
    for kind in KINDS:
        found = [c for c in changes if c.kind == kind]
        if not found:
            continue
        body.append(el("h3", f"{kind.capitalize()} ({len(found)})"))
        body.append(items(found[:lines]))
        if len(found) > lines:
            body.append(el("details", el("summary", f"and {len(found) - lines} more"),
                           items(found[lines:]), class_="week-more"))
    return section("week", title, *body,
                   note="Compared with each deal as it was when the week began; in each group "
                        "the deals at highest risk come first.")


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "no date"
