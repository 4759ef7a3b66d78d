"""The change-story model: the public file format and what it refuses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from coachkit.model import (
    DIMENSIONS,
    SCHEMA_VERSION,
    CostOfInaction,
    Deal,
    Period,
    Risk,
    empty_deal,
    json_schema,
)

REQUIRED_KEYS = {
    "deal": {"id", "customer", "title", "seller", "team", "stage", "value", "currency",
             "close_date", "compelling_event"},
    "problem": {"statement", "in_customer_words", "current_state", "future_state", "root_cause",
                "business_impact", "personal_impact", "why_change", "why_now", "metrics",
                "cost_of_inaction", "alternatives", "glossary"},
}


def test_document_has_the_contracted_keys() -> None:
    doc = empty_deal("acme-1").to_json_dict()
    assert doc["schema_version"] == SCHEMA_VERSION == 3
    for section, keys in REQUIRED_KEYS.items():
        assert keys <= set(doc[section])
    assert set(doc["problem"]["cost_of_inaction"]) >= {"amount", "period", "assumptions"}
    for key in ("risks", "stakeholders", "disagreements", "plan"):
        assert doc[key] == []
    assert set(doc["confidence"]) >= {"customer", "seller", "evidence"}
    assert set(doc["confidence"]["customer"]) == set(DIMENSIONS)
    assert set(doc["confidence"]["evidence"]) == set(DIMENSIONS)
    assert set(doc["fit"]) == {"good_for_customer", "reason"}


def test_contracted_list_entries_have_their_keys() -> None:
    deal = Deal.model_validate({
        "deal": {"id": "x"},
        "problem": {"metrics": [{}], "glossary": [{}]},
        "risks": [{}],
        "stakeholders": [{"name": "A"}, {"name": "B"}],
        "disagreements": [{"between": ["A", "B"]}],
        "plan": [{}],
    }).to_json_dict()
    assert set(deal["problem"]["metrics"][0]) == {"name", "baseline", "target", "unit"}
    assert set(deal["problem"]["glossary"][0]) == {"customer_term", "our_term", "meaning"}
    assert {"description", "category", "likelihood", "impact", "owner", "mitigation",
            "status"} <= set(deal["risks"][0])
    assert {"name", "title", "role", "influence", "stance", "business_goal", "personal_goal",
            "view_of_problem", "concerns", "trust", "active", "last_contact"} <= set(
        deal["stakeholders"][0])
    assert {"between", "about", "severity", "resolution_plan", "resolved"} <= set(
        deal["disagreements"][0])
    assert {"milestone", "customer_owner", "seller_owner", "date", "confirmed", "done"} <= set(
        deal["plan"][0])


def test_a_deal_needs_only_its_id() -> None:
    assert Deal.model_validate({"deal": {"id": "only-an-id"}}).problem.statement == ""


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"deal": {"id": "x"}, "colour": "red"}, "colour"),
        ({"deal": {"id": "x", "stage": "won"}}, "stage"),
        ({"deal": {"id": "x"}, "risks": [{"likelihood": 6}]}, "likelihood"),
        ({"deal": {"id": "x"}, "stakeholders": [{"name": "A", "stance": -6}]}, "stance"),
        ({"deal": {"id": "x", "value": -1}}, "value"),
        ({"deal": {"id": "x", "close_date": "next week"}}, "close_date"),
        ({"deal": {"id": "../etc/passwd"}}, "id"),
        ({"deal": {"id": "a/b"}}, "id"),
        ({"deal": {"id": "x"}, "fit": {"good_for_customer": "maybe"}}, "good_for_customer"),
    ],
)
def test_refusals_name_the_field(data: dict, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        Deal.model_validate(data)
    assert fragment in str(info.value)


def test_disagreement_with_a_stranger_is_refused_with_the_name() -> None:
    with pytest.raises(ValidationError, match="'Zoe' is not a stakeholder"):
        Deal.model_validate({
            "deal": {"id": "x"},
            "stakeholders": [{"name": "Ann"}],
            "disagreements": [{"between": ["Ann", "Zoe"]}],
        })


def test_duplicate_stakeholder_names_are_refused() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        Deal.model_validate({"deal": {"id": "x"}, "stakeholders": [{"name": "A"}, {"name": "A"}]})


def test_cost_of_inaction_calculation() -> None:
    coi = CostOfInaction.model_validate({
        "amount": 12_000, "period": "month",
        "assumptions": [{"name": "hours lost", "value": 40, "kind": "count"},
                        {"name": "cost per hour", "value": 300, "kind": "money"}],
    })
    assert coi.computed_amount() == 12_000
    assert coi.per(Period.year) == 144_000
    assert coi.per(Period.month) == 12_000
    assert CostOfInaction().computed_amount() is None
    assert CostOfInaction().per(Period.year) is None


def test_a_count_alone_is_not_money() -> None:
    """"9 batches per month" says how many, not what it costs: no amount, and the
    calculation says what is missing."""
    coi = CostOfInaction.model_validate({
        "amount": 9, "period": "month",  # an amount a version-2 app set from the count
        "assumptions": [{"name": "failed batches", "value": 9, "unit": "batches per month",
                         "kind": "count"}],
    })
    assert coi.computed_amount() is None and coi.money_amount() is None
    assert coi.per(Period.month) is None and coi.per(Period.year) is None
    assert not coi.known
    assert coi.quantity() == "9 batches per month"
    assert coi.missing() == ("a money factor: what each of the batches costs them, in the "
                             "deal's currency")
    priced = CostOfInaction.model_validate({"assumptions": [
        {"name": "failed batches", "value": 9, "unit": "batches per month", "kind": "count"},
        {"name": "share we can prevent", "value": 0.5, "kind": "share"},
        {"name": "milk lost per batch", "value": 9000, "unit": "EUR", "kind": "money"}]})
    assert priced.money_amount() == 40_500 and priced.quantity() == "" and priced.known
    assert priced.missing() == ""
    with pytest.raises(ValidationError, match="a share is a fraction from 0 to 1"):
        CostOfInaction.model_validate({"assumptions": [
            {"name": "share", "value": 60, "kind": "share"}]})


def test_version_2_factors_get_their_kind_from_the_unit() -> None:
    from coachkit.model.migrations import migrate

    doc = {"schema_version": 2, "deal": {"id": "x"}, "problem": {"cost_of_inaction": {
        "assumptions": [
            {"name": "a", "value": 38, "unit": "hours per month"},
            {"name": "b", "value": 1450, "unit": "EUR per hour"},
            {"name": "c", "value": 0.6, "unit": "share"},
            {"name": "d", "value": 30, "unit": "%"},
            {"name": "e", "value": 240, "unit": "£ per tonne"},
            {"name": "f", "value": 9, "unit": "batches per month"}]}}}
    factors = migrate(doc)["problem"]["cost_of_inaction"]["assumptions"]
    assert [f["kind"] for f in factors] == ["count", "money", "share", "share", "money",
                                            "count"]
    assert factors[3]["value"] == 0.3  # 30 % is the fraction 0.3
    assert migrate(doc)["schema_version"] == SCHEMA_VERSION


def test_risk_exposure() -> None:
    assert Risk(likelihood=4, impact=5).exposure == 20
    assert Risk(likelihood=4).exposure is None


def test_schema_is_json_schema_of_the_document() -> None:
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"deal", "problem", "risks", "stakeholders", "disagreements", "confidence", "plan",
            "fit", "schema_version"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
