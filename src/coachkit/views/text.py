"""Plain-text views of deals for the terminal: lists, one deal, its history."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from coachkit.coaching.coach import Coaching
from coachkit.errors import shown
from coachkit.model import Deal
from coachkit.model.diff import changed_sections
from coachkit.model.review import Review
from coachkit.model.vocabulary import field_title, section, value_words
from coachkit.store import Conflict, DealSummary, VersionInfo


def _money(value: float | None, currency: str) -> str:
    return "" if value is None else f"{value:,.0f} {currency}"


def width(text: str) -> int:
    """Columns a text takes in a terminal: CJK and other wide characters take two, combining
    marks none."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def cell(value: object, limit: int = 40) -> str:
    """A value as one table cell: on one line, control characters shown escaped (a newline or
    an escape sequence in a name must not break or colour the table), cut to ``limit``
    columns with an ellipsis."""
    text = shown(" ".join(str(value).splitlines()))
    if width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def table(rows: Sequence[Sequence[object]], header: Sequence[str],
          whole: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell (by display width); long cells are cut, except in
    the ``whole`` columns (ids the other commands take: cut, they are useless)."""
    cells = [[cell(c, 10_000 if i in whole else 40) for i, c in enumerate(row)]
             for row in [header, *rows]]
    widths = [max(width(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c + " " * (w - width(c)) for c, w in zip(row, widths, strict=True))
             .rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def deal_table(deals: Sequence[DealSummary]) -> str:
    rows = [
        (d.id, d.customer, d.title, d.stage, _money(d.value, d.currency),
         d.close_date.isoformat() if d.close_date else "", d.team, d.seller, str(d.version),
         f"{d.updated_at:%Y-%m-%d %H:%M}")
        for d in deals
    ]
    header = ("ID", "CUSTOMER", "TITLE", "STAGE", "VALUE", "CLOSE", "TEAM", "SELLER", "V",
              "UPDATED (UTC)")
    return table(rows, header, whole=(0,))  # `coachkit show ID` needs the whole id


def deal_text(found: VersionInfo) -> str:
    """A one-screen summary of a deal's change story, labelled as the app labels it."""
    deal = found.deal
    info, problem = deal.deal, deal.problem
    coi = problem.cost_of_inaction

    def fact(name: str, value: object) -> str:
        return f"{field_title(('deal', name))}: {value if value not in (None, '') else '-'}"

    lines = [
        f"{info.customer or '(no customer)'}: {info.title or '(no title)'}  [{info.id}]",
        " · ".join([fact("stage", value_words(info.stage)),
                    fact("value", _money(info.value, info.currency)),
                    fact("close_date", info.close_date), fact("seller", info.seller),
                    fact("team", info.team)]),
        f"version {found.version}, saved {found.saved_at:%Y-%m-%d %H:%M} UTC by {found.author}",
        "",
        section("problem").title
        + ("" if problem.in_customer_words else " (not yet in the customer's words)"),
        f"  {problem.statement or 'not yet filled'}",
    ]
    if problem.why_now:
        lines.append(f"  {field_title(('problem', 'why_now'))}: {problem.why_now}")
    amount = coi.money_amount()
    if amount is not None:
        lines.append(f"  {field_title(('problem', 'cost_of_inaction'))}: "
                     f"{amount:,.0f} {info.currency} per {coi.period.value}")
    elif coi.quantity():  # a count is never printed as money
        lines.append(f"  {field_title(('problem', 'cost_of_inaction'))}: {coi.quantity()} "
                     f"(no amount yet; missing {coi.missing()})")
    fit = deal.fit.good_for_customer
    lines += [
        "",
        " · ".join([
            f"{section('risks').title}: {len(deal.risks)}",
            f"{section('stakeholders').title}: {len(deal.stakeholders)} "
            f"({len(deal.active_stakeholders)} active)",
            f"{section('disagreements').title}: {len(deal.disagreements)} "
            f"({sum(not d.resolved for d in deal.disagreements)} open)",
            f"{section('plan').title}: {len(deal.plan)} milestones"]),
        f"{section('fit').title}: {fit.value if fit else 'not judged'}",
    ]
    return "\n".join(lines)


def history_text(versions: Sequence[VersionInfo], conflicts: Sequence[Conflict]) -> str:
    rows = []
    previous: dict | None = None
    for v in versions:
        doc = v.deal.to_json_dict()
        changed = "created" if previous is None else ", ".join(
            changed_sections(previous, doc)) or "no change"
        rows.append((str(v.version), f"{v.saved_at:%Y-%m-%d %H:%M:%S}", v.author, changed))
        previous = doc
    out = table(rows, ("VERSION", "SAVED (UTC)", "BY", "CHANGED"))
    if conflicts:
        out += "\n\nKept conflicts (coachkit restore ID):\n" + table(
            [(str(c.id), f"{c.saved_at:%Y-%m-%d %H:%M:%S}", c.author, str(c.base_version),
              f"version {c.restored_as}" if c.restored_as else "no") for c in conflicts],
            ("ID", "SAVED (UTC)", "BY", "FROM VERSION", "RESTORED"),
        )
    return out


def _parts(score: object) -> str:
    return "; ".join(
        f"{p.name} {p.points:.0f}/{p.max_points:.0f}" + (f" ({p.note})" if p.note else "")
        for p in score.parts  # type: ignore[attr-defined]
    )


def coaching_text(deal: Deal, result: Coaching) -> str:
    """Findings by severity with their questions, the scores with their parts, the questions."""
    info = deal.deal
    lines = [
        f"{info.customer or '(no customer)'}: {info.title or '(no title)'}  [{info.id}]",
        f"{field_title(('deal', 'stage')).lower()} {value_words(info.stage)}, coached as on "
        f"{result.today.isoformat()}",
        "",
        f"Verdict: {result.verdict.label}. {result.verdict.meaning}",
    ]
    lines += [f"  because [{f.rule}] {f.message}" for f in result.verdict.because]
    lines += ["", "Scores"]
    for score in result.scores.values():
        shown = f"{score.value:.0f}/100" if score.known else "unknown"
        lines.append(f"  {score.name}: {shown}")
        lines.append(f"    {_parts(score)}")
    lines.append("  sections: " + ", ".join(
        f"{s.name} {s.value:.0f}%" if s.known else f"{s.name} not measured"
        for s in result.sections.values()))
    for severity, findings, counted in result.groups():
        lines += ["", f"{severity.value.capitalize()} ({counted})"]
        for f in findings:
            dismissed = result.dismissal(f)
            lines.append(f"  [{f.rule}] {f.field}" + (
                f"  (dismissed in review {dismissed.review} by {cell(dismissed.by, 40)}: "
                f"{cell(dismissed.reason, 120)})" if dismissed else ""))
            lines.append(f"    {f.message}")
            lines.append(f"    Ask: {f.question}")
    if not result.findings:
        lines += ["", "No findings: every rule for this stage is satisfied."]
    if result.questions:
        lines += ["", "Questions for the next call"]
        lines += [f"  {i}. {q.text}" for i, q in enumerate(result.questions, 1)]
    return "\n".join(lines)


def reviews_text(reviews: Sequence[Review]) -> str:
    """Each review: who, when, of which version; the note, dismissals, actions, answers."""
    blocks = []
    for r in reviews:
        lines = [f"Review {r.number} of version {r.version}, {r.at:%Y-%m-%d %H:%M} UTC by "
                 f"{cell(r.by, 80)}"]
        if r.note.strip():
            lines.append(f"  Note: {cell(r.note, 200)}")
        for d in r.dismissed:
            lines.append(f"  Dismissed [{d.rule}] {d.field}: {cell(d.reason, 160)}")
        for i, a in enumerate(r.action_states(), 1):
            state = (f"done {a.done_at:%Y-%m-%d} by {cell(a.done_by, 40)}" if a.done_at
                     else "open")
            due = f", due {a.due.isoformat()}" if a.due else ""
            lines.append(f"  Action {r.number}.{i}: {cell(a.text, 160)} ({state}{due})")
        for answer in r.answers():
            lines.append(f"  Answer by {cell(answer.by, 40)} on {answer.at:%Y-%m-%d}"
                         f"{f' ({answer.about})' if answer.about else ''}: "
                         f"{cell(answer.text, 200)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
