"""Coaching shown to the seller as they type: findings, questions, scores, as escaped HTML."""

from __future__ import annotations

from collections.abc import Sequence

from coachkit.coaching.coach import Coaching, Question
from coachkit.coaching.registry import Finding
from coachkit.coaching.scores import Score
from coachkit.html import Markup, html, join


def badge(severity: str) -> Markup:
    """A coloured label; emoji are not on every machine (a bare server has no emoji font)."""
    return html("<span class='ck-badge ck-badge-{}'>{}</span>", severity, severity.upper())


def findings_html(findings: Sequence[Finding], *, empty: str = "",
                  coaching: Coaching | None = None) -> Markup:
    """One card per finding: what is wrong, and the question to ask next; a finding a review
    dismissed says so, with the reason, greyed."""
    if not findings:
        return html("<div class='ck-ok'>{}</div>", empty) if empty else Markup()
    cards = []
    for f in findings:
        d = coaching.dismissal(f) if coaching else None
        note = (html("<div class='ck-dismissal'>Dismissed in review {} by {}: {}</div>",
                     d.review, d.by, d.reason) if d else Markup())
        cards.append(html(
            "<div class='ck-finding ck-{}{}' data-rule='{}'>"
            "<div class='ck-finding-head'>{}<b>{}</b></div>"
            "<div class='ck-question'>Ask: {}</div>{}"
            "<div class='ck-rule'>{} · {}</div></div>",
            f.severity.value, " ck-dismissed" if d else "", f.rule,
            badge(f.severity.value), f.message, f.question, note, f.rule, f.field))
    return join(cards)


def score_html(score: Score) -> Markup:
    """A score with the parts it is the sum of."""
    value = f"{score.value:.0f}" if score.known else "–"
    rows = join(html("<tr><td>{}</td><td class='ck-num'>{:.0f} / {:.0f}</td>"
                     "<td class='ck-note'>{}</td></tr>", p.name, p.points, p.max_points, p.note)
                for p in score.parts)
    return html("<div class='ck-score'><div class='ck-score-value'>{}<span>/100</span></div>"
                "<div class='ck-score-name'>{}</div><table class='ck-parts'>{}</table></div>",
                value, score.name, rows)


def questions_html(questions: Sequence[Question]) -> Markup:
    if not questions:
        return Markup("<div class='ck-ok'>No open questions: coaching has nothing to ask.</div>")
    return html("<ol class='ck-questions'>{}</ol>",
                join(html("<li>{}</li>", q.text) for q in questions))


def verdict_html(coaching: Coaching) -> Markup:
    """The verdict and the findings that decide it: the first thing the Review step shows."""
    v = coaching.verdict
    because = join(html("<li>{} <span class='ck-rule'>{}</span></li>", f.message, f.rule)
                   for f in v.because)
    return html("<div class='ck-verdict ck-verdict-{}' data-verdict='{}'>"
                "<div class='ck-verdict-label'>{}</div>"
                "<div class='ck-verdict-meaning'>{}</div>{}</div>",
                v.key, v.key, v.label, v.meaning,
                html("<ul class='ck-verdict-because'>{}</ul>", because) if because else "")


def review_html(coaching: Coaching) -> Markup:
    """The Review step below its verdict: the scores, the questions, every finding by severity."""
    parts = [html("<div class='ck-scores'>{}</div>",
                  join(score_html(s) for s in coaching.scores.values())),
             Markup("<h3 class='ck-heading'>Questions for the next call</h3>"),
             questions_html(coaching.questions)]
    for severity, findings, counted in coaching.groups():
        parts.append(html("<h3 class='ck-heading'>{} {} ({})</h3>", badge(severity.value),
                          severity.value.capitalize(), counted))
        parts.append(findings_html(findings, coaching=coaching))
    if not coaching.findings:
        parts.append(Markup("<div class='ck-ok'>No findings: every rule for this stage is "
                            "satisfied.</div>"))
    return join(parts)
