"""Scores a manager can argue with: each one is a sum of named parts, shown with the score.

- completeness, per section and overall (0-100): how much of the change story is told;
- decision-confidence index (0-100): how sure the *customer* is, dimension by dimension;
- consensus index (0-100): how close the buying group is to one view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coachkit.coaching.settings import Settings
from coachkit.coaching.wording import blank, hollow, shortened
from coachkit.model import DIMENSION_WORDS, DIMENSIONS, Deal, RiskStatus, Role, vocabulary
from coachkit.model.deal import SCORES, score_share, stance_share


@dataclass(frozen=True)
class Part:
    """One named contribution to a score: ``points`` earned of ``max_points``."""

    name: str
    points: float
    max_points: float
    note: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        return {"name": self.name, "points": round(self.points, 1),
                "max_points": round(self.max_points, 1), "note": self.note}


@dataclass(frozen=True)
class Score:
    """A score (0-100) and the parts it is the sum of."""

    name: str
    value: float
    parts: tuple[Part, ...]
    known: bool = True

    def to_json_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": round(self.value, 1), "known": self.known,
                "parts": [p.to_json_dict() for p in self.parts]}


def _score(name: str, parts: list[Part], known: bool = True) -> Score:
    return Score(name, sum(p.points for p in parts), tuple(parts), known)


def _filled(text: str) -> bool:
    return not blank(text)


def _part(name: str, max_points: float, fraction: float, note: str = "") -> Part:
    return Part(name, max_points * max(0.0, min(1.0, fraction)), max_points, note)


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


# -- completeness, section by section ----------------------------------------------------------


def _deal_parts(deal: Deal, settings: Settings) -> list[Part]:
    info = deal.deal
    return [
        _part("customer and title", 20, _share([_filled(info.customer), _filled(info.title)])),
        _part("seller and team", 10, _share([_filled(info.seller), _filled(info.team)])),
        _part("value", 20, float(info.value is not None)),
        _part("close date", 20, float(info.close_date is not None)),
        _part("compelling event", 30, _share([_filled(info.compelling_event),
                                              info.compelling_event_date is not None])),
    ]


def _problem_parts(deal: Deal, settings: Settings) -> list[Part]:
    p = deal.problem
    coi = p.cost_of_inaction
    return [
        _part("problem statement", 15, float(_filled(p.statement))),
        _part("in the customer's words", 10, float(p.in_customer_words and _filled(p.statement))),
        _part("current and future state", 10, _share([_filled(p.current_state),
                                                      _filled(p.future_state)])),
        _part("root cause", 5, float(_filled(p.root_cause))),
        _part("business and personal impact", 10, _share([_filled(p.business_impact),
                                                          _filled(p.personal_impact)])),
        _part("why change, why now", 15, _share([_filled(p.why_change), _filled(p.why_now)])),
        _part("a metric with baseline and target", 10, float(p.has_measurable_metric)),
        _part("cost of inaction", 15, _share([coi.known, bool(coi.assumptions)])),
        _part("alternatives", 5, float(len(p.alternatives) >= 2)),
        _part("glossary of their terms", 5, float(bool(p.glossary))),
    ]


def _risk_parts(deal: Deal, settings: Settings) -> list[Part]:
    risks = deal.risks
    live = [r for r in risks if r.status != RiskStatus.closed]
    high = [r for r in live if (r.exposure or 0) >= settings.risks.high_exposure]
    placeholders = [r.mitigation.strip() for r in high
                    if not blank(r.mitigation) and hollow(r.mitigation, settings)]
    return [
        _part("risks named", 25, min(len(risks), 3) / 3, f"{len(risks)} named"),
        _part("likelihood and impact rated", 25, _share([r.exposure is not None for r in risks])),
        _part("owners", 25, _share([_filled(r.owner) for r in live]) if live else float(
            bool(risks))),
        # a placeholder ("tbd", "monitor") earns nothing: it is no mitigation (wording.hollow)
        _part("mitigations for the serious ones", 25,
              _share([not hollow(r.mitigation, settings) for r in high]) if high
              else float(bool(risks)),
              f"placeholder{'s' if len(placeholders) > 1 else ''} only: "
              + ", ".join(f"'{shortened(p, '', 30)}'" for p in placeholders)
              if placeholders else ""),
    ]


def _stakeholder_parts(deal: Deal, settings: Settings) -> list[Part]:
    people = deal.stakeholders
    active = deal.active_stakeholders
    return [
        _part("buying group mapped", 25, min(len(people), 4) / 4, f"{len(people)} people"),
        _part("economic buyer identified", 15, float(any(
            s.role == Role.economic_buyer for s in people))),
        _part("champion identified", 10, float(any(s.role == Role.champion for s in people))),
        _part("influence and stance", 20, _share([s.influence is not None and
                                                   s.stance is not None for s in people])),
        _part("their goals and view of the problem", 20, _share([
            _filled(s.business_goal) and _filled(s.view_of_problem) for s in people])),
        _part("last contact", 10, _share([s.last_contact is not None for s in active])),
    ]


def _confidence_parts(deal: Deal, settings: Settings) -> list[Part]:
    c = deal.confidence
    customer = c.customer.scores()
    evidence = c.evidence.model_dump()
    return [
        _part("customer's confidence assessed", 50, _share([v is not None
                                                            for v in customer.values()])),
        _part("evidence for it", 20, _share([_filled(evidence[d]) for d in DIMENSIONS])),
        _part("seller's view", 10, _share([v is not None for v in c.seller.scores().values()])),
        _part("decision and paper process", 20, _share([_filled(c.decision_process),
                                                        _filled(c.paper_process)])),
    ]


def _plan_parts(deal: Deal, settings: Settings) -> list[Part]:
    plan = deal.plan
    return [
        _part("milestones", 40, min(len(plan), 3) / 3, f"{len(plan)} milestones"),
        _part("customer owners", 30, _share([_filled(m.customer_owner) for m in plan])),
        _part("confirmed by the customer", 30, _share([m.confirmed for m in plan])),
    ]


def _fit_parts(deal: Deal, settings: Settings) -> list[Part]:
    return [
        _part("judged", 60, float(deal.fit.good_for_customer is not None)),
        _part("reason given", 40, float(_filled(deal.fit.reason))),
    ]


PARTS: dict[str, Callable[[Deal, Settings], list[Part]]] = {
    "deal": _deal_parts,
    "problem": _problem_parts,
    "risks": _risk_parts,
    "stakeholders": _stakeholder_parts,
    "confidence": _confidence_parts,
    "plan": _plan_parts,
    "fit": _fit_parts,
}
"""What makes each section complete. A section without an entry here and with a weight is
shown as not measured; one with neither (disagreements: part of the buying group's
completeness) is left out."""


def section_completeness(deal: Deal, settings: Settings) -> dict[str, Score]:
    """Completeness (0-100) of each section, with its parts, in the workbook's order."""
    out = {}
    for s in vocabulary.SECTIONS:
        parts = PARTS.get(s.key)
        if parts is not None:
            out[s.key] = _score(s.title, parts(deal, settings))
        elif settings.section_weight(s.key) > 0:
            out[s.key] = Score(s.title, 0.0, (), known=False)
    return out


def completeness(deal: Deal, settings: Settings) -> Score:
    """Overall completeness: the sections' scores, weighted as the settings say."""
    sections = section_completeness(deal, settings)
    weights = {key: settings.section_weight(key) for key in sections}
    total = sum(weights.values()) or 1.0
    parts = [
        Part(f"{sections[key].name} ({sections[key].value:.0f}% complete)",
             sections[key].value * weight / total, 100 * weight / total)
        for key, weight in weights.items() if weight > 0
    ]
    return _score("completeness", parts)


def confidence_index(deal: Deal) -> Score:
    """The customer's decision confidence: each dimension adds up to 100/7 points,
    :func:`~coachkit.model.deal.score_share` of them; a dimension nobody assessed adds
    nothing."""
    share = 100 / len(DIMENSIONS)
    parts = []
    for dim, value in deal.confidence.customer.scores().items():
        if value is None:
            parts.append(Part(DIMENSION_WORDS[dim], 0.0, share, "not assessed"))
        else:
            parts.append(Part(DIMENSION_WORDS[dim], share * score_share(value), share,
                              f"{value} of {SCORES[-1]}"))
    known = any(deal.confidence.customer.scores()[d] is not None for d in DIMENSIONS)
    return _score("decision confidence", parts, known)


def consensus_index(deal: Deal, settings: Settings) -> Score:
    """How close the buying group is to one view: their influence-weighted stance, less
    what open disagreements cost (a plan halves the cost). Known only once at least two
    people's stances are."""
    cfg = settings.scores
    assumed = cfg.assumed_rating
    rated = [(s.influence or assumed, s.stance) for s in deal.stakeholders
             if s.stance is not None]
    if rated:
        weight = sum(influence for influence, _ in rated)
        mean = sum(influence * stance for influence, stance in rated) / weight
        stance = _part("stance of the buying group", cfg.stance_points, stance_share(mean),
                       f"influence-weighted stance {mean:+.1f} across {len(rated)} "
                       f"{'person' if len(rated) == 1 else 'people'}")
    else:
        stance = Part("stance of the buying group", 0.0, cfg.stance_points, "no stance known")
    cost = 0.0
    open_count = 0
    for d in deal.disagreements:
        if d.resolved:
            continue
        open_count += 1
        one = (d.severity or assumed) * cfg.disagreement_cost
        cost += one / 2 if d.resolution_plan.strip() else one
    agreement = Part("agreement", max(0.0, cfg.agreement_points - cost),
                     cfg.agreement_points, f"{open_count} open disagreement"
                     f"{'s' if open_count != 1 else ''}")
    # One person's stance says nothing about whether a group agrees.
    return _score("consensus", [stance, agreement], known=len(rated) >= 2)
