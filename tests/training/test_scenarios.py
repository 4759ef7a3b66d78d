"""Training scenarios: shipped complete, coached clean, started per participant, compared."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import pytest

from coachkit.coaching.coach import Coach
from coachkit.coaching.registry import Severity
from coachkit.errors import CoachkitError
from coachkit.model import DEAL_ID_PATTERN, Deal
from coachkit.model.files import parse_workbook
from coachkit.shipped import folder
from coachkit.training.canonical import canonical_text
from coachkit.training.scenarios import (
    ReferenceComparison,
    Scenario,
    compare_with_reference,
    download_name,
    load_scenario,
    match_names,
    participant_deal_id,
    scenario_ids,
    scenarios,
)
from support.helpers import TODAY

IDS = scenario_ids()


def _file(scenario_id: str, name: str) -> str:
    return resources.files("coachkit.training").joinpath("scenarios", scenario_id, name) \
        .read_text("utf-8")


def test_at_least_the_three_workshop_scenarios() -> None:
    assert {"paper-mill-were-different", "home-care-buying-group",
            "builders-merchant-product-first"} <= set(IDS)
    assert [s.id for s in scenarios()] == IDS


@pytest.mark.parametrize("scenario_id", IDS)
def test_scenario_loads_with_brief_and_goals(scenario_id: str) -> None:
    s = load_scenario(scenario_id)
    assert isinstance(s, Scenario) and s.id == scenario_id
    assert s.title.strip() and s.summary.strip()
    words = len(s.brief.split())
    assert 250 <= words <= 520, words  # 250-500 words of story, plus the heading
    assert s.brief.startswith("# ")
    assert 3 <= len(s.learning_goals) <= 5
    assert all(goal.strip() for goal in s.learning_goals)
    assert s.focus


@pytest.mark.parametrize("scenario_id", IDS)
def test_scenario_files_are_canonical_workbooks(scenario_id: str) -> None:
    for name in ("start.coachkit.json", "reference.coachkit.json"):
        text = _file(scenario_id, name)
        deal = parse_workbook(text, name)
        path = folder("coachkit.training") / "scenarios" / scenario_id / name
        assert canonical_text(path) == text, (
            f"{path}: not canonical: run `python -m coachkit.training.canonical` "
            "(make canonical)")
        assert deal.training.scenario == scenario_id


@pytest.mark.parametrize("scenario_id", IDS)
def test_reference_is_complete_and_coaching_finds_nothing_critical(
    scenario_id: str, coach: Coach,
) -> None:
    s = load_scenario(scenario_id)
    ref = s.reference(TODAY)
    Deal.model_validate(ref.to_json_dict())
    result = coach.run(ref, TODAY)
    critical = [f for f in result.findings if f.severity == Severity.critical]
    assert critical == []

    problem = ref.problem
    assert problem.statement and problem.in_customer_words and problem.statement_source
    assert problem.why_change and problem.why_now and problem.root_cause
    assert any(m.baseline is not None and m.target is not None for m in problem.metrics)
    coi = problem.cost_of_inaction
    assert coi.amount and coi.amount == pytest.approx(coi.computed_amount())
    assert len(coi.assumptions) >= 2
    assert any("do nothing" in a.lower() for a in problem.alternatives)
    assert len(problem.glossary) >= 3
    assert ref.risks and all(r.owner and r.mitigation and r.likelihood and r.impact
                             for r in ref.risks)
    assert len(ref.stakeholders) >= 5
    assert all(p.influence and p.stance is not None and p.view_of_problem
               for p in ref.stakeholders)
    assert ref.disagreements and all(d.resolution_plan for d in ref.disagreements)
    assert all(v is not None for v in ref.confidence.customer.scores().values())
    assert all(v is not None for v in ref.confidence.seller.scores().values())
    assert ref.plan and all(m.customer_owner and m.date for m in ref.plan)
    assert ref.fit.good_for_customer is not None and ref.fit.reason
    # everyone in the answer is someone the brief tells participants about
    for person in ref.stakeholders:
        assert person.name in s.brief, person.name


def test_the_scenarios_teach_what_they_promise() -> None:
    mill = load_scenario("paper-mill-were-different").reference(TODAY)
    assert "different" in load_scenario("paper-mill-were-different").brief
    assert len(mill.problem.glossary) >= 5
    group = load_scenario("home-care-buying-group").reference(TODAY)
    assert len(group.disagreements) >= 3
    assert any(not p.active for p in group.stakeholders)
    assert len({p for d in group.disagreements for p in d.between}) >= 5


def test_problem_as_product_scenario_starts_from_product_talk(coach: Coach) -> None:
    s = load_scenario("builders-merchant-product-first")
    start = s.start("Anna Schmidt", today=TODAY)
    rules = {f.rule: f.severity for f in coach.run(start, TODAY).findings}
    assert rules.get("problem-as-product") == Severity.critical
    assert "problem-as-product" not in {f.rule for f in coach.run(s.reference(TODAY), TODAY)
                                        .findings}


@pytest.mark.parametrize("scenario_id", IDS)
def test_start_is_a_sparse_workbook_for_the_participant(scenario_id: str) -> None:
    s = load_scenario(scenario_id)
    deal = s.start("  Anna   Schmidt ", cohort=" Leeds Nov ", today=TODAY)
    Deal.model_validate(deal.to_json_dict())
    assert deal.training.scenario == scenario_id
    assert deal.training.participant == "Anna Schmidt"
    assert deal.training.cohort == "Leeds Nov"
    assert deal.deal.seller == "Anna Schmidt"
    assert deal.deal.customer and deal.deal.title
    assert not deal.stakeholders and not deal.risks and not deal.disagreements
    assert not deal.plan and not deal.problem.metrics and not deal.problem.glossary
    assert deal.problem.cost_of_inaction.amount is None
    assert re.fullmatch(DEAL_ID_PATTERN, deal.id)
    assert deal.id == f"anna-schmidt--{scenario_id}"
    # stable: the same participant always gets the same id; another participant another one
    assert s.start("Anna Schmidt", today=TODAY + dt.timedelta(days=3)).id == deal.id
    assert s.start("Ben Okafor").id != deal.id
    assert deal.id != s.reference(TODAY).id


def test_start_ids_for_unusual_names_are_valid_and_distinct() -> None:
    s = load_scenario(IDS[0])
    names = ["李雷", "王芳", "x" * 300, "Zoë O'Brien-Łukasik", "../../etc/passwd", "a/b\\c"]
    ids = [s.start(n).id for n in names]
    assert all(re.fullmatch(DEAL_ID_PATTERN, i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert participant_deal_id("李雷", s.id) == ids[0]
    with pytest.raises(CoachkitError, match="participant"):
        s.start("   ")


def test_dates_move_with_today() -> None:
    s = load_scenario("paper-mill-were-different")
    later = TODAY + dt.timedelta(days=40)
    a, b = s.reference(TODAY), s.reference(later)
    assert a.deal.close_date is not None
    assert b.deal.close_date == a.deal.close_date + dt.timedelta(days=40)
    assert b.plan[0].date == a.plan[0].date + dt.timedelta(days=40)
    assert s.start("Anna", today=later).deal.close_date == b.deal.close_date


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(CoachkitError) as exc:
        load_scenario("no-such-thing")
    assert str(exc.value) == f"no scenario 'no-such-thing' (known: {', '.join(IDS)})"


@pytest.mark.parametrize("name", ["Anna Schmidt", "Zoë O'Brien", "../../etc/passwd", "a/b\\c:d",
                                  "李雷", "CON", "x" * 500, " ", "Anna__Bob"])
def test_download_name_is_file_safe(name: str) -> None:
    file_name = download_name(name, "paper-mill-were-different")
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*__paper-mill-were-different\.coachkit\.json",
                        file_name), file_name
    assert len(file_name) < 120
    assert file_name.count("__") == 1


def test_download_name_matches_the_deal_id() -> None:
    assert download_name("Anna Schmidt", "home-care-buying-group") == (
        "anna-schmidt__home-care-buying-group.coachkit.json")
    participant = download_name("Anna Schmidt", "x").partition("__")[0]
    assert participant_deal_id("Anna Schmidt", "x").startswith(participant + "--")


# -- comparing with the reference ----------------------------------------------------------------


@pytest.mark.parametrize("scenario_id", IDS)
def test_reference_compared_with_itself_finds_everything(scenario_id: str) -> None:
    ref = load_scenario(scenario_id).reference(TODAY)
    c = compare_with_reference(ref, ref)
    assert isinstance(c, ReferenceComparison)
    assert c.scenario == scenario_id
    assert c.stakeholders_found == tuple(p.name for p in ref.stakeholders)
    assert c.stakeholders_missed == () and c.stakeholders_extra == ()
    assert len(c.disagreements_found) == len(ref.disagreements)
    assert c.disagreements_missed == ()
    assert len(c.glossary_found) == len(ref.problem.glossary) and c.glossary_missed == ()
    assert c.has_metric and c.has_cost_of_inaction and c.has_do_nothing and c.has_why_now
    assert not c.problem_as_product
    assert len(c.stakeholders_found) == c.stakeholders_total


@pytest.mark.parametrize("scenario_id", IDS)
def test_start_workbook_compared_finds_nothing(scenario_id: str) -> None:
    s = load_scenario(scenario_id)
    ref = s.reference(TODAY)
    c = compare_with_reference(s.start("Anna", today=TODAY), ref)
    assert c.stakeholders_found == () and c.disagreements_found == () and c.glossary_found == ()
    assert c.stakeholders_missed == tuple(p.name for p in ref.stakeholders)
    assert len(c.disagreements_missed) == len(ref.disagreements)
    assert not (c.has_metric or c.has_cost_of_inaction or c.has_do_nothing or c.has_why_now)
    assert c.stakeholders_total == len(ref.stakeholders)


def test_partial_answer_finds_part() -> None:
    s = load_scenario("paper-mill-were-different")
    ref = s.reference(TODAY)
    doc = s.start("Anna", today=TODAY).to_json_dict()
    doc["stakeholders"] = [
        {"name": "douglas  REID", "role": "blocker", "stance": -3},   # case and spaces
        {"name": "Fiona", "role": "economic_buyer"},                   # first name only
        {"name": "Raman"},                                             # surname only
        {"name": "Dr. C. Grant"},                                      # title and initial
        {"name": "Someone from purchasing"},                           # not in the reference
    ]
    doc["disagreements"] = [
        {"between": ["Raman", "douglas  REID"], "about": "the cause of breaks", "severity": 3},
        {"between": ["Fiona", "Dr. C. Grant"], "about": "not in the reference"},
    ]
    doc["problem"]["metrics"] = [{"name": "breaks a week", "baseline": 11, "target": 6}]
    doc["problem"]["alternatives"] = ["Keep the current plan", "Status quo"]
    doc["problem"]["glossary"] = [{"customer_term": "Breaks", "our_term": "downtime"},
                                  {"customer_term": "Yankee"}, {"customer_term": "felt"}]
    c = compare_with_reference(Deal.model_validate(doc), ref)
    assert c.stakeholders_found == ("Fiona Mackay", "Douglas Reid", "Callum Grant",
                                    "Priya Raman")
    assert c.stakeholders_missed == ("Morag Findlay", "Alan Baird")
    assert c.stakeholders_extra == ("Someone from purchasing",)
    assert c.disagreements_found == (("Douglas Reid", "Priya Raman"),)
    assert c.disagreements_missed == (("Fiona Mackay", "Douglas Reid"),)
    assert c.glossary_found == ("break (sheet break)", "the Yankee")
    assert c.has_metric and c.has_do_nothing
    assert not c.has_cost_of_inaction and not c.has_why_now
    assert (len(c.stakeholders_found), c.stakeholders_total, len(c.stakeholders_extra),
            len(c.disagreements_found), c.disagreements_total, len(c.glossary_found),
            c.glossary_total) == (4, 6, 1, 1, 2, 2, 7)


def test_product_talk_is_noticed_in_a_participant_answer() -> None:
    s = load_scenario("builders-merchant-product-first")
    c = compare_with_reference(s.start("Anna", today=TODAY), s.reference(TODAY))
    assert c.problem_as_product


def test_name_matching() -> None:
    refs = ["Ellen de Vries", "Fatima El Amrani", "Anna Berg", "Anna Holm", "Jo"]
    found = match_names(["ELLEN DE  VRIES", "El-Amrani", "Anna", "A. Holm", "jo", "Vries"],
                        refs)
    assert found == {"ELLEN DE  VRIES": "Ellen de Vries", "El-Amrani": "Fatima El Amrani",
                     "A. Holm": "Anna Holm", "jo": "Jo"}  # "Anna" is ambiguous; Ellen is taken
    assert match_names(["De Vries"], refs) == {"De Vries": "Ellen de Vries"}
    assert match_names(["Mrs Berg"], refs) == {"Mrs Berg": "Anna Berg"}
    assert match_names(["Jörg Müller"], ["Jorg Muller"]) == {"Jörg Müller": "Jorg Muller"}
    assert match_names(["Someone"], refs) == {}


def test_a_group_disagreement_is_found_by_any_two_of_its_members() -> None:
    base = load_scenario("home-care-buying-group").reference(TODAY).to_json_dict()
    base["disagreements"] = [{"between": ["Ellen de Vries", "Marloes Bakker", "Ruud Hendriks"],
                              "severity": 2, "resolution_plan": "talk"}]
    ref = Deal.model_validate(base)
    mine = dict(base, disagreements=[{"between": ["Ruud Hendriks", "Marloes Bakker"]}])
    assert compare_with_reference(Deal.model_validate(mine), ref).disagreements_found
    outside = dict(base, disagreements=[{"between": ["Ruud Hendriks", "Sanne Visser"]}])
    assert not compare_with_reference(Deal.model_validate(outside), ref).disagreements_found
