"""Each rule fires where it must and stays quiet where it must, at its threshold too."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from coachkit.coaching.coach import Coach
from coachkit.coaching.registry import Severity, registry
from coachkit.model import Deal
from coachkit.training.demo import demo_deal
from support.helpers import TODAY

WELL_RUN = "northwind-plant-maintenance"
Doc = dict[str, Any]


def base() -> Doc:
    return demo_deal(WELL_RUN, TODAY).to_json_dict()


def fired(coach: Coach, doc: Doc, today: dt.date = TODAY) -> dict[str, list]:
    result = coach.run(Deal.model_validate(doc), today)
    out: dict[str, list] = {}
    for f in result.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def test_the_well_run_demo_deal_has_no_warning_or_critical(coach: Coach) -> None:
    findings = coach.run(demo_deal(WELL_RUN, TODAY), TODAY).findings
    assert [f for f in findings if f.severity != Severity.info] == []


def test_every_built_in_rule_has_its_settings_table(coach: Coach) -> None:
    assert set(registry()) <= set(coach.settings.rules)
    assert set(coach.settings.rules) <= set(registry())


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        target: Any = doc
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return apply


def _all(*steps: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for step in steps:
            step(doc)

    return apply


def _people(**fields: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for person in doc["stakeholders"]:
            person.update(fields)

    return apply


def _only_active(n: int) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for i, person in enumerate(doc["stakeholders"]):
            person["active"] = i < n

    return apply


def _confidence(side: str, **dims: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc["confidence"][side].update(dims)

    return apply


def _role(index: int, role: str) -> Callable[[Doc], None]:
    return _set(f"stakeholders.{index}.role", role)


def _roles_without(role: str) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for person in doc["stakeholders"]:
            if person["role"] == role:
                person["role"] = "influencer"

    return apply


def _risk(**fields: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc["risks"] = [{"description": "budget frozen", "category": "commercial",
                         "likelihood": 2, "impact": 2, "owner": "CFO",
                         "mitigation": "phase the spend", "status": "open", **fields}]

    return apply


def _milestone(**fields: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc["plan"] = [{"milestone": "pilot sign-off", "customer_owner": "Plant manager",
                        "seller_owner": "Lena", "date": "2026-12-10", "confirmed": True,
                        "done": False, **fields}]

    return apply


def _disagreement(**fields: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        names = [p["name"] for p in doc["stakeholders"]][:2]
        doc["disagreements"] = [{"between": names, "about": "timing", "severity": 3,
                                 "resolution_plan": "", "resolved": False, **fields}]

    return apply


def _contacts(days: int) -> Callable[[Doc], None]:
    return _people(last_contact=(TODAY - dt.timedelta(days=days)).isoformat())


def _stances(stance: int) -> Callable[[Doc], None]:
    return _all(_people(stance=stance, influence=3), _set("disagreements", []))


def _ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def _people_at(index: int, **fields: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc["stakeholders"][index].update(fields)

    return apply


def _milestone_from_close(days: int) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        close = dt.date.fromisoformat(doc["deal"]["close_date"])
        _milestone(date=(close + dt.timedelta(days=days)).isoformat())(doc)

    return apply


def _coi(per_month: float) -> Callable[[Doc], None]:
    return _set("problem.cost_of_inaction", {"amount": per_month, "period": "month",
                                             "assumptions": [], "notes": ""})


def _no_evidence(*dims: str) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for dim in dims:
            doc["confidence"]["evidence"][dim] = ""
            doc["confidence"]["seller"][dim] = 5

    return apply


def _glossary(term: str) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc["problem"]["glossary"].append({"customer_term": term, "our_term": "total cost of "
                                           "ownership", "meaning": "their controlling's word"})

    return apply


PRODUCT = "They need to buy a new scheduling system with mobile features"
PROBLEM = "Their scheduling system double-books technicians, so 15% of visits are missed"

# rule id -> (mutation that makes it fire, mutation at or near its threshold that must not)
CASES: dict[str, tuple[Callable[[Doc], None], Callable[[Doc], None]]] = {
    "problem-missing": (_set("problem.statement", "   "), _set("problem.statement", "x")),
    "problem-as-product": (_set("problem.statement", PRODUCT),
                           _set("problem.statement", PROBLEM)),
    "not-in-customer-words": (
        _set("problem.in_customer_words", False),
        _all(_set("problem.in_customer_words", False), _set("deal.stage", "discovery"))),
    "no-cost-of-inaction": (
        _set("problem.cost_of_inaction", {"amount": None, "assumptions": []}),
        _set("problem.cost_of_inaction", {"amount": None, "assumptions": [
            {"name": "hours", "value": 10},
            {"name": "rate", "value": 90, "unit": "EUR per hour", "kind": "money"}]})),
    "no-metric": (
        _set("problem.metrics", [{"name": "OEE", "baseline": 61, "target": None}]),
        _set("problem.metrics", [{"name": "fines", "baseline": 0, "target": 0}])),
    "no-why-now": (_set("problem.why_now", ""), _set("problem.why_now", "audit in March")),
    "no-do-nothing": (_set("problem.alternatives", ["Rival Co", "In-house team"]),
                      _set("problem.alternatives", ["Rival Co", "Keep the status quo"])),
    "single-threaded": (
        _all(_set("deal.value", 250_000), _only_active(3)),
        _all(_set("deal.value", 249_999), _only_active(3))),
    "no-economic-buyer": (_roles_without("economic_buyer"),
                          _all(_roles_without("economic_buyer"), _role(0, "economic_buyer"))),
    "no-champion": (_roles_without("champion"),
                    _all(_roles_without("champion"), _role(1, "champion"))),
    "opposed-influencer": (
        _all(_set("stakeholders.0.influence", 4), _set("stakeholders.0.stance", -3)),
        _all(_set("stakeholders.0.influence", 4), _set("stakeholders.0.stance", -2))),
    "drop-in-decider": (
        _all(_set("stakeholders.0.influence", 4), _set("stakeholders.0.active", False)),
        _all(_set("stakeholders.0.influence", 3), _set("stakeholders.0.active", False))),
    "unresolved-disagreement": (_disagreement(severity=4), _disagreement(severity=3)),
    "low-consensus": (_all(_stances(-5), _disagreement(severity=1, resolution_plan="talk")),
                      _stances(-5)),
    "unowned-risk": (_risk(owner=""), _risk(owner="", status="mitigated")),
    "unmitigated-risk": (_risk(likelihood=3, impact=4, mitigation=""),
                         _risk(likelihood=2, impact=5, mitigation="")),
    "low-confidence": (_confidence("customer", risks=2), _confidence("customer", risks=3)),
    "unknown-confidence": (_confidence("customer", plan=None),
                           _all(_confidence("customer", plan=None),
                                _set("deal.stage", "qualification"))),
    "confidence-gap": (_all(_confidence("customer", solution=3), _confidence("seller",
                                                                             solution=5)),
                       _all(_confidence("customer", solution=3), _confidence("seller",
                                                                             solution=4))),
    "no-mutual-plan": (_set("plan", []),
                       _all(_set("plan", []), _set("deal.stage", "qualification"))),
    "plan-unconfirmed": (_milestone(confirmed=False), _milestone(confirmed=False, done=True)),
    "close-date-passed": (_set("deal.close_date", (TODAY - dt.timedelta(days=1)).isoformat()),
                          _set("deal.close_date", TODAY.isoformat())),
    "stale-deal": (_contacts(22), _contacts(21)),
    "doubtful-fit": (_set("fit.good_for_customer", "unsure"),
                     _set("fit.good_for_customer", "yes")),
    # the rules that read across sections (coaching/across.py)
    "silent-key-person": (_set("stakeholders.1.last_contact", _ago(46)),
                          _set("stakeholders.1.last_contact", _ago(45))),
    "economic-buyer-unmet": (
        _people_at(0, last_contact=None, stance=None, trust=None),
        _people_at(0, last_contact=None, stance=None, trust=3)),
    "plan-after-close": (_milestone_from_close(1), _milestone_from_close(0)),
    "small-cost-of-inaction": (_coi(7000), _coi(7400)),  # 264k: 3.1 vs 2.97 years
    "key-pair-disagree": (_disagreement(severity=None),
                          _disagreement(severity=2, resolution_plan="joint workshop 12 Dec")),
    "stage-ahead-of-consensus": (_confidence("customer", consensus=2),
                                 _confidence("customer", consensus=3)),
    "confidence-without-evidence": (_no_evidence("problem", "solution", "risks"),
                                    _no_evidence("problem", "solution")),
    "jargon-as-customer-words": (
        _set("problem.statement", "Stoppages on line 3 push our TCO up and cost a shift"),
        _all(_set("problem.statement", "Stoppages on line 3 push our TCO up and cost a shift"),
             _glossary("TCO"))),
    "our-risk": (_risk(description="They buy a cheaper competitor's sensors instead"),
                 _risk(description="The budget is frozen until the plant P&L review")),
    "our-compelling-event": (
        _set("deal.compelling_event", "Our quarter end: the 15% discount expires"),
        _set("deal.compelling_event", "The grocery contract's penalties start in April")),
    "plan-all-ours": (_milestone(customer_owner=""), _milestone(customer_owner="Plant manager")),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(registry())


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(rule_id: str, coach: Coach) -> None:
    doc = base()
    CASES[rule_id][0](doc)
    found = fired(coach, doc)
    assert rule_id in found, sorted(found)
    for finding in found[rule_id]:
        assert finding.message and finding.question.endswith("?")
        assert finding.field.split(".")[0].split("[")[0] in (
            "deal", "problem", "stakeholders", "disagreements", "risks", "confidence", "plan",
            "fit")


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_stays_quiet(rule_id: str, coach: Coach) -> None:
    doc = base()
    CASES[rule_id][1](doc)
    assert rule_id not in fired(coach, doc)


def test_findings_point_at_their_field(coach: Coach) -> None:
    doc = base()
    in_talks = {n for d in doc["disagreements"] for n in d["between"]}
    i = next(i for i, p in enumerate(doc["stakeholders"]) if p["name"] not in in_talks)
    _all(_set(f"stakeholders.{i}.influence", 5), _set(f"stakeholders.{i}.stance", -4))(doc)
    finding = fired(coach, doc)["opposed-influencer"][0]
    assert finding.field == f"stakeholders[{i}].stance"
    assert doc["stakeholders"][i]["name"] in finding.message


def test_opposed_influencer_with_a_plan_is_quiet(coach: Coach) -> None:
    doc = base()
    _all(_set("stakeholders.0.influence", 5), _set("stakeholders.0.stance", -5),
         _disagreement(severity=5, resolution_plan="joint site visit in December"))(doc)
    found = fired(coach, doc)
    assert "opposed-influencer" not in found and "unresolved-disagreement" not in found


def test_doubtful_fit_no_is_critical(coach: Coach) -> None:
    doc = base()
    _set("fit.good_for_customer", "no")(doc)
    assert fired(coach, doc)["doubtful-fit"][0].severity == Severity.critical
    doc["fit"]["good_for_customer"] = "unsure"
    assert fired(coach, doc)["doubtful-fit"][0].severity == Severity.warning


def test_stage_gates_spare_an_early_deal(coach: Coach) -> None:
    doc = {"deal": {"id": "early", "stage": "discovery"},
           "problem": {"statement": "Crews lose two hours a day driving between sites"}}
    assert fired(coach, doc) == {}
    doc["deal"]["stage"] = "proposal"
    late = fired(coach, doc)
    assert {"no-metric", "no-why-now", "no-mutual-plan", "unknown-confidence"} <= set(late)


def test_closed_deals_are_not_coached(coach: Coach) -> None:
    doc = base()
    _all(_set("deal.stage", "closed_won"), _set("problem.statement", PRODUCT))(doc)
    assert fired(coach, doc) == {}


def test_today_is_an_argument_not_the_clock(coach: Coach) -> None:
    doc = base()
    close = dt.date.fromisoformat(doc["deal"]["close_date"])
    assert "close-date-passed" not in fired(coach, doc, today=close)
    assert "close-date-passed" in fired(coach, doc, today=close + dt.timedelta(days=1))


def test_demo_deals_show_their_flaws(coach: Coach) -> None:
    product = fired(coach, demo_deal("harbourline-crm-replacement", TODAY).to_json_dict())
    assert {"problem-as-product", "no-cost-of-inaction", "no-do-nothing", "single-threaded",
            "no-economic-buyer", "confidence-gap"} <= set(product)
    split = fired(coach, demo_deal("fjordbank-onboarding", TODAY).to_json_dict())
    assert {"unresolved-disagreement", "opposed-influencer", "drop-in-decider",
            "unmitigated-risk", "unowned-risk", "low-consensus"} <= set(split)
    early = fired(coach, demo_deal("tallis-early-discovery", TODAY).to_json_dict())
    assert all(f.severity != Severity.critical for fs in early.values() for f in fs)


def test_findings_are_ordered_most_severe_first(coach: Coach) -> None:
    result = coach.run(demo_deal("fjordbank-onboarding", TODAY), TODAY)
    ranks = [f.severity.rank for f in result.findings]
    assert ranks == sorted(ranks)


def test_input_is_not_changed(coach: Coach) -> None:
    deal = demo_deal("fjordbank-onboarding", TODAY)
    before = copy.deepcopy(deal.to_json_dict())
    coach.run(deal, TODAY)
    assert deal.to_json_dict() == before
