"""Coaching shown to the seller as they type: findings, questions, scores, as escaped HTML."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from coachkit.coaching.coach import Coaching, Question
from coachkit.coaching.registry import Finding
from coachkit.coaching.scores import Score


def badge(severity: str) -> str:
    """A coloured label; emoji are not on every machine (a bare server has no emoji font)."""
    return f"<span class='ck-badge ck-badge-{severity}'>{severity.upper()}</span>"


def findings_html(findings: Sequence[Finding], *, empty: str = "",
                  coaching: Coaching | None = None) -> str:
    """One card per finding: what is wrong, and the question to ask next; a finding a review
    dismissed says so, with the reason, greyed."""
    if not findings:
        return f"<div class='ck-ok'>{escape(empty)}</div>" if empty else ""
    cards = []
    for f in findings:
        d = coaching.dismissal(f) if coaching else None
        note = (f"<div class='ck-dismissal'>Dismissed in review {d.review} by "
                f"{escape(d.by)}: {escape(d.reason)}</div>" if d else "")
        cards.append(
            f"<div class='ck-finding ck-{f.severity.value}{' ck-dismissed' if d else ''}' "
            f"data-rule='{escape(f.rule)}'>"
            f"<div class='ck-finding-head'>{badge(f.severity.value)}"
            f"<b>{escape(f.message)}</b></div>"
            f"<div class='ck-question'>Ask: {escape(f.question)}</div>{note}"
            f"<div class='ck-rule'>{escape(f.rule)} · {escape(f.field)}</div></div>"
        )
    return "".join(cards)


def score_html(score: Score) -> str:
    """A score with the parts it is the sum of."""
    value = f"{score.value:.0f}" if score.known else "–"
    rows = "".join(
        f"<tr><td>{escape(p.name)}</td><td class='ck-num'>{p.points:.0f} / "
        f"{p.max_points:.0f}</td><td class='ck-note'>{escape(p.note)}</td></tr>"
        for p in score.parts)
    return (f"<div class='ck-score'><div class='ck-score-value'>{value}<span>/100</span></div>"
            f"<div class='ck-score-name'>{escape(score.name)}</div>"
            f"<table class='ck-parts'>{rows}</table></div>")


def questions_html(questions: Sequence[Question]) -> str:
    if not questions:
        return "<div class='ck-ok'>No open questions: coaching has nothing to ask.</div>"
    items = "".join(f"<li>{escape(q.text)}</li>" for q in questions)
    return f"<ol class='ck-questions'>{items}</ol>"


def verdict_html(coaching: Coaching) -> str:
    """The verdict and the findings that decide it: the first thing the Review step shows."""
    v = coaching.verdict
    because = "".join(f"<li>{escape(f.message)} <span class='ck-rule'>{escape(f.rule)}</span>"
                      "</li>" for f in v.because)
    return (f"<div class='ck-verdict ck-verdict-{escape(v.key)}' data-verdict='{escape(v.key)}'>"
            f"<div class='ck-verdict-label'>{escape(v.label)}</div>"
            f"<div class='ck-verdict-meaning'>{escape(v.meaning)}</div>"
            + (f"<ul class='ck-verdict-because'>{because}</ul>" if because else "")
            + "</div>")


def review_html(coaching: Coaching) -> str:
    """The Review step below its verdict: the scores, the questions, every finding by severity."""
    parts = ["<div class='ck-scores'>"]
    parts += [score_html(s) for s in coaching.scores.values()]
    parts.append("</div>")
    parts.append("<h3 class='ck-heading'>Questions for the next call</h3>")
    parts.append(questions_html(coaching.questions))
    for severity, findings, counted in coaching.groups():
        parts.append(f"<h3 class='ck-heading'>{badge(severity.value)} "
                     f"{severity.value.capitalize()} ({counted})</h3>")
        parts.append(findings_html(findings, coaching=coaching))
    if not coaching.findings:
        parts.append("<div class='ck-ok'>No findings: every rule for this stage is "
                     "satisfied.</div>")
    return "".join(parts)
