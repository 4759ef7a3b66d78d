"""Findings a manager dismissed in a review: never hidden, no longer counted, back when the
field they are about changes.

A dismissal records the finding's rule and field and a fingerprint of that field's value at
the reviewed version. It holds for a later version while the field still has that value;
edit the field and the finding is back, undismissed, because the reason given was about
what the field said then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from coachkit.coaching.registry import Finding
from coachkit.errors import CoachkitError
from coachkit.model import Deal
from coachkit.model.diff import fingerprint
from coachkit.model.review import Dismissal, Review


@dataclass(frozen=True)
class Dismissed:
    """Who dismissed a finding, why, and in which review."""

    by: str
    reason: str
    review: int

    def to_json_dict(self) -> dict[str, object]:
        return {"by": self.by, "reason": self.reason, "review": self.review}


Key = tuple[str, str]
"""A finding's (rule, field)."""


def key(finding: Finding) -> Key:
    return (finding.rule, finding.field)


def dismissal_of(deal: Deal, finding: Finding, reason: str) -> Dismissal:
    """One finding dismissed, fingerprinted at this version of the deal."""
    return Dismissal(rule=finding.rule, field=finding.field, reason=reason,
                     fingerprint=fingerprint(deal.to_json_dict(), finding.field))


def dismissals_for(deal: Deal, findings: Sequence[Finding],
                   reasons: Mapping[str, str]) -> list[Dismissal]:
    """What a review records for ``RULE=REASON``: every current finding of that rule,
    fingerprinted at this version. A rule with no finding now is one line, not ignored."""
    out = []
    for rule, reason in reasons.items():
        found = [f for f in findings if f.rule == rule]
        if not found:
            now = ", ".join(sorted({f.rule for f in findings})) or "none"
            raise CoachkitError(f"rule '{rule}' has no finding on deal {deal.id} now; nothing "
                                f"to dismiss (findings now: {now})")
        out += [dismissal_of(deal, f, reason) for f in found]
    return out


def active(deal: Deal, reviews: Sequence[Review]) -> dict[Key, Dismissed]:
    """The dismissals that still hold for ``deal`` (the latest review's word wins)."""
    doc = deal.to_json_dict()
    out: dict[Key, Dismissed] = {}
    for review in sorted(reviews, key=lambda r: r.number):
        for d in review.dismissed:
            if fingerprint(doc, d.field) == d.fingerprint:
                out[(d.rule, d.field)] = Dismissed(review.by, d.reason, review.number)
    return out
