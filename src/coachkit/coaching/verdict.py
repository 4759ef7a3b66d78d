"""The verdict on a deal: what a coach would tell the seller to do next, and why.

Derived from the standing findings (dismissed ones do not count) by the rules of
``[verdicts]`` in settings.toml: the verdicts in ``order`` are checked in turn, and the first
whose rules have enough findings decides, shown with the findings that decided it. If none
does, the stage and the number of warnings left say whether the deal is on track.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from coachkit.coaching.registry import Finding, Severity
from coachkit.coaching.settings import Settings
from coachkit.model import Deal, Stage

LABELS: dict[str, tuple[str, str]] = {
    "walk-away": ("Walk away",
                  "We doubt this is a good decision for the customer: say so, and stop."),
    "back-to-discovery": ("Back to discovery",
                          "The customer's problem, its cost or its urgency is not yet "
                          "theirs: find it with them before proposing anything."),
    "keep-discovering": ("Keep discovering",
                         "The change story is still being told: ask the questions below "
                         "before qualifying the deal."),
    "multi-thread-first": ("Multi-thread first",
                           "The buying group is not with us: meet the people who decide and "
                           "help them agree before moving on."),
    "fix-the-plan": ("Fix the plan",
                     "The plan does not lead to the decision: agree dates and owners with "
                     "the customer."),
    "close-the-gaps": ("Close the gaps",
                       "Nothing is fatal, but too much is open to move on: work through "
                       "the findings below."),
    "ready-to-propose": ("Ready to propose",
                         "The story holds and nothing serious stands: take it to a proposal."),
    "on-track": ("On track",
                 "Nothing serious stands: keep the plan's dates and the people engaged."),
    "closed": ("Closed", "Won or lost: history, not a deal to coach."),
}
"""Each verdict's label and what it tells the seller: the one home of these words."""


@dataclass(frozen=True)
class Verdict:
    """A verdict, what it means, and the findings that decided it."""

    key: str
    because: tuple[Finding, ...]

    @property
    def label(self) -> str:
        return LABELS[self.key][0]

    @property
    def meaning(self) -> str:
        return LABELS[self.key][1]

    def to_json_dict(self) -> dict[str, object]:
        return {"verdict": self.key, "label": self.label, "meaning": self.meaning,
                "because": [{"rule": f.rule, "field": f.field, "message": f.message}
                            for f in self.because]}


def _holds(found: Sequence[Finding], min_critical: int, min_warning: int) -> bool:
    critical = sum(f.severity == Severity.critical for f in found)
    serious = sum(f.severity != Severity.info for f in found)
    return (min_critical > 0 and critical >= min_critical) or (
        min_warning > 0 and serious >= min_warning)


def verdict_for(deal: Deal, standing: Sequence[Finding], settings: Settings) -> Verdict:
    """The verdict on ``deal`` from its ``standing`` findings (in their order)."""
    cfg = settings.verdicts
    shown = cfg.shown_findings
    if deal.closed and not settings.coaching.coach_closed_deals:
        return Verdict("closed", ())
    serious = [f for f in standing if f.severity != Severity.info]
    for key in cfg.order:
        rule = cfg.decide[key]
        found = [f for f in serious if f.rule in rule.rules]
        if _holds(found, rule.min_critical, rule.min_warning):
            if key == "back-to-discovery" and deal.deal.stage == Stage.discovery:
                key = "keep-discovering"
            return Verdict(key, tuple(found[:shown]))
    critical = [f for f in serious if f.severity == Severity.critical]
    stage = deal.deal.stage
    if stage == Stage.discovery and not critical:
        return Verdict("keep-discovering", tuple(serious[:shown]))  # its gaps are the work
    if critical or len(serious) > cfg.on_track_max_warnings:
        return Verdict("close-the-gaps", tuple(serious[:shown]))
    key = ("keep-discovering" if stage == Stage.discovery else
           "ready-to-propose" if stage == Stage.qualification else "on-track")
    return Verdict(key, tuple(serious[:shown]))


def check_settings(settings: Settings, rule_ids: Collection[str]) -> None:
    """Every verdict named in ``order`` has rules and a label, and the verdicts' rules and
    ``[coaching] priority`` name rules that exist (a typo is one line, not a silent miss)."""
    from coachkit.errors import CoachkitError

    for key in settings.verdicts.order:
        if key not in LABELS or key not in settings.verdicts.decide:
            raise CoachkitError(f"settings: verdicts.order: '{key}' is not a verdict with "
                                f"rules (one of: {', '.join(settings.verdicts.decide)})")
    named = [(f"verdicts.decide.{k}.rules", r) for k, v in settings.verdicts.decide.items()
             for r in v.rules] + [("coaching.priority", r) for r in settings.coaching.priority]
    for where, rule_id in named:
        if rule_id not in rule_ids:
            raise CoachkitError(f"settings: {where}: no rule named '{rule_id}'")
