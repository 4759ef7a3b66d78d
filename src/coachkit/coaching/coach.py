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
from coachkit.coaching.questions import Question, questions_for
from coachkit.coaching.registry import Finding, Rule, Rulebook, Severity, registry
from coachkit.coaching.scores import (
    Score,
    completeness,
    confidence_index,
    consensus_index,
    section_completeness,
)
from coachkit.coaching.settings import Settings
from coachkit.coaching.verdict import Verdict, check_settings, verdict_for
from coachkit.model import Deal
from coachkit.model.review import Review

__all__ = ["Coach", "Coaching", "Question"]


@dataclass(frozen=True)
class Coaching:
    """Everything coaching says about one deal on one day."""

    deal_id: str
    today: dt.date
    findings: tuple[Finding, ...]
    scores: dict[str, Score]
    sections: dict[str, Score]
    questions: tuple[Question, ...]
    verdict: Verdict
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

    def count(self, findings: Sequence[Finding]) -> int:
        """How many of ``findings`` count: the one place a shown number of findings is made
        (the terminal, the app and the reports all call it), dismissed ones left out."""
        return sum(1 for f in findings if key(f) not in self.dismissed)

    def groups(self) -> list[tuple[Severity, list[Finding], int]]:
        """Each severity with findings: its findings (dismissed ones listed) and their
        count (dismissed ones not counted)."""
        return [(s, fs, self.count(fs)) for s, fs in self.by_severity().items() if fs]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "deal": self.deal_id,
            "today": self.today.isoformat(),
            "verdict": self.verdict.to_json_dict(),
            "counts": self.counts(),
            "scores": {
                **{name: score.to_json_dict() for name, score in self.scores.items()},
                "sections": {name: score.to_json_dict() for name, score in self.sections.items()},
            },
            # a dismissed finding carries "dismissed"; the others keep their contracted keys
            "findings": [{**f.to_json_dict(), **({"dismissed": d.to_json_dict()} if (
                d := self.dismissal(f)) else {})} for f in self.findings],
            "questions": [q.to_json_dict() for q in self.questions],
        }


class Coach:
    """Settings, rules and product language loaded once; :meth:`run` per deal and day."""

    def __init__(self, settings: Settings | None = None,
                 rules: Mapping[str, Rule] | None = None):
        from coachkit.coaching.language import ProductLanguage
        from coachkit.coaching.settings import load_settings

        self.settings = settings if settings is not None else load_settings()
        self.rules = dict(rules if rules is not None else registry())
        self.rulebook = Rulebook.of(self.settings, self.rules)  # bad rule options fail here
        check_settings(self.settings, self.rules)
        self.language = ProductLanguage.from_settings(self.settings)

    def run(self, deal: Deal, today: dt.date, reviews: Sequence[Review] = ()) -> Coaching:
        """Coach ``deal`` as on ``today``; findings that ``reviews`` dismissed are marked."""
        findings = tuple(self.rulebook.run(deal, today, self.language))
        dismissed = active(deal, reviews) if reviews else {}
        standing = [f for f in findings if key(f) not in dismissed]
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
            questions=questions_for(deal, standing, self.settings,
                                    {f.topic for f in findings if key(f) in dismissed}),
            verdict=verdict_for(deal, standing, self.settings),
            dismissed=dismissed,
        )

