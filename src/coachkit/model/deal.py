"""The change story of one deal: the public, versioned file format.

One deal is one JSON document. Every section may be empty or partly filled, because a
workbook is filled in over weeks; what *is* filled in must be well-formed. Unknown keys are
refused (``extra="forbid"``) so that a typo never silently drops a seller's work.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1

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
        raise PydanticCustomError(
            "bad_character",
            "contains a character that is not text (U+{code:04X})",
            {"code": ord(bad.group())},
        )
    return value


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_clean_text)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_clean_text),
]
DealId = Annotated[str, StringConstraints(pattern=DEAL_ID_PATTERN)]
Score = Annotated[int, Field(ge=1, le=5)]
Stance = Annotated[int, Field(ge=-5, le=5)]
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


class DealInfo(_Section):
    """Who is buying what, from whom, and by when."""

    id: DealId
    customer: Text = ""
    title: Text = ""
    seller: Text = ""
    team: Text = ""
    stage: Stage = Stage.discovery
    value: Money | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    close_date: dt.date | None = None
    compelling_event: Text = ""
    compelling_event_date: dt.date | None = None


class Metric(_Section):
    """A measure in the customer's own terms, from where they are to where they want to be."""

    name: Text = ""
    baseline: Number | None = None
    target: Number | None = None
    unit: Text = ""


class Assumption(_Section):
    """One factor of the cost-of-inaction calculation, visible so the customer can argue it."""

    name: Text = ""
    value: Number | None = None
    unit: Text = ""


class CostOfInaction(_Section):
    """What it costs the customer to change nothing, per ``period``."""

    amount: Money | None = None
    period: Period = Period.month
    assumptions: Annotated[list[Assumption], Field(max_length=50)] = []
    notes: Text = ""

    def computed_amount(self) -> float | None:
        """The product of the assumptions' values, or None while any value is missing."""
        values = [a.value for a in self.assumptions]
        if not values or any(v is None for v in values):
            return None
        total = 1.0
        for v in values:
            total *= v  # type: ignore[operator]
        return total

    def per(self, period: Period) -> float | None:
        """The amount restated per month or per year."""
        if self.amount is None:
            return None
        if period == self.period:
            return self.amount
        return self.amount * 12 if period == Period.year else self.amount / 12


class GlossaryEntry(_Section):
    """How the customer says it, how we say it: "you don't understand, we're different"."""

    customer_term: Text = ""
    our_term: Text = ""
    meaning: Text = ""


class Evidence(_Section):
    """Where an answer comes from: a quote, its source and date, checked or assumed."""

    field: Annotated[str, StringConstraints(max_length=100)] = ""
    quote: Text = ""
    source: Text = ""
    date: dt.date | None = None
    verified: bool = False


class Problem(_Section):
    """What the customer is trying to solve, in their words and their metrics."""

    statement: Text = ""
    in_customer_words: bool = False
    statement_source: Text = ""
    current_state: Text = ""
    future_state: Text = ""
    root_cause: Text = ""
    business_impact: Text = ""
    personal_impact: Text = ""
    why_change: Text = ""
    why_now: Text = ""
    metrics: Annotated[list[Metric], Field(max_length=MAX_ITEMS)] = []
    cost_of_inaction: CostOfInaction = CostOfInaction()
    alternatives: Annotated[list[Text], Field(max_length=MAX_ITEMS)] = []
    glossary: Annotated[list[GlossaryEntry], Field(max_length=MAX_ITEMS)] = []
    evidence: Annotated[list[Evidence], Field(max_length=MAX_ITEMS)] = []


class Risk(_Section):
    """A risk of the change or of one alternative, business or personal."""

    description: Text = ""
    category: RiskCategory = RiskCategory.business
    applies_to: Text = "the change"
    likelihood: Score | None = None
    impact: Score | None = None
    carried_by: Text = ""
    owner: Text = ""
    mitigation: Text = ""
    status: RiskStatus = RiskStatus.open

    @property
    def exposure(self) -> int | None:
        """Likelihood x impact (1-25), None while either is unknown."""
        if self.likelihood is None or self.impact is None:
            return None
        return self.likelihood * self.impact


class Stakeholder(_Section):
    """One person of the buying group, seen from where they sit."""

    name: Name
    title: Text = ""
    role: Role = Role.influencer
    influence: Score | None = None
    stance: Stance | None = None
    business_goal: Text = ""
    personal_goal: Text = ""
    view_of_problem: Text = ""
    concerns: Text = ""
    trust: Score | None = None
    active: bool = True
    last_contact: dt.date | None = None


class Disagreement(_Section):
    """Where members of the buying group want different things."""

    between: Annotated[list[Name], Field(min_length=2, max_length=50)]
    about: Text = ""
    severity: Score | None = None
    resolution_plan: Text = ""
    resolved: bool = False


DIMENSIONS: tuple[str, ...] = (
    "problem",
    "solution",
    "risks",
    "personal_impact",
    "organisation_impact",
    "consensus",
    "plan",
)
"""The dimensions of decision confidence, in the order they are asked."""


class ConfidenceView(_Section):
    """How sure one side is, per dimension (1-5, None while not assessed)."""

    problem: Score | None = None
    solution: Score | None = None
    risks: Score | None = None
    personal_impact: Score | None = None
    organisation_impact: Score | None = None
    consensus: Score | None = None
    plan: Score | None = None

    def scores(self) -> dict[str, int | None]:
        return {d: getattr(self, d) for d in DIMENSIONS}


class ConfidenceEvidence(_Section):
    """What we saw or heard that supports the customer's confidence, per dimension."""

    problem: Text = ""
    solution: Text = ""
    risks: Text = ""
    personal_impact: Text = ""
    organisation_impact: Text = ""
    consensus: Text = ""
    plan: Text = ""


class Confidence(_Section):
    """Decision confidence from the customer's side, with the seller's view beside it."""

    customer: ConfidenceView = ConfidenceView()
    seller: ConfidenceView = ConfidenceView()
    evidence: ConfidenceEvidence = ConfidenceEvidence()
    decision_process: Text = ""
    paper_process: Text = ""


class Milestone(_Section):
    """One step of the mutual plan, owned on both sides."""

    milestone: Text = ""
    customer_owner: Text = ""
    seller_owner: Text = ""
    date: dt.date | None = None
    confirmed: bool = False
    done: bool = False


class Fit(_Section):
    """Is buying this a good decision for the customer? If not, walk away."""

    good_for_customer: FitAnswer | None = None
    reason: Text = ""


class Training(_Section):
    """Set when the workbook was made in a workshop: which scenario, who, which cohort."""

    scenario: Text = ""
    participant: Text = ""
    cohort: Text = ""


class Deal(_Section):
    """The whole change story of one deal: the document a workbook file holds."""

    schema_version: Literal[1] = SCHEMA_VERSION
    deal: DealInfo
    problem: Problem = Problem()
    risks: Annotated[list[Risk], Field(max_length=MAX_ITEMS)] = []
    stakeholders: Annotated[list[Stakeholder], Field(max_length=MAX_ITEMS)] = []
    disagreements: Annotated[list[Disagreement], Field(max_length=MAX_ITEMS)] = []
    confidence: Confidence = Confidence()
    plan: Annotated[list[Milestone], Field(max_length=MAX_ITEMS)] = []
    fit: Fit = Fit()
    training: Training = Training()

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

    def stakeholder(self, name: str) -> Stakeholder | None:
        return next((s for s in self.stakeholders if s.name == name), None)

    def to_json_dict(self) -> dict:
        """The canonical JSON form: every key present, so a file shows what is still empty."""
        return self.model_dump(mode="json")


DO_NOTHING = "Do nothing"


def empty_deal(deal_id: str, **info: object) -> Deal:
    """A new deal with only its header filled: how every workbook starts. "Do nothing" is
    already among the alternatives, because it always is one."""
    return Deal(deal=DealInfo(id=deal_id, **info),  # type: ignore[arg-type]
                problem=Problem(alternatives=[DO_NOTHING]))


def json_schema() -> dict:
    """The JSON Schema of the file format, as ``coachkit schema`` prints it."""
    schema = Deal.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:coachkit:deal:v{SCHEMA_VERSION}"
    return schema
