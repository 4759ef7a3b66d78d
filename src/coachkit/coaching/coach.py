"""Coaching one deal: findings, scores and the questions for the next call, in one result.

The app (on every debounced edit), the reports and ``coachkit coach`` all call
:class:`Coach`, so a deal gets the same coaching wherever it is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coachkit.coaching.dismissals import Dismissed, Key, active, key
from coachkit.coaching.registry import Finding, Rule, Rulebook, Severity, registry
from coachkit.coaching.scores import (
    Score,
    completeness,
    confidence_index,
    consensus_index,
    section_completeness,
)
from coachkit.coaching.settings import Settings
from coachkit.model import Deal
from coachkit.model.review import Review
from coachkit.model.vocabulary import section_rank


@dataclass(frozen=True)
class Question:
    """A question for the seller to ask the customer, and the gap it comes from."""

    text: str
    rule: str
    field: str
    severity: Severity

    def to_json_dict(self) -> dict[str, str]:
        return {"question": self.text, "rule": self.rule, "field": self.field,
                "severity": self.severity.value}


@dataclass(frozen=True)
class Coaching:
    """Everything coaching says about one deal on one day."""

    deal_id: str
    today: dt.date
    findings: tuple[Finding, ...]
    scores: dict[str, Score]
    sections: dict[str, Score]
    questions: tuple[Question, ...]
    dismissed: Mapping[Key, Dismissed] = field(default_factory=dict)
    """Findings a review dismissed (still listed, no longer counted), by (rule, field)."""

    def dismissal(self, finding: Finding) -> Dismissed | None:
        return self.dismissed.get(key(finding))

    @property
    def standing(self) -> tuple[Finding, ...]:
        """The findings nobody dismissed: what counts."""
        return tuple(f for f in self.findings if key(f) not in self.dismissed)

    def by_severity(self) -> dict[Severity, list[Finding]]:
        out: dict[Severity, list[Finding]] = {s: [] for s in sorted(Severity,
                                                                    key=lambda s: s.rank)}
        for f in self.findings:
            out[f.severity].append(f)
        return out

    def for_section(self, section: str) -> list[Finding]:
        """The findings about one section of the deal."""
        return [f for f in self.findings if f.section == section]

    def counts(self) -> dict[str, int]:
        """Findings per severity, dismissed ones left out."""
        out = {s.value: 0 for s in Severity}
        for f in self.standing:
            out[f.severity.value] += 1
        return out

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "deal": self.deal_id,
            "today": self.today.isoformat(),
            "scores": {
                **{name: score.to_json_dict() for name, score in self.scores.items()},
                "sections": {name: score.to_json_dict() for name, score in self.sections.items()},
            },
            # a dismissed finding carries "dismissed"; the others keep their contracted keys
            "findings": [{**f.to_json_dict(), **({"dismissed": d.to_json_dict()} if (
                d := self.dismissal(f)) else {})} for f in self.findings],
            "questions": [q.to_json_dict() for q in self.questions],
        }


def questions_for(findings: Sequence[Finding], limit: int) -> tuple[Question, ...]:
    """The questions for the next call: most severe gaps first, in workbook order, no repeats."""
    seen: set[str] = set()
    out: list[Question] = []
    for f in sorted(findings, key=lambda f: (f.severity.rank, section_rank(f.section))):
        if f.question in seen:
            continue
        seen.add(f.question)
        out.append(Question(f.question, f.rule, f.field, f.severity))
    return tuple(out[:limit])


class Coach:
    """Settings, rules and product language loaded once; :meth:`run` per deal and day."""

    def __init__(self, settings: Settings | None = None,
                 rules: Mapping[str, Rule] | None = None):
        from coachkit.coaching.language import ProductLanguage
        from coachkit.coaching.settings import load_settings

        self.settings = settings if settings is not None else load_settings()
        self.rules = dict(rules if rules is not None else registry())
        self.rulebook = Rulebook.of(self.settings, self.rules)  # bad rule options fail here
        self.language = ProductLanguage.from_settings(self.settings)

    def run(self, deal: Deal, today: dt.date, reviews: Sequence[Review] = ()) -> Coaching:
        """Coach ``deal`` as on ``today``; findings that ``reviews`` dismissed are marked."""
        findings = tuple(self.rulebook.run(deal, today, self.language))
        dismissed = active(deal, reviews) if reviews else {}
        limit = self.settings.coaching.max_questions
        return Coaching(
            deal_id=deal.id,
            today=today,
            findings=findings,
            scores={
                "completeness": completeness(deal, self.settings),
                "confidence": confidence_index(deal),
                "consensus": consensus_index(deal, self.settings),
            },
            sections=section_completeness(deal, self.settings),
            questions=questions_for([f for f in findings if key(f) not in dismissed], limit),
            dismissed=dismissed,
        )


def coach(deal: Deal, today: dt.date, settings: Settings | None = None) -> Coaching:
    """Coach one deal (loads settings and rules; use :class:`Coach` to coach many)."""
    return Coach(settings).run(deal, today)
