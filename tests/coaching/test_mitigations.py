"""A mitigation that says nothing is no mitigation: placeholders ("tbd", "will see later",
"monitor", "our product handles it") count as none in rule ``unmitigated-risk``, in the
risks' completeness and in the deal report; short real mitigations still count."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from coachkit.coaching.coach import Coach
from coachkit.coaching.registry import Severity
from coachkit.coaching.scores import section_completeness
from coachkit.coaching.settings import load_settings
from coachkit.coaching.wording import blank, hollow
from coachkit.errors import CoachkitError
from coachkit.model import Deal
from coachkit.model.files import read_workbook_file
from coachkit.training.demo import demo_deal
from support.helpers import TEST_DATA, TODAY

SETTINGS = load_settings(None)

PLACEHOLDERS = [
    "", "   ", "tbd", "TBD.", "T.B.D", "tbc", "n/a", "N/A", "n.a.", "-", "?", "...", "???",
    "none", "None yet", "no", "nothing", "not yet", "to be defined", "To be discussed",
    "to be clarified", "will discuss", "Will discuss later", "we will see", "later", "open",
    "pending", "todo", "to do", "ask", "check", "monitor", "Monitoring.",
    "monitor the situation closely", "keep an eye on it", "watch it", "hope for the best",
    "our product handles it", "Our platform handle it.", "covered by the solution",
    "tbd - will discuss with them later", "None yet, hope for the best",
    # non-native English
    "will see later", "to clarify", "in discussion", "In discussion with the client.",
    "is in discussion", "to check with customer", "we look into it", "on going",
    "we take care of it", "will be handled", "under control", "still open, to be decided",
]

REAL = [
    "pilot in one plant first", "Jan runs a parallel run for 2 weeks",
    "escrow the source code", "Escrow the source code.",
    "monitor weekly with the plant manager and stop if scrap rises",
    "Monitor weekly with the plant manager, stop if scrap goes over 9 %.",
    "check the hit rate every Monday", "watch the scrap rate, stop above 5%",
    "Diesel backup for the dryers.", "EMC test report from the manufacturer before the trial.",
    "phase the spend", "Order in May", "Ask the CFO to pre-approve the second phase",
    "Rental boiler contract with delivery in 24 hours.", "insurance", "Plan B: manual fallback",
    # non-native English
    "Ayşe runs the old and the new plan in parallel for 2 weeks.",
    "pilot with two teams, surgeons choose the procedures",
]


@pytest.mark.parametrize("text", PLACEHOLDERS)
def test_a_placeholder_is_hollow(text: str) -> None:
    assert hollow(text, SETTINGS)


@pytest.mark.parametrize("text", REAL)
def test_a_short_real_mitigation_is_not_hollow(text: str) -> None:
    assert not hollow(text, SETTINGS)
    assert not blank(text)


def test_monitor_alone_is_hollow_with_who_when_or_a_limit_it_is_real() -> None:
    assert hollow("monitor it regularly", SETTINGS)
    for added in ("with Jan", "every Friday", "stop above 3 %"):
        assert not hollow(f"monitor it regularly {added}", SETTINGS), added


def test_the_team_product_names_are_placeholders_too() -> None:
    """'Ledgerly handles it' says nothing anyone will do, once Ledgerly is our product."""
    assert not hollow("Ledgerly handles it", SETTINGS)
    ours = SETTINGS.replace("team", product_names=["Ledgerly"])
    assert hollow("Ledgerly handles it", ours)
    assert hollow("our Ledgerly platform covers this", ours)
    assert not hollow("Ledgerly alerts Jan at 5 % scrap", ours)


def test_a_team_adds_its_own_placeholders(tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text('[risks]\nplaceholder_phrases = ["por definir"]\n'
                    'placeholder_words = ["pendiente"]\n', encoding="utf-8")
    settings = load_settings(team)
    assert settings.risks.high_exposure == SETTINGS.risks.high_exposure  # the rest kept
    assert hollow("Por definir, pendiente", settings)
    assert not hollow("por definir", SETTINGS)
    assert not hollow("tbd", settings)  # the team's lists replace the shipped ones


@pytest.mark.parametrize(("toml", "message"), [
    ('[risks]\nplaceholder_words = ["keep an eye"]\n',
     "'risks.placeholder_words': 'keep an eye' is not one word"),
    ('[risks]\nplaceholder_phrases = ["tbd", "--"]\n',
     "'risks.placeholder_phrases': '--' has no word in it"),
    ('[risks]\nplaceholder_words = "tbd"\n', "'risks.placeholder_words' must be a list"),
])
def test_bad_placeholder_settings_are_one_line(tmp_path: Path, toml: str, message: str) -> None:
    team = tmp_path / "team.toml"
    team.write_text(toml, encoding="utf-8")
    with pytest.raises(CoachkitError, match=re.escape(message)) as caught:
        load_settings(team)
    assert "\n" not in str(caught.value)


# -- the rule ----------------------------------------------------------------------------------


def _with_risk(**fields: Any) -> Deal:
    doc = demo_deal("northwind-plant-maintenance", TODAY).to_json_dict()
    doc["risks"][1].update(fields)
    return Deal.model_validate(doc)


def _unmitigated(coach: Coach, deal: Deal) -> list:
    return [f for f in coach.run(deal, TODAY).findings if f.rule == "unmitigated-risk"]


@pytest.mark.parametrize("text", ["tbd", "will see later", "Monitor.", "In discussion",
                                  "our product handles it"])
def test_a_placeholder_on_a_serious_risk_is_critical_and_quoted(coach: Coach, text: str) -> None:
    found = _unmitigated(coach, _with_risk(likelihood=4, impact=4, mitigation=text))
    assert len(found) == 1
    f = found[0]
    assert f.severity == Severity.critical and f.field == "risks[1].mitigation"
    assert f"its mitigation '{text}' says nothing anyone will do" in f.message
    assert "'Connecting line sensors to the plant network" in f.message  # names the risk
    assert "Jonas Feld" in f.question and f.question.endswith("?")  # who carries it


def test_with_nobody_named_the_question_names_the_customer(coach: Coach) -> None:
    f, = _unmitigated(coach, _with_risk(likelihood=4, impact=4, mitigation="tbd",
                                        carried_by=""))
    assert "Who at Northwind Verpackung GmbH will do what" in f.question


def test_a_blank_mitigation_is_still_said_to_be_missing(coach: Coach) -> None:
    f, = _unmitigated(coach, _with_risk(likelihood=4, impact=4, mitigation=""))
    assert f.message.endswith("and has no mitigation.")


@pytest.mark.parametrize("text", ["pilot in one plant first", "escrow the source code",
                                  "Jan runs a parallel run for 2 weeks",
                                  "monitor weekly with the plant manager and stop if scrap "
                                  "rises"])
def test_a_short_real_mitigation_stops_the_rule(coach: Coach, text: str) -> None:
    assert _unmitigated(coach, _with_risk(likelihood=4, impact=4, mitigation=text)) == []


def test_a_placeholder_on_a_small_or_mitigated_risk_is_not_scolded(coach: Coach) -> None:
    assert _unmitigated(coach, _with_risk(likelihood=2, impact=5, mitigation="tbd")) == []
    assert _unmitigated(coach, _with_risk(likelihood=4, impact=4, mitigation="tbd",
                                          status="mitigated")) == []


# -- the score ---------------------------------------------------------------------------------


def _mitigation_part(deal: Deal) -> Any:
    parts = section_completeness(deal, SETTINGS)["risks"].parts
    return next(p for p in parts if p.name == "mitigations for the serious ones")


def test_a_placeholder_earns_no_score(coach: Coach) -> None:
    """Two serious risks (the demo's first, mitigated for real, and this one): a real
    mitigation earns the part in full, a placeholder half of it, as a blank one does."""
    real = _mitigation_part(_with_risk(likelihood=4, impact=4, mitigation="escrow the code"))
    placeholder = _mitigation_part(_with_risk(likelihood=4, impact=4, mitigation="TBD"))
    nothing = _mitigation_part(_with_risk(likelihood=4, impact=4, mitigation=""))
    assert real.points == real.max_points == 25
    assert placeholder.points == nothing.points == 12.5
    assert placeholder.note == "placeholder only: 'TBD'" and nothing.note == ""
    doc = coach.run(_with_risk(likelihood=4, impact=4, mitigation="TBD"), TODAY)
    assert doc.scores["completeness"].value < coach.run(
        _with_risk(likelihood=4, impact=4, mitigation="escrow the code"), TODAY
    ).scores["completeness"].value


# -- the labelled deals written for this (tests/data/judgement, batch 3) ------------------------

LABELS = tomllib.loads((TEST_DATA / "judgement" / "labels.toml").read_text("utf-8"))
BATCH = ["ebro-bottling-will-see", "brnik-foundry-short-mitigations",
         "farmacias-tejo-placeholders", "ege-laundry-real-mitigations"]


@pytest.mark.parametrize("deal_id", BATCH)
def test_the_labelled_placeholder_deals_get_their_labels(coach: Coach, deal_id: str) -> None:
    label = LABELS["deals"][deal_id]
    path = TEST_DATA / "judgement" / label["split"] / f"{deal_id}.json"
    day = dt.date.fromisoformat(LABELS["today"])
    result = coach.run(read_workbook_file(path).deal, day)
    assert {f.rule for f in result.standing if f.severity != Severity.info} == set(
        label["rules"])
    assert result.verdict.key == label["verdict"]
