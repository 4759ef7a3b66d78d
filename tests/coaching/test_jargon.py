"""Rule jargon-as-customer-words: the customer's industry acronyms are their words, the
seller's acronyms (ROI, SaaS, KPI...) and our product names are jargon, unless the customer's
own people use them elsewhere in the deal (glossary, metrics, quotes, their view, titles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from coachkit.coaching.coach import Coach
from coachkit.coaching.registry import Finding
from coachkit.coaching.settings import load_settings
from coachkit.errors import CoachkitError
from coachkit.model import Deal
from coachkit.training.demo import demo_deal
from support.helpers import TODAY

RULE = "jargon-as-customer-words"


def ticked(statement: str) -> dict[str, Any]:
    """The well-run demo deal with ``statement`` ticked as the customer's own words."""
    doc = demo_deal("northwind-plant-maintenance", TODAY).to_json_dict()
    doc["problem"]["statement"] = statement
    doc["problem"]["in_customer_words"] = True
    return doc


def jargon(coach: Coach, doc: dict[str, Any]) -> list[Finding]:
    return [f for f in coach.run(Deal.model_validate(doc), TODAY).findings if f.rule == RULE]


# Customers speak in their industry's acronyms, written as non-native sellers write them.
INDUSTRY = [
    # a bank
    "The KYC refresh of corporate clients take 19 days and AML alerts are cleared by hand, "
    "so the onboarding of new SME clients is waiting three weeks.",
    # an airline's maintenance
    "When an aircraft is AOG at outstation, MRO planning is searching the part by phone and "
    "the TAT of the engine shop is 14 days, so we lease spare engines.",
    # a plant
    "OEE of line 2 is 61 %, the WIP between press and paint is two days and the MES shows "
    "the SKU changes only after the shift.",
    # a hospital
    "Patients wait in the ER 6 hours for an ICU bed because the EHR shows the free beds only "
    "after the nurse make the discharge.",
    # a university
    "Students loose ECTS recognition for their Erasmus semester because the faculty check "
    "every learning agreement by e-mail.",
    # a logistics firm and a utility
    "The ETA to the DC is missed in 30 % of the FTL trips, and the SCADA alarms of the "
    "pumping stations are read only in the morning.",
]


@pytest.mark.parametrize("statement", INDUSTRY)
def test_the_customers_industry_acronyms_are_their_words(statement: str, coach: Coach) -> None:
    assert jargon(coach, ticked(statement)) == []


SELLER = [
    ("The plant has no clear ROI on maintenance and the TCO of line 3 grows.",
     ["'ROI'", "'TCO'"]),
    ("They run spreadsheets instead of a SaaS with AI, so KPIs come late.",
     ["'SaaS'", "'AI'", "'KPI'"]),
    ("Nobody owns the SLA of line 3 and the PoV last year had no MVP.",
     ["'SLA'", "'PoV'", "'MVP'"]),
]


@pytest.mark.parametrize(("statement", "named"), SELLER)
def test_the_sellers_acronyms_are_jargon(statement: str, named: list[str],
                                         coach: Coach) -> None:
    found = jargon(coach, ticked(statement))
    assert len(found) == 1
    assert all(word in found[0].message for word in named), found[0].message
    assert "our jargon" in found[0].message
    assert found[0].question.endswith(f"what do they call {named[0].strip(chr(39))}?")


def test_an_industry_acronym_next_to_a_seller_one_is_left_out(coach: Coach) -> None:
    found = jargon(coach, ticked("OEE of line 3 is 58 % and the ROI of the overhaul is low."))
    assert len(found) == 1 and "'ROI'" in found[0].message and "OEE" not in found[0].message


STATEMENT = "Line 3 stops twice a week and the KPI of on-time delivery falls."


def test_a_seller_acronym_in_the_glossary_is_theirs(coach: Coach) -> None:
    doc = ticked(STATEMENT)
    assert len(jargon(coach, doc)) == 1
    doc["problem"]["glossary"].append({"customer_term": "KPI", "our_term": "metric",
                                       "meaning": "Their monthly plant figures."})
    assert jargon(coach, doc) == []


def test_a_seller_acronym_their_people_say_in_a_quote_is_theirs(coach: Coach) -> None:
    doc = ticked(STATEMENT)
    doc["problem"]["evidence"].append({
        "field": "metrics", "quote": "Delivery on time is the KPI the board asks me first.",
        "source": "Matthias Brandt", "date": None, "verified": True})
    assert jargon(coach, doc) == []


def test_a_seller_acronym_in_a_stakeholders_view_is_theirs(coach: Coach) -> None:
    doc = ticked(STATEMENT)
    doc["stakeholders"][1]["view_of_problem"] = "My plant KPI falls with every stop of line 3."
    assert jargon(coach, doc) == []


def test_our_own_quote_or_the_statement_quoting_itself_is_no_witness(coach: Coach) -> None:
    """A quote from the seller, or the statement copied as its own evidence, says nothing
    about whose word it is."""
    doc = ticked(STATEMENT)
    seller = doc["deal"]["seller"]
    doc["problem"]["evidence"] = [
        {"field": "metrics", "quote": "Their KPI is on-time delivery.",
         "source": f"{seller}, notes of the call", "date": None, "verified": False},
        {"field": "statement", "quote": STATEMENT, "source": "Sabine Krüger", "date": None,
         "verified": True},
    ]
    found = jargon(coach, doc)
    assert len(found) == 1 and "'KPI'" in found[0].message


def team_settings(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_our_product_name_is_jargon(tmp_path: Path, coach: Coach) -> None:
    statement = "Line 3 stops twice a week because Ledgerly alerts come too late."
    assert jargon(coach, ticked(statement)) == []  # an unknown name: maybe theirs
    ours = Coach(load_settings(team_settings(tmp_path, '[team]\nproduct_names = ["Ledgerly"]\n')))
    found = jargon(ours, ticked(statement))
    assert len(found) == 1 and "'Ledgerly'" in found[0].message
    doc = ticked(statement)  # a customer already on Ledgerly says it themselves
    doc["stakeholders"][3]["view_of_problem"] = "Ledgerly tells us too late."
    assert jargon(ours, doc) == []


def test_the_seller_acronyms_are_a_setting(tmp_path: Path) -> None:
    ours = Coach(load_settings(team_settings(
        tmp_path, '[rules.jargon-as-customer-words]\nseller_acronyms = ["OEE"]\n')))
    found = jargon(ours, ticked("OEE of line 3 is 58 % and the ROI of the overhaul is low."))
    assert len(found) == 1 and "'OEE'" in found[0].message and "ROI" not in found[0].message


@pytest.mark.parametrize(("body", "says"), [
    # a team file from before seller_acronyms: what to do, not just "unknown"
    ('plain_acronyms = ["IT"]', "'rules.jargon-as-customer-words.plain_acronyms' is no longer "
                                "a setting: an acronym is jargon only when listed in "
                                "seller_acronyms now; delete the line"),
    ('seller_acronyms = ["return on investment"]', "'return on investment' is not one word"),
])
def test_bad_jargon_settings_are_one_clear_line(tmp_path: Path, body: str, says: str) -> None:
    path = team_settings(tmp_path, f"[rules.jargon-as-customer-words]\n{body}\n")
    with pytest.raises(CoachkitError) as caught:
        load_settings(path)
    assert says in str(caught.value) and "\n" not in str(caught.value)
