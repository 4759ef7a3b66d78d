"""The change story of one deal: the public, versioned file format.

One deal is one JSON document. Every section may be empty or partly filled, because a
workbook is filled in over weeks; what *is* filled in must be well-formed. Unknown keys are
refused (``extra="forbid"``) so that a typo never silently drops a seller's work.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

SchemaVersion = Literal[3]
"""The file format's version, written here only: a new version changes this and adds a step to
:mod:`coachkit.model.migrations`, then ``python -m coachkit.training.canonical`` writes the
demo and scenario files in it."""
SCHEMA_VERSION: Final[SchemaVersion] = get_args(SchemaVersion)[0]

MAX_TEXT = 20_000
"""Characters in one free-text field: a long page of notes, far below anything hostile."""

MAX_ITEMS = 500
"""Entries in one list (risks, stakeholders, ...): no real buying group comes near it."""

DEAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$"
"""Deal ids end up in file names and URLs: letters, digits, ``-`` and ``_`` only."""

_FORBIDDEN_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _clean_text(value: str) -> str:
    """Refuse control characters and lone surrogates: they cannot be stored or shown."""
    bad = _FORBIDDEN_CHARS.search(value)
    if bad:
        # pydantic fills in plain {name} placeholders only: the code is formatted here
        raise PydanticCustomError(
            "bad_character", f"contains a character that is not text (U+{ord(bad.group()):04X})")
    return value


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_clean_text)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_clean_text),
]
CURRENCY_PATTERN = r"^[A-Z]{3}$"
CRM_SOURCE_PATTERN = r"^([a-z][a-z0-9_-]{0,39})?$"

PATTERN_WORDS: Final = {
    DEAL_ID_PATTERN: "letters, digits, - and _ only, at most 80 characters",
    CURRENCY_PATTERN: "three capital letters, like EUR",
    CRM_SOURCE_PATTERN: "lowercase letters, digits, - and _, like salesforce",
}
"""What each text pattern of the format asks for, in words a seller reads."""

DealId = Annotated[str, StringConstraints(pattern=DEAL_ID_PATTERN)]
SCORES: Final = range(1, 6)
"""The 1-5 rating scale: influence, trust, likelihood, impact, severity, confidence."""
STANCES: Final = range(-5, 6)
"""A stakeholder's stance, from -5 (against us) through 0 to +5 (for us)."""
Score = Annotated[int, Field(ge=SCORES[0], le=SCORES[-1])]
Stance = Annotated[int, Field(ge=STANCES[0], le=STANCES[-1])]


def score_share(value: float) -> float:
    """Where a rating sits on its scale, 0 (lowest) to 1 (highest): 3 of 1-5 is 0.5."""
    return (value - SCORES[0]) / (SCORES[-1] - SCORES[0])


def stance_share(value: float) -> float:
    """Where a stance sits, 0 (most against) to 1 (most for): 0 is 0.5."""
    return (value - STANCES[0]) / (STANCES[-1] - STANCES[0])

Money = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)]
Number = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]


class _Section(BaseModel):
    """Base of every part of the document: strict about keys, lenient about emptiness."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Stage(StrEnum):
    discovery = "discovery"
    qualification = "qualification"
    proposal = "proposal"
    negotiation = "negotiation"
    closed_won = "closed_won"
    closed_lost = "closed_lost"

    @property
    def closed(self) -> bool:
        """Won or lost: history, not a deal to coach."""
        return self in (Stage.closed_won, Stage.closed_lost)


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class RiskCategory(StrEnum):
    business = "business"
    technical = "technical"
    organisational = "organisational"
    personal = "personal"
    political = "political"
    commercial = "commercial"


class RiskStatus(StrEnum):
    open = "open"
    mitigated = "mitigated"
    closed = "closed"


class Role(StrEnum):
    economic_buyer = "economic_buyer"
    user = "user"
    technical = "technical"
    champion = "champion"
    coach = "coach"
    blocker = "blocker"
    influencer = "influencer"


class Period(StrEnum):
    month = "month"
    year = "year"


class FitAnswer(StrEnum):
    yes = "yes"
    unsure = "unsure"
    no = "no"


class CrmRecord(_Section):
    """Where the deal is in the team's CRM, so that the next export updates this deal."""

    source: Annotated[str, StringConstraints(pattern=CRM_SOURCE_PATTERN)] = Field(
        "", title="CRM", description="salesforce, hubspot, or the name of a mapping")
    record_id: Annotated[str, StringConstraints(max_length=100)] = Field(
        "", title="CRM record id")

    @property
    def key(self) -> str:
        """``salesforce:006...``: how the store finds the deal of a CRM record ("" if none)."""
        return f"{self.source}:{self.record_id}" if self.source and self.record_id else ""


class DealInfo(_Section):
    """Who is buying what, from whom, and by when."""

    id: DealId = Field(title="Deal id")
    customer: Text = Field("", title="Customer")
    title: Text = Field("", title="Deal title", description="What is changing for them")
    seller: Text = Field("", title="Seller")
    team: Text = Field("", title="Team")
    stage: Stage = Field(Stage.discovery, title="Stage")
    value: Money | None = Field(None, title="Value")
    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)] = Field(
        "EUR", title="Currency", description="An ISO code, e.g. EUR")
    close_date: dt.date | None = Field(None, title="Close date",
                                       description="When the customer expects to decide")
    compelling_event: Text = Field(
        "", title="Compelling event",
        description="Something in their calendar that makes this matter by a date: an audit, "
                    "a contract, a season. Not our quarter end.")
    compelling_event_date: dt.date | None = Field(None, title="Event date")
    crm: CrmRecord = Field(CrmRecord(), title="CRM record")


class Metric(_Section):
    """A measure in the customer's own terms, from where they are to where they want to be."""

    name: Text = Field("", title="Metric", description="In their words")
    baseline: Number | None = Field(None, title="Baseline", description="Where it is today")
    target: Number | None = Field(None, title="Target")
    unit: Text = Field("", title="Unit")

    @property
    def measurable(self) -> bool:
        """Both ends known: success can be measured."""
        return self.baseline is not None and self.target is not None


class FactorKind(StrEnum):
    """What a factor of the cost of inaction is: only money makes the product an amount."""

    money = "money"
    """An amount of the deal's currency per something: "1,450 EUR per stoppage hour"."""
    count = "count"  # type: ignore[assignment]  # (str.count: never called on a kind)
    """How many, per period or per something: "38 stoppage hours per month", "3.25 tonnes"."""
    share = "share"
    """A fraction of the whole, 0 to 1: "0.6 of the stoppages had a warning"."""


class Assumption(_Section):
    """One factor of the cost-of-inaction calculation, visible so the customer can argue it."""

    name: Text = Field("", title="Assumption")
    value: Number | None = Field(None, title="Value")
    unit: Text = Field("", title="Unit")
    kind: FactorKind = Field(FactorKind.count, title="What it is",
                             description="Money per unit, a count per period, or a share (0-1)")

    @model_validator(mode="after")
    def _share_is_a_fraction(self) -> Assumption:
        if self.kind == FactorKind.share and self.value is not None \
                and not 0 <= self.value <= 1:
            raise PydanticCustomError(
                "share_range", "a share is a fraction from 0 to 1: 0.6 for 60 %")
        return self


class CostOfInaction(_Section):
    """What it costs the customer to change nothing, per ``period``."""

    amount: Money | None = Field(None, title="Amount",
                                 description="Set by the assumptions when they are all filled")
    period: Period = Field(Period.month, title="Per", description="The assumptions give a cost per")
    assumptions: list[Assumption] = Field([], max_length=50, title="Assumptions")
    notes: Text = Field("", title="Notes on the calculation")

    @property
    def known(self) -> bool:
        """Somebody put a price on it: an amount of money, typed or multiplied from the
        assumptions (with a money factor among them)."""
        return bool(self.money_amount())

    @property
    def priced(self) -> bool:
        """Can the assumptions give money? Only with a money factor among them ("9 batches
        per month" alone is a count, not a cost). Without assumptions, a typed amount is."""
        return not self.assumptions or any(a.kind == FactorKind.money
                                           for a in self.assumptions)

    def product(self) -> float | None:
        """The product of the assumptions' values, or None while any value is missing."""
        values = [a.value for a in self.assumptions]
        if not values or any(v is None for v in values):
            return None
        total = 1.0
        for v in values:
            total *= v  # type: ignore[operator]
        return total

    def computed_amount(self) -> float | None:
        """The money the assumptions multiply to: None while any value is missing or while
        no factor is money."""
        return self.product() if self.assumptions and self.priced else None

    def money_amount(self) -> float | None:
        """The cost of inaction in the deal's currency per ``period``, or None: never a
        count dressed up as money."""
        if not self.priced:
            return None
        return self.amount if self.amount is not None else self.computed_amount()

    def missing(self) -> str:
        """What stands between the assumptions and an amount of money ("" when nothing)."""
        if not self.assumptions:
            return "" if self.amount is not None else "an amount, or assumptions that give one"
        unfilled = [a.name or f"assumption {i + 1}" for i, a in enumerate(self.assumptions)
                    if a.value is None]
        if unfilled:
            return "a value for " + ", ".join(unfilled)
        if not self.priced:
            units = [a.unit.strip() for a in self.assumptions if a.kind == FactorKind.count
                     and a.unit.strip()]
            what = f"each of the {units[0].split(' per ')[0]}" if units else "one unit"
            return f"a money factor: what {what} costs them, in the deal's currency"
        return ""

    def quantity(self) -> str:
        """The assumptions' product with its units, when it is not money: "9 batches per
        month" ("" when it is money or not all values are there)."""
        total = self.product()
        if total is None or self.priced:
            return ""
        units = [a.unit.strip() for a in self.assumptions if a.unit.strip()
                 and a.kind == FactorKind.count]
        number = f"{total:,.0f}" if float(total).is_integer() else f"{total:,.4g}"
        return f"{number} {' × '.join(units)}".strip()

    def per(self, period: Period) -> float | None:
        """The money amount restated per month or per year (None without one)."""
        amount = self.money_amount()
        if amount is None:
            return None
        if period == self.period:
            return amount
        return amount * 12 if period == Period.year else amount / 12


class GlossaryEntry(_Section):
    """How the customer says it, how we say it: "you don't understand, we're different"."""

    customer_term: Text = Field("", title="Their term")
    our_term: Text = Field("", title="Our term")
    meaning: Text = Field("", title="Meaning")


class Evidence(_Section):
    """Where an answer comes from: a quote, its source and date, checked or assumed."""

    field: Annotated[str, StringConstraints(max_length=100)] = Field("", title="About")
    quote: Text = Field("", title="Quote")
    source: Text = Field("", title="Source")
    date: dt.date | None = Field(None, title="Date")
    verified: bool = Field(False, title="Verified")


class Problem(_Section):
    """What the customer is trying to solve, in their words and their metrics."""

    statement: Text = Field("", title="The problem, in the customer's words")
    in_customer_words: bool = Field(False, title="These are the customer's own words")
    statement_source: Text = Field("", title="Whose words, and when")
    current_state: Text = Field("", title="Current state", description="Where they are today")
    future_state: Text = Field("", title="Desired future state",
                               description="Where they want to be")
    root_cause: Text = Field("", title="Root cause")
    business_impact: Text = Field("", title="Business impact")
    personal_impact: Text = Field("", title="Personal impact",
                                  description="What it does to people, personally")
    why_change: Text = Field("", title="Why change")
    why_now: Text = Field("", title="Why now")
    metrics: list[Metric] = Field([], max_length=MAX_ITEMS, title="Metrics")
    cost_of_inaction: CostOfInaction = Field(CostOfInaction(), title="Cost of inaction")
    alternatives: list[Text] = Field([], max_length=MAX_ITEMS,
                                     title="Alternatives the customer has")
    glossary: list[GlossaryEntry] = Field([], max_length=MAX_ITEMS,
                                          title="Their words, our words")
    evidence: list[Evidence] = Field([], max_length=MAX_ITEMS, title="Evidence")

    @property
    def has_measurable_metric(self) -> bool:
        """At least one metric with a baseline and a target."""
        return any(m.measurable for m in self.metrics)

    def mentions_do_nothing(self, phrases: Iterable[str]) -> bool:
        """Is doing nothing among the alternatives (any of ``phrases``, any case)?"""
        wanted = [p.lower() for p in phrases]
        return any(p in alt.lower() for alt in self.alternatives for p in wanted)


class Risk(_Section):
    """A risk of the change or of one alternative, business or personal."""

    description: Text = Field("", title="Risk")
    category: RiskCategory = Field(RiskCategory.business, title="Kind")
    applies_to: Text = Field("the change", title="Risk of",
                             description="The change, or which alternative")
    likelihood: Score | None = Field(None, title="Likelihood (1-5)")
    impact: Score | None = Field(None, title="Impact (1-5)")
    carried_by: Text = Field("", title="Carried by", description="Who carries it at the customer")
    owner: Text = Field("", title="Owner")
    mitigation: Text = Field("", title="Mitigation")
    status: RiskStatus = Field(RiskStatus.open, title="Status")
    shared: bool = Field(False, title="Share with the customer",
                         description="Show this risk on the customer's page")

    @property
    def exposure(self) -> int | None:
        """Likelihood x impact (1-25), None while either is unknown."""
        if self.likelihood is None or self.impact is None:
            return None
        return self.likelihood * self.impact


class Stakeholder(_Section):
    """One person of the buying group, seen from where they sit."""

    name: Name = Field(title="Name")
    title: Text = Field("", title="Title")
    role: Role = Field(Role.influencer, title="Role in the decision")
    influence: Score | None = Field(None, title="Influence (1-5)")
    stance: Stance | None = Field(None, title="Stance (-5 against … +5 for)")
    business_goal: Text = Field("", title="Business goal",
                                description="What they want for the business")
    personal_goal: Text = Field("", title="Personal goal",
                                description="What they want for themselves")
    view_of_problem: Text = Field("", title="View of the problem",
                                  description="How they see the problem")
    concerns: Text = Field("", title="Concerns")
    trust: Score | None = Field(None, title="Trust in us (1-5)")
    active: bool = Field(True, title="Active in the decision",
                         description="Not just dropping in")
    last_contact: dt.date | None = Field(None, title="Last contact")


class Disagreement(_Section):
    """Where members of the buying group want different things."""

    between: list[Name] = Field(min_length=2, max_length=50, title="Between")
    about: Text = Field("", title="About what")
    severity: Score | None = Field(None, title="Severity (1-5)")
    resolution_plan: Text = Field("", title="Plan to resolve it")
    resolved: bool = Field(False, title="Resolved")


class ConfidenceView(_Section):
    """How sure one side is, per dimension (1-5, None while not assessed). The fields are the
    dimensions of decision confidence, in the order they are asked; each title completes
    "How sure are they about ..."."""

    problem: Score | None = Field(None, title="the problem")
    solution: Score | None = Field(None, title="the solution")
    risks: Score | None = Field(None, title="the risks")
    personal_impact: Score | None = Field(None, title="what it means for them personally")
    organisation_impact: Score | None = Field(None,
                                              title="what it means for the organisation")
    consensus: Score | None = Field(None, title="whether the buying group agrees")
    plan: Score | None = Field(None, title="their plan to change")

    def scores(self) -> dict[str, int | None]:
        return {d: getattr(self, d) for d in DIMENSIONS}


DIMENSIONS: tuple[str, ...] = tuple(ConfidenceView.model_fields)
"""The dimensions of decision confidence, in the order they are asked."""

DIMENSION_WORDS: dict[str, str] = {d: ConfidenceView.model_fields[d].title or d
                                   for d in DIMENSIONS}
"""Each dimension as words: "how sure are they about <words>"."""

if TYPE_CHECKING:
    class ConfidenceEvidence(_Section):
        """What we saw or heard that supports the customer's confidence, per dimension."""

        def get(self, dimension: str) -> str: ...
else:
    ConfidenceEvidence = create_model(
        "ConfidenceEvidence", __base__=_Section,
        __doc__="What we saw or heard that supports the customer's confidence, per dimension.",
        **{d: (Text, Field("", title=f"Evidence about {w}")) for d, w in DIMENSION_WORDS.items()},
    )


class Confidence(_Section):
    """Decision confidence from the customer's side, with the seller's view beside it."""

    customer: ConfidenceView = Field(ConfidenceView(), title="The customer's confidence")
    seller: ConfidenceView = Field(ConfidenceView(), title="Our view")
    evidence: ConfidenceEvidence = Field(ConfidenceEvidence(),
                                         title="Evidence for the customer's view")
    decision_process: Text = Field("", title="Decision process",
                                   description="How they will decide")
    paper_process: Text = Field("", title="Paper process",
                                description="Legal, purchasing, signatures")


class Milestone(_Section):
    """One step of the mutual plan, owned on both sides."""

    milestone: Text = Field("", title="Milestone")
    customer_owner: Text = Field("", title="Customer owner",
                                 description="Owner at the customer")
    seller_owner: Text = Field("", title="Our owner")
    date: dt.date | None = Field(None, title="Date")
    confirmed: bool = Field(False, title="Confirmed by the customer")
    done: bool = Field(False, title="Done")


class Fit(_Section):
    """Is buying this a good decision for the customer? If not, walk away."""

    good_for_customer: FitAnswer | None = Field(
        None, title="Is buying this good for the customer?")
    reason: Text = Field("", title="Why")


class Training(_Section):
    """Set when the workbook was made in a workshop: which scenario, who, which cohort."""

    scenario: Text = Field("", title="Scenario")
    participant: Text = Field("", title="Participant")
    cohort: Text = Field("", title="Cohort")


class Deal(_Section):
    """The whole change story of one deal: the document a workbook file holds."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    deal: DealInfo = Field(title="Deal")
    problem: Problem = Field(Problem(), title="Problem")
    risks: list[Risk] = Field([], max_length=MAX_ITEMS, title="Risks")
    stakeholders: list[Stakeholder] = Field([], max_length=MAX_ITEMS, title="Stakeholders")
    disagreements: list[Disagreement] = Field([], max_length=MAX_ITEMS, title="Disagreements")
    confidence: Confidence = Field(Confidence(), title="Decision confidence")
    plan: list[Milestone] = Field([], max_length=MAX_ITEMS, title="Mutual plan")
    fit: Fit = Field(Fit(), title="Fit")
    training: Training = Field(Training(), title="Training")

    @model_validator(mode="after")
    def _people_are_known(self) -> Deal:
        """Stakeholder names are unique; disagreements only name stakeholders."""
        seen: set[str] = set()
        for i, person in enumerate(self.stakeholders):
            if person.name in seen:
                raise PydanticCustomError(
                    "duplicate_stakeholder",
                    "stakeholders[{index}].name: '{name}' is listed twice",
                    {"index": i, "name": person.name},
                )
            seen.add(person.name)
        for i, dis in enumerate(self.disagreements):
            for j, name in enumerate(dis.between):
                if name not in seen:
                    raise PydanticCustomError(
                        "unknown_stakeholder",
                        "disagreements[{index}].between[{pos}]: '{name}' is not a stakeholder",
                        {"index": i, "pos": j, "name": name},
                    )
        return self

    @property
    def id(self) -> str:
        return self.deal.id

    @property
    def closed(self) -> bool:
        return self.deal.stage.closed

    @property
    def active_stakeholders(self) -> list[Stakeholder]:
        """The people active in the decision (not just dropping in)."""
        return [s for s in self.stakeholders if s.active]

    @property
    def last_contact(self) -> dt.date | None:
        """The latest contact with anyone in the buying group, if any was recorded."""
        return max((s.last_contact for s in self.stakeholders if s.last_contact), default=None)

    def days_since_contact(self, today: dt.date) -> int | None:
        """Days from the latest contact to ``today`` (0 for a contact in the future)."""
        last = self.last_contact
        return None if last is None else max(0, (today - last).days)

    def to_json_dict(self) -> dict:
        """The canonical JSON form: every key present, so a file shows what is still empty."""
        return self.model_dump(mode="json")


DO_NOTHING = "Do nothing"


def empty_deal(deal_id: str, **info: object) -> Deal:
    """A new deal with only its header filled: how every workbook starts. "Do nothing" is
    already among the alternatives, because it always is one."""
    return Deal.model_validate({"deal": {"id": deal_id, **info},
                                "problem": {"alternatives": [DO_NOTHING]}})


def json_schema() -> dict:
    """The JSON Schema of the file format, as ``coachkit schema`` prints it."""
    schema = Deal.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:coachkit:deal:v{SCHEMA_VERSION}"
    return schema
