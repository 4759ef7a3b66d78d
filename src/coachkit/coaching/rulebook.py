"""The built-in coaching rules, in the order a coach walks through a deal.

Each rule is a pure function of the deal and its context. Thresholds come from
``ctx.options`` (the rule's table in settings.toml); "today" comes from ``ctx.today``.
Questions are for the seller to take to the customer: implication and "what if" questions
about the customer's change, never product pitches.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, model_validator

from coachkit.coaching.questions import asked
from coachkit.coaching.registry import Hit, RuleContext, RuleOptions, SeverityName, rule
from coachkit.coaching.settings import Settings
from coachkit.coaching.whose import customer_risks, plan_is_ours
from coachkit.coaching.wording import (
    blank,
    customer_name,
    hollow,
    join_and,
    names_of,
    shortened,
)
from coachkit.model import (
    DIMENSION_WORDS,
    DIMENSIONS,
    Deal,
    FitAnswer,
    RiskStatus,
    Role,
    Stage,
)
from coachkit.model.deal import Score, Stance

# -- the options of rules with thresholds (their defaults are in settings.toml) ------------------


class DoNothingOptions(RuleOptions):
    phrases: list[str]


def do_nothing_phrases(settings: Settings) -> list[str]:
    """What counts as doing nothing among the alternatives (rule ``no-do-nothing``)."""
    return DoNothingOptions.model_validate(settings.rules.get("no-do-nothing", {})).phrases


class SingleThreadedOptions(RuleOptions):
    value_from: list[float]
    min_active: list[int]

    @model_validator(mode="after")
    def _pairs(self) -> SingleThreadedOptions:
        if len(self.value_from) != len(self.min_active):
            raise ValueError("value_from and min_active must have the same length")
        return self


class ChampionOptions(RuleOptions):
    roles: list[str]

    @model_validator(mode="after")
    def _roles(self) -> ChampionOptions:
        for name in self.roles:
            if name not in Role.__members__:
                raise ValueError(f"'{name}' is not a role (one of: {', '.join(Role)})")
        return self


class InfluenceOptions(RuleOptions):
    min_influence: Score


class OpposedOptions(InfluenceOptions):
    max_stance: Stance


class ThresholdOptions(RuleOptions):
    threshold: float


class UnknownOptions(RuleOptions):
    max_unknown: int = Field(ge=0)


class GapOptions(RuleOptions):
    max_gap: int = Field(ge=0)


class StaleOptions(RuleOptions):
    max_days: int = Field(ge=0)


class FitOptions(RuleOptions):
    severity_when_no: SeverityName


# -- problem -----------------------------------------------------------------------------------


@rule("problem-missing", "problem")
def problem_missing(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """No problem statement: nobody has said what the customer is trying to solve."""
    if blank(deal.problem.statement):
        yield Hit(
            "problem.statement",
            "No problem statement yet: we don't know what the customer is trying to solve.",
            f"What made {customer_name(deal)} start looking at this now, and what happens in "
            "their business if they change nothing?",
            about="problem.statement",
        )


@rule("problem-as-product", "problem")
def problem_as_product(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The problem is stated as something to buy (a product, features, price) not an outcome."""
    from coachkit.coaching.language import check

    statement = deal.problem.statement
    if blank(statement) or ctx.language is None:
        return
    verdict = check(statement, ctx.language)
    if verdict.is_product:
        words = ", ".join(f"'{t}'" for t in verdict.triggers[:4])
        yield Hit(
            "problem.statement",
            f"The problem is stated as something to buy ({words}), not as what the customer "
            "is trying to achieve.",
            f"If {customer_name(deal)} had it tomorrow, what would be different in their numbers, "
            "and for whom?",
            about="problem.statement",
        )


@rule("not-in-customer-words", "problem")
def not_in_customer_words(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The problem is written in the seller's words, not the customer's."""
    if not blank(deal.problem.statement) and not deal.problem.in_customer_words:
        yield Hit(
            "problem.in_customer_words",
            "The problem is in our words; the customer has not said it this way.",
            f"How would {customer_name(deal)} describe this problem to their own boss, in their "
            "terms?",
            about="problem.words",
        )


@rule("no-cost-of-inaction", "problem")
def no_cost_of_inaction(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Nobody has put a number on what changing nothing costs the customer."""
    if not deal.problem.cost_of_inaction.known:
        yield Hit(
            "problem.cost_of_inaction.amount",
            "No cost of inaction: nothing shows what it costs the customer to change nothing.",
            f"What does each month of living with this cost {customer_name(deal)}, and who feels "
            "it first?",
            about="problem.cost_of_inaction",
        )


@rule("no-metric", "problem")
def no_metric(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """No metric has both a baseline and a target."""
    if not deal.problem.has_measurable_metric:
        yield Hit(
            "problem.metrics",
            "No metric with both a baseline and a target: success is not yet measurable.",
            f"How does {customer_name(deal)} measure this today, and what number would tell them "
            "it worked?",
            about="problem.metrics",
        )


@rule("no-why-now", "problem")
def no_why_now(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Nothing says why the customer must act now rather than next year."""
    if blank(deal.problem.why_now):
        yield Hit(
            "problem.why_now",
            "No 'why now': nothing says why this must change now rather than later.",
            f"What happens if {customer_name(deal)} decides this in a year instead: what changes "
            "for them by then?",
            about="problem.why_now",
        )


@rule("no-do-nothing", "problem", DoNothingOptions)
def no_do_nothing(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Doing nothing is missing from the alternatives, though it is always one."""
    if not deal.problem.mentions_do_nothing(ctx.options["phrases"]):
        yield Hit(
            "problem.alternatives",
            "'Do nothing' is not among the alternatives, yet it is always the customer's "
            "easiest choice.",
            f"What would staying as they are look like for {customer_name(deal)} in a year, and "
            "who would defend it?",
            about="problem.alternatives",
        )


# -- stakeholders ------------------------------------------------------------------------------


@rule("single-threaded", "stakeholders", SingleThreadedOptions)
def single_threaded(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Fewer active stakeholders than a deal of this value needs."""
    tiers = list(zip(ctx.options["value_from"], ctx.options["min_active"], strict=True))
    value = deal.deal.value or 0
    needed = max((n for start, n in tiers if value >= start), default=1)
    active = len(deal.active_stakeholders)
    if active < needed:
        yield Hit(
            "stakeholders",
            f"Only {active} active stakeholder{'s' if active != 1 else ''}; a deal of this "
            f"size needs at least {needed} people engaged in the decision.",
            f"Besides {names_of(deal.active_stakeholders)}, who else at {customer_name(deal)} will "
            "live with this change, and who would have to agree before they sign?",
            about="buying-group",
        )


@rule("no-economic-buyer", "stakeholders")
def no_economic_buyer(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """No active economic buyer: nobody engaged can say yes to the money."""
    if not any(s.role == Role.economic_buyer for s in deal.active_stakeholders):
        yield Hit(
            "stakeholders",
            "No economic buyer is active in the decision.",
            f"Who at {customer_name(deal)} owns the budget this comes from, and what would they "
            "need to believe to fund it?",
            about="role:economic_buyer",
        )


@rule("no-champion", "stakeholders", ChampionOptions)
def no_champion(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Nobody inside the customer is driving the change."""
    roles = set(ctx.options["roles"])
    if not any(s.role.value in roles for s in deal.active_stakeholders):
        yield Hit(
            "stakeholders",
            "No champion: nobody inside the customer is driving this change.",
            f"Who inside {customer_name(deal)} would gain most if this changed, and would they "
            "argue for it when we are not in the room?",
            about="role:champion",
        )


@rule("opposed-influencer", "stakeholders", OpposedOptions)
def opposed_influencer(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """An influential person strongly against it, with no plan for their concerns."""
    planned = {name for d in deal.disagreements if not blank(d.resolution_plan)
               for name in d.between}
    for i, s in enumerate(deal.stakeholders):
        if (s.influence or 0) >= ctx.options["min_influence"] and s.stance is not None \
                and s.stance <= ctx.options["max_stance"] and s.name not in planned:
            yield Hit(
                f"stakeholders[{i}].stance",
                f"{s.name} has influence {s.influence} and is strongly against it "
                f"(stance {s.stance}), with no plan for their concerns.",
                f"What would {s.name} lose if this went ahead, and what would have to be true "
                "for them to support it?",
                about=f"person:{s.name}",
            )


@rule("drop-in-decider", "stakeholders", InfluenceOptions)
def drop_in_decider(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """An influential person who only drops in and may overturn the decision late."""
    for i, s in enumerate(deal.stakeholders):
        if not s.active and (s.influence or 0) >= ctx.options["min_influence"]:
            yield Hit(
                f"stakeholders[{i}].active",
                f"{s.name} (influence {s.influence}) is not active in the decision and could "
                "overturn it late.",
                f"When will {s.name} weigh in, and what would make them question the "
                "decision then?",
                about=f"person:{s.name}",
            )


@rule("unresolved-disagreement", "disagreements")
def unresolved_disagreement(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """A severe disagreement in the buying group with no plan to resolve it."""
    for i, d in enumerate(deal.disagreements):
        if not d.resolved and (d.severity or 0) >= ctx.settings.disagreements.high_severity \
                and blank(d.resolution_plan):
            who = " and ".join(d.between)
            about = f": {shortened(d.about, '')}" if d.about.strip() else "."
            yield Hit(
                f"disagreements[{i}].resolution_plan",
                f"{who} disagree (severity {d.severity}) with no plan to resolve it{about}",
                f"What would {who} each need to see to agree, and who could bring them "
                "together?",
                about=f"disagreement:{i}",
            )


@rule("low-consensus", "disagreements", ThresholdOptions)
def low_consensus(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The consensus index is low: the buying group is far from one view."""
    from coachkit.coaching.scores import consensus_index

    score = consensus_index(deal, ctx.settings)
    if score.known and score.value < ctx.options["threshold"]:
        yield Hit(
            "disagreements",
            f"The consensus index is {score.value:.0f} of 100: the buying group is far from "
            "one view.",
            f"If {names_of(deal.stakeholders)} each described the problem alone, how different "
            "would the stories be, and where do they overlap?",
            about="consensus",
        )


# -- risks -------------------------------------------------------------------------------------


@rule("unowned-risk", "risks")
def unowned_risk(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Open risks of the customer's that nobody owns (one finding listing them)."""
    found = [(i, r) for i, r in customer_risks(deal, ctx.settings)
             if r.status == RiskStatus.open and blank(r.owner)]
    if found:
        names = [f"'{shortened(r.description, f'risk {i + 1}', 60)}'" for i, r in found]
        first = names[0]
        yield Hit(
            f"risks[{found[0][0]}].owner" if len(found) == 1 else "risks",
            f"Nobody owns {'the risk ' if len(found) == 1 else 'the risks '}"
            f"{join_and(names)}.",
            f"Who at {customer_name(deal)} would be blamed if {first} went wrong, and are they "
            "working on it?",
            about=f"risk:{found[0][0]}",
        )


@rule("unmitigated-risk", "risks")
def unmitigated_risk(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """A likely, damaging risk that is open with no mitigation, or only a placeholder ("tbd").

    What counts as a placeholder ("monitor" alone, "will discuss", "our product handles it")
    is ``[risks] placeholder_phrases`` and ``placeholder_words``: see :func:`.wording.hollow`.
    """
    for i, r in customer_risks(deal, ctx.settings):
        exposure = r.exposure
        if exposure is not None and exposure >= ctx.settings.risks.high_exposure \
                and r.status == RiskStatus.open and hollow(r.mitigation, ctx.settings):
            name = shortened(r.description, f"risk {i + 1}", 60)
            carrier = r.carried_by.strip()
            risk = (f"The risk '{shortened(r.description, f'risk {i + 1}')}' is likely and "
                    f"damaging (likelihood x impact = {exposure})")
            if blank(r.mitigation):
                yield Hit(
                    f"risks[{i}].mitigation", f"{risk} and has no mitigation.",
                    f"If '{name}' happened, what would {carrier or customer_name(deal)} do "
                    "that day, and what could they do now to make it less likely?",
                    about=f"risk:{i}",
                )
                continue
            # a placeholder: quoted, so the seller sees why it does not count
            who = (f"What will {carrier} do" if carrier
                   else f"Who at {customer_name(deal)} will do what")
            yield Hit(
                f"risks[{i}].mitigation",
                f"{risk}, and its mitigation '{shortened(r.mitigation, '', 40)}' says nothing "
                "anyone will do.",
                f"{who}, and by when, to make '{name}' less likely, and what would they do the "
                "day it happened?",
                about=f"risk:{i}",
            )


# -- decision confidence -----------------------------------------------------------------------


@rule("low-confidence", "confidence", ThresholdOptions)
def low_confidence(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The customer is unsure on some dimensions of the decision (one finding listing them)."""
    low = [(d, v) for d, v in deal.confidence.customer.scores().items()
           if v is not None and v <= ctx.options["threshold"]]
    if low:
        listed = join_and([f"{DIMENSION_WORDS[d]} ({v}/5)" for d, v in low])
        lowest = min(low, key=lambda dv: dv[1])[0]
        yield Hit(
            f"confidence.customer.{low[0][0]}" if len(low) == 1 else "confidence.customer",
            f"{customer_name(deal, 'The customer')} is unsure about {listed}.",
            f"What would {customer_name(deal)} need to learn or see to be sure about "
            f"{asked(lowest)}?",
            about="confidence.customer",
        )


@rule("unknown-confidence", "confidence", UnknownOptions)
def unknown_confidence(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Dimensions of the customer's confidence that nobody has assessed."""
    unknown = [d for d, v in deal.confidence.customer.scores().items() if v is None]
    if len(unknown) > ctx.options["max_unknown"]:
        words = ", ".join(DIMENSION_WORDS[d] for d in unknown)
        yield Hit(
            f"confidence.customer.{unknown[0]}",
            f"Not assessed how sure the customer is about {words}.",
            f"How sure is {customer_name(deal)}, in their own words, that this is the right "
            "decision, and what still worries them?",
            about="confidence.customer",
        )


@rule("confidence-gap", "confidence", GapOptions)
def confidence_gap(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The seller is far more confident than the customer (one finding listing where)."""
    customer, seller = deal.confidence.customer.scores(), deal.confidence.seller.scores()
    gaps = [(d, seller[d], customer[d]) for d in DIMENSIONS
            if customer[d] is not None and seller[d] is not None
            and seller[d] - customer[d] > ctx.options["max_gap"]]  # type: ignore[operator]
    if gaps:
        listed = join_and([f"{DIMENSION_WORDS[d]} ({s} vs {c})" for d, s, c in gaps])
        widest = max(gaps, key=lambda g: g[1] - g[2])[0]  # type: ignore[operator]
        yield Hit(
            f"confidence.seller.{gaps[0][0]}" if len(gaps) == 1 else "confidence.seller",
            f"We are surer than {customer_name(deal, 'the customer')} about {listed} "
            "(ours vs theirs, of 5).",
            f"What do we believe about {asked(widest)} that {customer_name(deal)} "
            "doesn't yet, and how could they find out for themselves?",
            about="confidence.ours",
        )


# -- mutual plan, dates, fit ---------------------------------------------------------------------


@rule("no-mutual-plan", "plan")
def no_mutual_plan(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """No mutual plan though the deal is at proposal or later."""
    if not deal.plan:
        yield Hit(
            "plan",
            "No mutual plan: nothing shows the steps the customer will take to change.",
            f"Between today and the change being live, what has to happen at "
            f"{customer_name(deal)}, and who does it?",
            about="plan",
        )


@rule("plan-unconfirmed", "plan")
def plan_unconfirmed(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """Milestones the customer has not taken on: no customer owner, or not confirmed.

    One finding per kind, listing them; a plan that is all ours is plan-all-ours' finding."""
    if plan_is_ours(deal, ctx.settings):
        return
    open_steps = [(i, m) for i, m in enumerate(deal.plan) if not m.done]
    unowned = [(i, m) for i, m in open_steps if blank(m.customer_owner)]
    unconfirmed = [(i, m) for i, m in open_steps if not blank(m.customer_owner)
                   and not m.confirmed]
    if unowned:
        names = [f"'{shortened(m.milestone, f'milestone {i + 1}', 60)}'" for i, m in unowned]
        yield Hit(
            f"plan[{unowned[0][0]}].customer_owner" if len(unowned) == 1 else "plan",
            f"{join_and(names)} {'has' if len(names) == 1 else 'have'} no owner at the customer.",
            f"Who at {customer_name(deal)} will make {names[0]} happen, and what would stop them?",
            about=f"milestone:{unowned[0][0]}",
        )
    if unconfirmed:
        names = [f"'{shortened(m.milestone, f'milestone {i + 1}', 60)}'" for i, m in unconfirmed]
        i, m = unconfirmed[0]
        yield Hit(
            f"plan[{i}].confirmed" if len(unconfirmed) == 1 else "plan",
            f"{join_and(names)} {'is' if len(names) == 1 else 'are'} not confirmed by the "
            "customer.",
            f"Has {m.customer_owner.strip()} agreed to {names[0]}"
            + (f" on {m.date.isoformat()}" if m.date else "") + ", and what could move it?",
            about=f"milestone:{i}",
        )


@rule("close-date-passed", "deal")
def close_date_passed(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """The expected close date is in the past and the deal is still open."""
    close = deal.deal.close_date
    if close is not None and close < ctx.today:
        days = (ctx.today - close).days
        yield Hit(
            "deal.close_date",
            f"The close date passed {days} day{'s' if days != 1 else ''} ago "
            f"({close.isoformat()}).",
            f"What happened to the date {customer_name(deal)} was working towards, and what is "
            "their new reason to decide?",
            about="deal.close_date",
        )


@rule("stale-deal", "stakeholders", StaleOptions)
def stale_deal(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """No contact with anyone in the buying group for too long."""
    if not deal.stakeholders:
        return
    days = deal.days_since_contact(ctx.today)
    if days is None:
        yield Hit(
            "stakeholders",
            "No last contact recorded with anyone in the buying group.",
            f"When did we last talk with {names_of(deal.stakeholders)}, and what did we learn?",
            about="contact",
        )
        return
    if days > ctx.options["max_days"]:
        yield Hit(
            "stakeholders",
            f"No contact with anyone in the buying group for {days} days.",
            f"What has changed at {customer_name(deal)} since we last spoke, and who would know?",
            about="contact",
        )


@rule("doubtful-fit", "fit", FitOptions)
def doubtful_fit(deal: Deal, ctx: RuleContext) -> Iterator[Hit]:
    """We doubt this is a good decision for the customer, yet the deal moves on."""
    answer = deal.fit.good_for_customer
    if answer in (FitAnswer.no, FitAnswer.unsure) and deal.deal.stage != Stage.closed_lost:
        yield Hit(
            "fit.good_for_customer",
            "We are not sure buying this is good for the customer"
            + (", yet the deal advances." if answer == FitAnswer.unsure
               else ": if it is not, the honest answer is to walk away."),
            f"What would have to be true for this to be a good decision for {customer_name(deal)}, "
            "and what if it isn't?",
            about="fit",
            severity=ctx.options["severity_when_no"] if answer == FitAnswer.no else None,
        )


# The rules that read across sections register after these, in their own module.
from coachkit.coaching import across  # noqa: E402,F401
