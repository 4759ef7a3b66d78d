"""Rules that read across sections, as a coach does: evidence over self-assessment.

Per-person silence, an economic buyer never met, plan dates against the close date, the cost
of inaction against the deal's value, the two most influential people in disagreement, the
stage against consensus, our confidence without evidence, jargon ticked as the customer's
words, and whose an item really is. Each finding names its object (the person, the risk, the
milestone) and asks what a good sales manager would ask. Thresholds: settings.toml.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from pydantic import Field, field_validator

from coachkit.coaching.questions import asked
from coachkit.coaching.registry import Hit, RuleContext, RuleOptions, SeverityName, rule
from coachkit.coaching.settings import Settings
from coachkit.coaching.whose import (
    event_is_ours,
    matches,
    plan_is_ours,
    quote_is_ours,
    risk_is_ours,
)
from coachkit.coaching.wording import blank, customer_name, join_and, shortened, tokens
from coachkit.model import (
    DIMENSION_WORDS,
    DIMENSIONS,
    Deal,
    Period,
    Role,
    Score,
    Stage,
    Stakeholder,
)
from coachkit.model.deal import SCORES
from coachkit.model.vocabulary import value_words


class SilenceOptions(RuleOptions):
    roles: list[str]
    max_days: int = Field(ge=0)
    recent_days: int = Field(ge=0)
    severity_when_owner: SeverityName


class UnmetOptions(RuleOptions):
    confident_from: float = Field(ge=SCORES[0], le=SCORES[-1])
    severity_when_confident: SeverityName


class PlanDateOptions(RuleOptions):
    grace_days: int = Field(ge=0)
    severity_when_all: SeverityName


class PaybackOptions(RuleOptions):
    max_payback_years: float = Field(gt=0)
    critical_payback_years: float = Field(gt=0)


class PairOptions(RuleOptions):
    min_influence: Score


class StageOptions(RuleOptions):
    max_consensus: Score
    min_confidence_index: float = Field(ge=0, le=100)
    severity_at_negotiation: SeverityName


class EvidenceOptions(RuleOptions):
    high_from: Score
    min_dimensions: int = Field(ge=1, le=7)


class JargonOptions(RuleOptions):
    phrases: list[str]
    seller_acronyms: list[str]

    @field_validator("seller_acronyms")
    @classmethod
    def _one_word_each(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if not re.fullmatch(r"[A-Za-z0-9]{2,12}", entry):
                raise ValueError(f"{entry!r} is not one word of letters and digits (put "
                                 "phrases in phrases)")
        return entries


def _days(person: Stakeholder, today: dt.date) -> int | None:
    return None if person.last_contact is None else max(0, (today - person.last_contact).days)


# -- the buying group --------------------------------------------------------------------------


@rule("silent-key-person", "stakeholders", SilenceOptions)
def silent_key_person(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """A champion, economic buyer or milestone owner gone quiet while others are recent.

    Silence is a person we were in touch with going quiet: someone never contacted is not
    silent but never met (economic-buyer-unmet's finding for the economic buyer)."""
    o = ctx.options
    recent = [p for p in deal.stakeholders
              if (d := _days(p, ctx.today)) is not None and d <= o["recent_days"]]
    roles = set(o["roles"])
    for i, p in enumerate(deal.stakeholders):
        days = _days(p, ctx.today)
        if days is None or days <= o["max_days"]:
            continue
        others = [q for q in recent if q.name != p.name]
        if not others:
            continue  # everybody is quiet: stale-deal's finding, not this person's
        owned = [m for m in deal.plan if not m.done
                 and m.customer_owner.strip().lower() == p.name.lower()]
        if p.role.value not in roles and not owned:
            continue
        since = f"for {days} days"
        role = value_words(p.role)
        steps = join_and([f"'{shortened(m.milestone, 'a milestone', 50)}'" for m in owned])
        yield Hit(
            f"stakeholders[{i}].last_contact",
            f"{p.name} ({role}) has not been in touch {since}, while "
            f"{join_and([q.name for q in others[:3]])} {'was' if len(others) == 1 else 'were'} "
            f"recently" + (f"; {p.name} still owns {steps}." if owned else "."),
            f"Is {p.name} still at {customer_name(deal)} and behind this, and if not, who "
            + (f"takes over {steps}?" if owned else f"now speaks for the {role}'s view?"),
            severity=o["severity_when_owner"] if owned else None,
            about=f"person:{p.name}",
        )


@rule("economic-buyer-unmet", "stakeholders", UnmetOptions)
def economic_buyer_unmet(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """An economic buyer named but never met: no contact, stance or trust recorded."""
    seller = [v for v in deal.confidence.seller.scores().values() if v is not None]
    mean = sum(seller) / len(seller) if seller else 0.0
    confident = mean >= ctx.options["confident_from"]
    for i, p in enumerate(deal.stakeholders):
        if p.role != Role.economic_buyer or not p.active:
            continue
        if p.last_contact is None and p.stance is None and p.trust is None:
            yield Hit(
                f"stakeholders[{i}].last_contact",
                f"{p.name} (economic buyer) has never been met: no contact, stance or trust "
                "recorded" + (f", yet we rate our confidence {mean:.1f} of 5." if confident
                              else "."),
                f"What does {p.name} need to see to release the budget, and who can take us "
                f"to {p.name} before the proposal?",
                severity=ctx.options["severity_when_confident"] if confident else None,
                about=f"person:{p.name}",
            )


@rule("key-pair-disagree", "disagreements", PairOptions)
def key_pair_disagree(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The two most influential people disagree, with no severity or no plan recorded."""
    rated = sorted((p for p in deal.stakeholders if p.influence is not None),
                   key=lambda p: -(p.influence or 0))
    if len(rated) < 2 or (rated[1].influence or 0) < ctx.options["min_influence"]:
        return
    top = rated[0].influence
    leaders = {p.name for p in rated if p.influence == top} if \
        sum(p.influence == top for p in rated) > 1 else {rated[0].name, rated[1].name}
    high = ctx.settings.disagreements.high_severity
    for i, d in enumerate(deal.disagreements):
        pair = set(d.between) & leaders
        if d.resolved or len(pair) < 2:
            continue
        if (d.severity or 0) >= high and blank(d.resolution_plan):
            continue  # unresolved-disagreement's finding
        if d.severity is not None and not blank(d.resolution_plan):
            continue
        who = join_and(sorted(pair))
        missing = join_and([w for w, gap in (("no severity", d.severity is None),
                                         ("no plan", blank(d.resolution_plan))) if gap])
        about = f" about {shortened(d.about, '', 60)}" if d.about.strip() else ""
        yield Hit(
            f"disagreements[{i}].resolution_plan",
            f"{who}, the most influential people in the buying group, disagree{about}, "
            f"with {missing} recorded.",
            f"What would {who} each need to see to agree, and who at {customer_name(deal)} can "
            "bring them to one table before the proposal?",
            about=f"disagreement:{i}",
        )


# -- stage against the evidence ---------------------------------------------------------------


@rule("stage-ahead-of-consensus", "deal", StageOptions)
def stage_ahead_of_consensus(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The deal's stage is ahead of the customer's consensus and confidence."""
    from coachkit.coaching.scores import confidence_index

    consensus = deal.confidence.customer.consensus
    index = confidence_index(deal)
    why = []
    if consensus is not None and consensus <= ctx.options["max_consensus"]:
        why.append(f"their consensus is {consensus} of 5")
    if index.known and index.value < ctx.options["min_confidence_index"]:
        why.append(f"their decision confidence is {index.value:.0f} of 100")
    if not why:
        return
    stage = deal.deal.stage
    yield Hit(
        "deal.stage",
        f"The deal is at {stage.value} while {join_and(why)}: the stage is ahead of the customer.",
        f"If {customer_name(deal)} had to sign next week, who in the buying group would stop it, "
        "and what would they need first?",
        severity=ctx.options["severity_at_negotiation"] if stage == Stage.negotiation else None,
        about="consensus",
    )


@rule("confidence-without-evidence", "confidence", EvidenceOptions)
def confidence_without_evidence(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """We rate our confidence high on dimensions where nothing the customer said backs it."""
    evidence = deal.confidence.evidence.model_dump()
    quoted = " ".join(e.field.lower() for e in deal.problem.evidence)
    seller = deal.confidence.seller.scores()
    bare = [d for d in DIMENSIONS if (seller[d] or 0) >= ctx.options["high_from"]
            and blank(evidence[d]) and d not in quoted]
    if len(bare) >= ctx.options["min_dimensions"]:
        listed = join_and([f"{DIMENSION_WORDS[d]} ({seller[d]}/5)" for d in bare])
        yield Hit(
            "confidence.evidence",
            f"We rate {listed} high with no evidence from {customer_name(deal)}.",
            f"What has {customer_name(deal)} said or done that shows they are sure about "
            f"{asked(bare[0])}, and who said it?",
            about="confidence.ours",
        )


# -- the plan and the money -------------------------------------------------------------------


@rule("plan-after-close", "plan", PlanDateOptions)
def plan_after_close(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Milestones of the mutual plan fall after the close date they should lead to."""
    close = deal.deal.close_date
    if close is None:
        return
    dated = [(i, m) for i, m in enumerate(deal.plan) if not m.done and m.date is not None]
    late = [(i, m) for i, m in dated
            if (m.date - close).days > ctx.options["grace_days"]]  # type: ignore[operator]
    if not late:
        return
    names = [f"'{shortened(m.milestone, f'milestone {i + 1}', 50)}' ({m.date})" for i, m in late]
    every = len(late) == len(dated)
    i, m = late[0]
    yield Hit(
        f"plan[{i}].date" if len(late) == 1 else "plan",
        ("Every open milestone falls" if every and len(late) > 1 else
         f"{len(late)} milestone{'s fall' if len(late) > 1 else ' falls'}")
        + f" after the close date {close}: {join_and(names)}.",
        f"Can {customer_name(deal)} decide by {close} before "
        f"'{shortened(m.milestone, 'that step', 50)}' is done, or is the real close date later?",
        severity=ctx.options["severity_when_all"] if every else None,
        about="plan.dates",
    )


@rule("small-cost-of-inaction", "problem", PaybackOptions)
def small_cost_of_inaction(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The cost of inaction is small against the deal's value: doing nothing is cheaper."""
    coi = deal.problem.cost_of_inaction
    amount = coi.amount if coi.amount is not None else coi.computed_amount()
    value = deal.deal.value
    if not amount or not value or amount <= 0:
        return
    yearly = amount * 12 if coi.period == Period.month else amount
    years = value / yearly
    if years > ctx.options["max_payback_years"]:
        cur = deal.deal.currency
        yield Hit(
            "problem.cost_of_inaction.amount",
            f"Changing nothing costs {customer_name(deal)} {yearly:,.0f} {cur} a year against a "
            f"deal of {value:,.0f} {cur}: {years:.1f} years to pay for itself.",
            f"What else does living with this cost {customer_name(deal)} that is not in the "
            f"{yearly:,.0f} {cur} a year: people, customers, risk?",
            severity="critical" if years > ctx.options["critical_payback_years"] else None,
            about="problem.cost_of_inaction",
        )


# -- the customer's words ---------------------------------------------------------------------

def _acronym(token: str) -> str:
    """``token`` as an acronym ("KPIs" and "KPI:s" are "KPI"), or "" when it has fewer than
    two capitals: "ml" or "Ai" is a word, "ML", "AI" and "SaaS" are acronyms."""
    word = token[:-1] if token.endswith("s") and sum(c.isupper() for c in token[:-1]) >= 2 \
        else token
    return word if sum(c.isupper() for c in word) >= 2 else ""


def _customer_voice(deal: Deal, settings: Settings) -> str:
    """What the customer's people say elsewhere in the deal, as one text: the glossary's
    terms, the metric names, the customer's name, the stakeholders' titles and views of the
    problem, and the evidence quotes of someone who is not us (the source's name before a
    comma is not the seller, the team or "we"). A quote of the statement itself is left out:
    the statement cannot vouch for its own words. So is the current state: it is our
    description of where they are, and would let our jargon vouch for itself."""
    p = deal.problem
    quotes = [e.quote for e in p.evidence if not quote_is_ours(e, deal, settings)
              and e.field.strip().lower().removeprefix("problem.") != "statement"]
    return " ".join([g.customer_term for g in p.glossary] + [m.name for m in p.metrics]
                    + [deal.deal.customer] + quotes
                    + [f"{s.title} {s.view_of_problem}" for s in deal.stakeholders])


@rule("jargon-as-customer-words", "problem", JargonOptions)
def jargon_as_customer_words(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """"The customer's own words" ticked over a statement in seller jargon."""
    p = deal.problem
    if not p.in_customer_words or blank(p.statement):
        return
    # Only the seller's acronyms (ROI, SaaS...) and our product names are jargon: the
    # customer's industry speaks in acronyms of its own (KYC, OEE, ICU), and any acronym or
    # name their people use elsewhere in the deal is theirs.
    theirs = _customer_voice(deal, ctx.settings)
    said = [t.upper() for t in tokens(theirs)]
    heard = {*said, *(t[:-1] for t in said if t.endswith("S"))}
    seller = {a.upper() for a in ctx.options["seller_acronyms"]}
    ours: list[str] = []
    for token in tokens(p.statement):
        word = _acronym(token)
        if word and word.upper() in seller and word.upper() not in heard and word not in ours:
            ours.append(word)
    names = [n for n in matches(p.statement, ctx.settings.team.product_names)
             if not matches(theirs, [n])]
    found = matches(p.statement, ctx.options["phrases"]) + ours + names
    if found:
        words = join_and([f"'{w}'" for w in found[:4]])
        yield Hit(
            "problem.in_customer_words",
            f"Ticked as the customer's own words, but {words} "
            f"{'is' if len(found) == 1 else 'are'} our jargon, not in their glossary.",
            f"How did {customer_name(deal)} put it when they first told us, and what do they call "
            f"{found[0]}?",
            about="problem.words",
        )


# -- whose is it ------------------------------------------------------------------------------


@rule("our-risk", "risks")
def our_risk(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """A risk to our deal (a cheaper competitor, our margin) listed as the customer's."""
    for i, r in enumerate(deal.risks):
        why = risk_is_ours(r, deal, ctx.settings)
        if why and r.status.value == "open":
            name = shortened(r.description, f"risk {i + 1}", 60)
            yield Hit(
                f"risks[{i}].carried_by",
                f"'{name}' is our risk ({join_and(why[:2])}), not a risk of "
                f"{customer_name(deal)}'s change: coached apart from theirs.",
                f"What would {customer_name(deal)} lose or gain by choosing the alternative in "
                f"'{name}', in their own numbers?",
                about=f"risk:{i}",
            )


@rule("our-compelling-event", "deal")
def our_compelling_event(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The compelling event is ours (quarter end, a promotion, our launch), not theirs."""
    why = event_is_ours(deal, ctx.settings)
    if why:
        yield Hit(
            "deal.compelling_event",
            f"The compelling event '{shortened(deal.deal.compelling_event, '', 60)}' is ours "
            f"({join_and(why[:2])}): it gives {customer_name(deal)} no reason to decide by a date.",
            f"What happens at {customer_name(deal)} if this is not done by "
            f"{deal.deal.close_date or 'the date they name'}: which of their dates, audits or "
            "seasons makes it matter?",
            about="problem.why_now",
        )


@rule("plan-all-ours", "plan")
def plan_all_ours(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The mutual plan has no step owned at the customer: it is our to-do list."""
    if plan_is_ours(deal, ctx.settings):
        yield Hit(
            "plan",
            f"None of the {len(deal.plan)} milestones has an owner at {customer_name(deal)}: "
            "the mutual plan is our to-do list.",
            f"Which of these steps would {customer_name(deal)} put in their own project plan, "
            "and who there owns each one?",
            about="plan",
        )
