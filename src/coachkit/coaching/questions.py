"""Questions for the next call: every deal, at every stage, gets some.

The findings' questions come first (most severe, then what moves the deal most), merged by
their object: two findings about one person, one risk or the cost of inaction are one
question. When they are fewer than ``[coaching] min_questions``, what the change story still
lacks becomes a question for the customer, then the next step of a deal in good shape (the
next open milestone, the weakest confidence dimension, the least convinced influential
person). Each question names its object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from coachkit.coaching.registry import Finding, Severity
from coachkit.coaching.settings import Settings
from coachkit.coaching.wording import blank, customer_name
from coachkit.model import DIMENSION_WORDS, Deal, RiskStatus, Role

STORY = "story"
"""The ``rule`` of a question that comes from a gap in the story, not from a finding."""


@dataclass(frozen=True)
class Question:
    """A question for the seller to ask the customer, and the gap it comes from."""

    text: str
    rule: str
    field: str
    severity: Severity
    about: str = ""
    """Its object (``person:NAME``, ``risk:2``, ``problem.why_now``...): one question each."""

    def to_json_dict(self) -> dict[str, str]:
        return {"question": self.text, "rule": self.rule, "field": self.field,
                "severity": self.severity.value, "about": self.about}


ASKED_AS: dict[str, str] = {"solution": "the way they will solve it"}
"""Dimensions asked about in other words than their label: a question to the customer about
"the solution" sounds like our pitch."""


def asked(dimension: str) -> str:
    """A confidence dimension as a question to the customer names it."""
    return ASKED_AS.get(dimension, DIMENSION_WORDS[dimension])


def _gaps(deal: Deal, settings: Settings) -> Iterator[tuple[str, str, str]]:
    """(about, field, question) for what the story lacks, in the order a coach asks."""
    who = customer_name(deal)
    p = deal.problem
    if blank(p.statement):
        yield ("problem.statement", "problem.statement",
               f"What made {who} start looking at this, and what happens in their business "
               "if they change nothing?")
    if blank(p.business_impact) or blank(p.current_state):
        yield ("problem.business_impact", "problem.business_impact",
               f"Where does the problem show up in {who}'s numbers today, and who notices "
               "it first?")
    if not p.cost_of_inaction.known:
        yield ("problem.cost_of_inaction", "problem.cost_of_inaction.amount",
               f"What does a month of living with this cost {who}, in money, people or "
               "customers?")
    if blank(p.why_now) and blank(deal.deal.compelling_event):
        yield ("problem.why_now", "problem.why_now",
               f"Why would {who} act this year rather than next: what date, audit or season "
               "makes it matter?")
    if not any(s.role == Role.economic_buyer for s in deal.stakeholders):
        yield ("role:economic_buyer", "stakeholders",
               f"Who at {who} owns the budget for this, and what would they need to believe "
               "to fund it?")
    people = [s for s in deal.stakeholders if s.active]
    for s in people:
        if blank(s.view_of_problem) or blank(s.business_goal):
            yield (f"person:{s.name}", "stakeholders",
                   f"How does {s.name} see the problem, and what does {s.name} want from "
                   "a change for the business and for themselves?")
            break
    if len(people) < 3:
        named = " and ".join(s.name for s in people) or "our contact"
        yield ("buying-group", "stakeholders",
               f"Besides {named}, who else at {who} will live with this change or have to "
               "agree to it?")
    if blank(p.root_cause):
        yield ("problem.root_cause", "problem.root_cause",
               f"What does {who} think causes the problem, and what have they tried already?")
    if len(p.alternatives) < 2:
        yield ("problem.alternatives", "problem.alternatives",
               f"What else is {who} considering, doing nothing included, and who favours it?")
    if blank(deal.confidence.decision_process):
        yield ("decision", "confidence.decision_process",
               f"How will {who} decide, who signs, and what happens between their yes and a "
               "signature?")


def _next_steps(deal: Deal, settings: Settings) -> Iterator[tuple[str, str, str]]:
    """(about, field, question) that move a deal in good shape to its next step."""
    who = customer_name(deal)
    for i, m in enumerate(deal.plan):
        if not m.done and not blank(m.milestone):
            owner = m.customer_owner.strip() or who
            when = f" by {m.date.isoformat()}" if m.date else ""
            yield (f"milestone:{i}", f"plan[{i}].date",
                   f"What does {owner} need from us and from their side to get "
                   f"'{m.milestone.strip()}' done{when}?")
            break
    scores = {d: v for d, v in deal.confidence.customer.scores().items() if v is not None}
    if scores and min(scores.values()) < 5:
        dim = min(scores, key=lambda d: scores[d])
        yield ("confidence.customer", f"confidence.customer.{dim}",
               f"What would move {who}'s confidence about {asked(dim)} from "
               f"{scores[dim]} to {scores[dim] + 1}, and who there would notice?")
    doubters = sorted((s for s in deal.stakeholders if s.stance is not None and s.stance < 4),
                      key=lambda s: (-(s.influence or 0), s.stance))
    if doubters:
        s = doubters[0]
        yield (f"person:{s.name}", "stakeholders",
               f"What would {s.name} have to see before arguing for this change "
               "instead of just going along with it?")
    live = sorted(((i, r) for i, r in enumerate(deal.risks) if r.status != RiskStatus.closed),
                  key=lambda ir: -(ir[1].exposure or 0))
    if live:
        i, r = live[0]
        name = " ".join(r.description.split())[:60] or f"risk {i + 1}"
        yield (f"risk:{i}", f"risks[{i}].mitigation",
               f"How is '{name}' developing for {r.carried_by.strip() or who}, and what "
               "would tell them early that it is getting worse?")
    if blank(deal.confidence.paper_process):
        yield ("paper", "confidence.paper_process",
               f"Who at {who} handles purchasing and legal, and how long did their last "
               "contract of this size take?")
    yield ("success", "problem.metrics",
           f"A year after the change, what would {who} point to as proof it worked?")


def questions_for(deal: Deal, findings: Sequence[Finding], settings: Settings,
                  dismissed: Iterable[str] = ()) -> tuple[Question, ...]:
    """The questions for the next call: findings first (in their order), one per object,
    then the story's gaps up to ``min_questions``; at most ``max_questions``. Objects in
    ``dismissed`` (of findings a review dismissed) get no question from the story's gaps."""
    limit, least = settings.coaching.max_questions, settings.coaching.min_questions
    if deal.closed and not settings.coaching.coach_closed_deals:
        return ()  # history: no next call to prepare
    seen_about: set[str] = set()
    seen_text: set[str] = set()
    out: list[Question] = []

    def add(q: Question) -> None:
        if q.about in seen_about or q.text in seen_text:
            return
        seen_about.add(q.about)
        seen_text.add(q.text)
        out.append(q)

    for f in findings:
        add(Question(f.question, f.rule, f.field, f.severity, f.topic))
    seen_about |= set(dismissed)
    if len(out) < least:
        for about, field, text in (*_gaps(deal, settings), *_next_steps(deal, settings)):
            add(Question(text, STORY, field, Severity.info, about))
            if len(out) >= least:
                break
    return tuple(out[:limit])
