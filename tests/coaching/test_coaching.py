"""Scores, questions, settings, plugin rules and the ``coachkit coach`` command."""

from __future__ import annotations

import datetime as dt
import json
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coachkit.coaching.coach import Coach
from coachkit.coaching.language import ProductLanguage, check
from coachkit.coaching.registry import Severity
from coachkit.coaching.scores import completeness, confidence_index, consensus_index
from coachkit.coaching.settings import load_settings
from coachkit.errors import CoachkitError
from coachkit.model import DIMENSION_WORDS, Deal, empty_deal
from coachkit.training.demo import demo_deal, demo_ids
from support.helpers import TODAY
from support.strategies import deal_documents

# -- scores ------------------------------------------------------------------------------------


@pytest.mark.parametrize("deal_id", demo_ids())
def test_scores_are_the_sum_of_their_parts(deal_id: str, coach: Coach) -> None:
    result = coach.run(demo_deal(deal_id, TODAY), TODAY)
    for score in [*result.scores.values(), *result.sections.values()]:
        assert 0 <= score.value <= 100
        assert score.value == pytest.approx(sum(p.points for p in score.parts))
        assert sum(p.max_points for p in score.parts) == pytest.approx(100)
        assert all(0 <= p.points <= p.max_points for p in score.parts)


def test_empty_deal_scores() -> None:
    s = load_settings()
    deal = empty_deal("e")
    assert completeness(deal, s).value < 10
    conf = confidence_index(deal)
    assert conf.value == 0 and not conf.known
    assert not consensus_index(deal, s).known


def test_confidence_index_from_the_customer_side() -> None:
    doc = empty_deal("c").to_json_dict()
    doc["confidence"]["customer"] = {d: 5 for d in doc["confidence"]["customer"]}
    doc["confidence"]["seller"] = {d: 1 for d in doc["confidence"]["seller"]}
    assert confidence_index(Deal.model_validate(doc)).value == pytest.approx(100)
    doc["confidence"]["customer"]["plan"] = None
    score = confidence_index(Deal.model_validate(doc))
    assert score.value == pytest.approx(600 / 7)
    assert any(p.name == DIMENSION_WORDS["plan"] and p.note == "not assessed"
               for p in score.parts)


def test_consensus_falls_with_open_disagreements() -> None:
    s = load_settings()
    doc = empty_deal("c").to_json_dict()
    doc["stakeholders"] = [{"name": "A", "stance": 3, "influence": 5},
                           {"name": "B", "stance": 1, "influence": 1}]
    calm = consensus_index(Deal.model_validate(doc), s).value
    doc["disagreements"] = [{"between": ["A", "B"], "severity": 5}]
    tense = consensus_index(Deal.model_validate(doc), s).value
    doc["disagreements"][0]["resolution_plan"] = "workshop"
    planned = consensus_index(Deal.model_validate(doc), s).value
    assert calm - tense == pytest.approx(20) and planned == pytest.approx(calm - 10)


def test_completeness_grows_as_the_story_is_told(coach: Coach) -> None:
    values = {i: coach.run(demo_deal(i, TODAY), TODAY).scores["completeness"].value
              for i in demo_ids()}
    assert values["northwind-plant-maintenance"] > values["harbourline-crm-replacement"]
    assert values["harbourline-crm-replacement"] > values["tallis-early-discovery"]


# -- questions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("deal_id", demo_ids())
def test_questions_for_the_next_call(deal_id: str, coach: Coach) -> None:
    result = coach.run(demo_deal(deal_id, TODAY), TODAY)
    questions = result.questions
    assert len(questions) <= coach.settings.coaching.max_questions
    assert len({q.text for q in questions}) == len(questions)
    assert [q.severity.rank for q in questions] == sorted(q.severity.rank for q in questions)
    for q in questions:  # questions about the customer's change, never a pitch
        assert q.text.endswith("?")
        assert not check(q.text, coach.language).is_product, q.text
    if result.findings:
        assert questions and questions[0].rule == result.findings[0].rule


# -- settings ----------------------------------------------------------------------------------


def test_team_settings_override_thresholds_and_severity(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text(textwrap.dedent("""
        [team]
        product_names = ["Ledgerly"]

        [rules.stale-deal]
        max_days = 1
        severity = "critical"

        [rules.no-champion]
        enabled = false
    """))
    s = load_settings(team)
    assert s.rules["stale-deal"]["max_days"] == 1
    assert s.rules["stale-deal"]["from_stage"] == "qualification"  # kept from defaults
    doc = demo_deal("northwind-plant-maintenance", TODAY).to_json_dict()
    doc["problem"]["statement"] = "They need Ledgerly before the audit"
    for person in doc["stakeholders"]:
        if person["role"] == "champion":
            person["role"] = "user"
    result = Coach(s).run(Deal.model_validate(doc), TODAY)
    found = {f.rule: f for f in result.findings}
    assert found["stale-deal"].severity == Severity.critical
    assert "no-champion" not in found
    assert "Ledgerly" in found["problem-as-product"].message
    default = Coach().run(Deal.model_validate(doc), TODAY)
    assert "stale-deal" not in {f.rule for f in default.findings}


def test_settings_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    team = tmp_path / "env.toml"
    team.write_text("[coaching]\nmax_questions = 2\n")
    monkeypatch.setenv("COACHKIT_SETTINGS", str(team))
    assert load_settings().coaching.max_questions == 2


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[rules.stale-deal]\nmax_dayz = 3\n", "unknown setting 'rules.stale-deal.max_dayz'"),
        ("[coaching]\nmax_questions = 'many'\n", "must be int"),
        ("[coaching\n", "not valid TOML"),
        ("[nonsense]\nx = 1\n", "unknown setting 'nonsense'"),
    ],
)
def test_bad_settings_are_one_line(text: str, error: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(CoachkitError, match=error):
        load_settings(path)


def test_settings_for_an_unknown_rule_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text("[rules.stale-dael]\nmax_days = 3\n")
    with pytest.raises(CoachkitError, match="no rule named 'stale-dael'"):
        Coach(load_settings(path)).run(empty_deal("x"), TODAY)


def test_bad_severity_and_stage_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[rules.stale-deal]\nseverity = "loud"\n')
    with pytest.raises(CoachkitError, match="severity"):
        Coach(load_settings(path)).run(demo_deal("fjordbank-onboarding", TODAY), TODAY)
    path.write_text('[rules.stale-deal]\nfrom_stage = "later"\n')
    with pytest.raises(CoachkitError, match="not a stage"):
        Coach(load_settings(path)).run(demo_deal("fjordbank-onboarding", TODAY), TODAY)


def test_product_names_come_from_settings() -> None:
    plain = ProductLanguage.from_settings(load_settings())
    s = load_settings().replace("team", product_names=["FleetPilot"])
    with_names = ProductLanguage.from_settings(s)
    text = "Dispatch wants FleetPilot rolled out to every depot"
    assert check(text, with_names).is_product
    assert "FleetPilot" in " ".join(check(text, with_names).triggers)
    assert check(text, plain).triggers != check(text, with_names).triggers


# -- plugin rules through the entry point group ------------------------------------------------


def test_a_team_rule_from_an_entry_point(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "acme_rules.py").write_text(textwrap.dedent('''
        from coachkit.coaching.registry import Hit, Rule

        def _no_reference(deal, ctx):
            if deal.deal.value and deal.deal.value >= ctx.options["min_value"] and not any(
                "reference call" in m.milestone.lower() for m in deal.plan
            ):
                yield Hit("plan", "No reference call in the plan.",
                          "Who would they like to hear from who made this change before?")

        RULES = [Rule("acme-reference-call", "plan", _no_reference,
                      {"severity": "critical", "from_stage": "proposal", "min_value": 100000})]
    '''))
    dist = tmp_path / "acme_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[coachkit.rules]\nlegal = acme_rules:RULES\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    deal = demo_deal("northwind-plant-maintenance", TODAY)
    result = Coach().run(deal, TODAY)
    found = [f for f in result.findings if f.rule == "acme-reference-call"]
    assert found and found[0].severity == Severity.critical
    # the team can tune a plugin rule in its settings file like any other
    team = tmp_path / "team.toml"
    team.write_text("[rules.acme-reference-call]\nmin_value = 1000000\n")
    tuned = Coach(load_settings(team)).run(deal, TODAY)
    assert "acme-reference-call" not in {f.rule for f in tuned.findings}
    sys.modules.pop("acme_rules", None)


# -- property: no rule raises on any valid deal ------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(doc=deal_documents(), today=st.dates(dt.date(2019, 1, 1), dt.date(2032, 1, 1)),
       stage=st.sampled_from(["discovery", "qualification", "proposal", "negotiation",
                              "closed_won", "closed_lost"]))
def test_no_rule_raises_on_any_valid_deal(doc: dict, today: dt.date, stage: str) -> None:
    doc["deal"]["stage"] = stage
    deal = Deal.model_validate(doc)
    result = _COACH.run(deal, today)
    json.dumps(result.to_json_dict())
    for score in result.scores.values():
        assert 0 <= score.value <= 100


_COACH = Coach()


# -- the command -------------------------------------------------------------------------------


def test_coach_command_json(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    result = cli("coach", "--store", store, "fjordbank-onboarding", "--json")
    assert result.code == 0
    out = json.loads(result.out)
    assert out["deal"] == "fjordbank-onboarding" and out["today"] == TODAY.isoformat()
    assert {"completeness", "confidence", "consensus"} <= set(out["scores"])
    assert out["findings"] and set(out["findings"][0]) == {
        "rule", "severity", "section", "field", "message", "question"}
    assert out["questions"]


def test_coach_command_text_and_files(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    path = tmp_path / "h.coachkit.json"
    cli("export", "--store", store, "harbourline-crm-replacement", "-o", str(path))
    text = cli("coach", str(path))
    assert text.code == 0
    for heading in ("Scores", "Critical", "Warning", "Questions for the next call",
                    "[problem-as-product]", "Ask: "):
        assert heading in text.out
    clean = cli("coach", "--store", store, "northwind-plant-maintenance")
    assert "Critical" not in clean.out and "Warning" not in clean.out


def test_coach_command_bad_input(tmp_path: Path, cli) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = cli("coach", str(bad))
    assert result.code == 1 and "not valid JSON" in result.err
    assert cli("coach", "no-such-deal").code == 1
    settings_file = tmp_path / "s.toml"
    settings_file.write_text("[oops]\n")
    wrong = cli("coach", "--settings", str(settings_file), "x")
    assert wrong.code == 1 and "unknown setting 'oops'" in wrong.err
