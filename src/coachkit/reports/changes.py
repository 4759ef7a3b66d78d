"""What changed since: fields changed, findings that appeared or were resolved, confidence moves.

A deal report compares the version it shows with the version that was latest at ``since``
(see :func:`coachkit.reports.reading.find_baseline`). Both are coached, each on its own day,
so a finding that appeared because a date passed shows up as well as one a seller's edit
caused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coachkit.clock import day_of, end_of
from coachkit.coaching.coach import Coach, Coaching
from coachkit.coaching.registry import Finding
from coachkit.model import DIMENSION_WORDS, DIMENSIONS, Deal
from coachkit.model.diff import changed_fields, path_steps, value_at
from coachkit.model.merge import item_label
from coachkit.model.messages import field_path
from coachkit.model.review import ActionState, Review
from coachkit.model.vocabulary import ITEM_NOUNS, field_title, value_words
from coachkit.reports.markup import Safe, blank, day, el, number, pill, section, text
from coachkit.reports.reading import Baseline
from coachkit.store import VersionInfo


@dataclass(frozen=True)
class Move:
    """A score that moved: a confidence dimension (customer's or seller's) or an index."""

    what: str
    before: float | None
    after: float | None


@dataclass(frozen=True)
class Changes:
    baseline: Baseline
    current: VersionInfo
    fields: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]
    appeared: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    moves: tuple[Move, ...]


def _key(f: Finding) -> tuple[str, str]:
    return (f.rule, f.field)


def compare(baseline: Baseline, current: VersionInfo, deal: Deal, coaching: Coaching,
            coach: Coach, reviews: Sequence[Review] = ()) -> Changes | None:
    """The changes from ``baseline`` to ``current``; None when the baseline is unreadable.
    Both sides are coached with the reviews recorded by then (dismissals included)."""
    if baseline.deal is None or baseline.version is None:
        return None
    old_deal = baseline.deal
    before, after = old_deal.to_json_dict(), deal.to_json_dict()
    fields = () if baseline.version.version == current.version else tuple(
        changed_fields(before, after))
    old = coach.run(old_deal, day_of(baseline.since),
                    [r for r in reviews if r.at <= end_of(baseline.since)])
    old_keys = {_key(f) for f in old.findings}
    new_keys = {_key(f) for f in coaching.findings}
    appeared = tuple(f for f in coaching.findings if _key(f) not in old_keys)
    resolved = tuple(f for f in old.findings if _key(f) not in new_keys)
    moves = []
    for side, label in (("customer", "customer"), ("seller", "our view")):
        was = getattr(old_deal.confidence, side).scores()
        now = getattr(deal.confidence, side).scores()
        for dim in DIMENSIONS:
            if was[dim] != now[dim]:
                moves.append(Move(f"{DIMENSION_WORDS[dim]} ({label})", was[dim], now[dim]))
    for name in ("confidence", "consensus"):
        a, b = old.scores[name], coaching.scores[name]
        if round(a.value) != round(b.value) or a.known != b.known:
            moves.append(Move(f"{b.name} index", round(a.value) if a.known else None,
                              round(b.value) if b.known else None))
    return Changes(baseline, current, fields, before, after, appeared, resolved, tuple(moves))


def shown(value: Any, limit: int = 160) -> str:
    """A changed value in a line: records by their first text, lists joined, long text cut."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        first = next((v for v in value.values() if isinstance(v, str) and v.strip()), None)
        return shown(first if first is not None else "(an entry)", limit)
    if isinstance(value, list):
        return "; ".join(shown(v, 60) for v in value) or "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    out = " ".join(str(value).split())
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"


def _title(steps: Sequence[str | int]) -> str:
    try:
        return field_title(steps)
    except (KeyError, StopIteration):
        return str(steps[-1]).replace("_", " ").capitalize()


def field_words(path: str, doc: Any) -> str:
    """A field path as a person names it: ``risks[2].owner`` -> "Risk ‘Sensors late’ ›
    Owner", ``confidence.customer.plan`` -> "The customer's confidence › their plan to
    change", ``problem.why_now`` -> "Why now" (``doc``: the deal, for the items' names)."""
    steps = path_steps(path)
    if not steps:
        return "the deal"
    words: list[str] = []
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, int):
            name = str(steps[i - 1]) if i else ""
            noun = ITEM_NOUNS.get(name, "item")
            item = value_at(doc, field_path(steps[: i + 1]))
            label = item_label(name, item) if item is not None else f"#{step + 1}"
            words.append(f"{noun.capitalize()} ‘{label}’")
        elif (i == 0 and not last) or (not last and isinstance(steps[i + 1], int)):
            continue  # the section is said by the field; a list by its item's noun
        else:
            words.append(_title(steps[: i + 1]))
    return " › ".join(words)


def _short(value: Any) -> str:
    out = shown(value, 70)
    if isinstance(value, str) and re.fullmatch(r"[a-z]+(_[a-z]+)+", value):
        out = value_words(value)  # an enumeration's value
    return out


def change_words(path: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    """One change as a sentence: "added milestone ‘Pilot on two depots’", "Why now:
    ‘…’ → ‘…’", "removed stakeholder ‘Jonas Berg’"."""
    if path.endswith(" (added)") or path.endswith(" (removed)"):
        kind = "added" if path.endswith(" (added)") else "removed"
        words = field_words(path, after if kind == "added" else before)
        head, _, item = words.rpartition(" › ")
        item = item[0].lower() + item[1:]
        return f"{kind} {item}" + (f" (in {head})" if head else "")
    title = field_words(path, after)
    old, new = value_at(before, path), value_at(after, path)
    if old in (None, "", []):
        return f"{title}: set to ‘{_short(new)}’"
    if new in (None, "", []):
        return f"{title}: cleared (was ‘{_short(old)}’)"
    if isinstance(new, bool):
        return f"{title}: {'yes' if new else 'no'} (was {'yes' if old else 'no'})"
    return f"{title}: ‘{_short(old)}’ → ‘{_short(new)}’"


def _finding_item(f: Finding, doc: Any = None) -> Safe:
    return el("li", el("span", f.severity.value, class_=f"pill {f.severity.value}"), " ",
              f.message, " ", el("span", field_words(f.field, doc or {}), class_="where")
              if f.field else None)


def changes_html(changes: Changes | None, baseline: Baseline, current: VersionInfo,
                 today: dt.date) -> Safe:
    review = baseline.review
    title = (f"What changed since the last review ({day(review.at)})" if review
             else f"What changed since {day(baseline.since)}")
    if changes is None:
        return section("changes", title, blank(
            f"Cannot compare: {baseline.problem or 'no earlier version'}"))
    base = changes.baseline.version
    assert base is not None
    saved = f"version {base.version} (saved {day(base.saved_at)} by {base.author})"
    if review is not None:
        note = (f"Compared {saved}, the one review {review.number} by {review.by} looked at, "
                f"with version {current.version} shown here." if base.version != current.version
                else f"No version was saved since review {review.number} by {review.by}: "
                     f"{saved} is the one shown.")
    elif changes.baseline.created_after and base.version == current.version:
        note = (f"The deal was created after that day, as {saved}, and has not changed since. "
                "Findings below changed with the date alone.")
    elif changes.baseline.created_after:
        note = (f"The deal was created after that day: compared its first version, {saved}, "
                f"with version {current.version} shown here.")
    elif base.version == current.version:
        note = (f"No version was saved since then: {saved} is the one shown. Findings below "
                "changed with the date alone.")
    else:
        note = f"Compared {saved}, the latest on that day, with version {current.version}."
    if changes.fields:
        fields = el("table", el("colgroup", el("col", style="width:30%"),
                                el("col", style="width:35%"), el("col", style="width:35%")),
                    el("thead", el("tr", el("th", "field"), el("th", "before"),
                                             el("th", "now"))),
                    el("tbody", [el("tr", el("td", field_words(path, changes.after
                                                               if "(removed)" not in path
                                                               else changes.before)),
                                    el("td", shown(value_at(changes.before, path)), class_="t"),
                                    el("td", shown(value_at(changes.after, path)), class_="t"))
                                 for path in changes.fields]), class_="changes")
    else:
        fields = blank("No field changed.")
    appeared = (el("ul", [_finding_item(f, changes.after) for f in changes.appeared],
                   class_="findings-brief")
                if changes.appeared else blank("No finding appeared."))
    resolved = (el("ul", [_finding_item(f, changes.before) for f in changes.resolved],
                   class_="findings-brief")
                if changes.resolved else blank("No finding was resolved."))

    def num(v: float | None) -> str:
        return "not assessed" if v is None else f"{v:g}"

    moves = (el("ul", [el("li", m.what, ": ", num(m.before), " → ", num(m.after),
                          _arrow(m)) for m in changes.moves])
             if changes.moves else blank("No confidence score moved."))
    return section(
        "changes", title,
        review_html(review, today, changes.after) if review else None,
        el("h3", f"Fields changed ({len(changes.fields)})"), fields,
        el("h3", f"Findings that appeared ({len(changes.appeared)})"), appeared,
        el("h3", f"Findings resolved ({len(changes.resolved)})"), resolved,
        el("h3", "Confidence moves"), moves,
        note=note,
    )


def review_html(review: Review, today: dt.date, doc: Any = None) -> Safe:
    """What the manager said in a review, and where its actions stand today."""
    actions = review.action_states()
    done = sum(a.done for a in actions)

    def state(a: ActionState) -> Safe:
        if a.done:
            return pill(f"done {day(a.done_at)}" + (f" by {a.done_by}" if a.done_by else ""),
                        "ok")
        if a.due is not None and a.due < today:
            return pill(f"overdue since {a.due.isoformat()}", "critical")
        return pill(f"due {a.due.isoformat()}" if a.due else "open", "warning")

    return el(
        "div",
        el("h3", f"Review {review.number}: {review.by}, {day(review.at)}"),
        el("p", text(review.note, empty="No note."), class_="review-note"),
        el("h3", f"Dismissed ({len(review.dismissed)})"),
        el("ul", [el("li", field_words(d.field, doc or {}) if d.field else "A finding", ": ",
                     el("span", d.reason, class_="t")) for d in review.dismissed])
        if review.dismissed else blank("Nothing dismissed."),
        el("h3", f"Actions ({done} of {len(actions)} done)"),
        el("ul", [el("li", el("span", a.text, class_="t"), " ", state(a)) for a in actions])
        if actions else blank("No actions."),
        el("h3", "The seller's answers"),
        el("ul", [el("li", el("strong", e.by), f" ({day(e.at)}"
                     + (f", about {e.about}" if e.about else "") + "): ",
                     el("span", e.text, class_="t")) for e in review.answers()])
        if review.answers() else blank("No answers yet."),
        class_="review",
    )


def _arrow(m: Move) -> Safe | None:
    if m.before is None or m.after is None:
        return None
    if m.after > m.before:
        return el("span", " ▲", class_="up")
    return el("span", " ▼", class_="down")
