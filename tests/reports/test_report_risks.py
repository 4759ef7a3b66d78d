"""The deal report's risk table says when a mitigation is only a placeholder ("tbd"): the
manager reads it as none, as coaching does."""

from __future__ import annotations

from coachkit.model import Deal
from coachkit.reports.deal import DealReport
from coachkit.training.demo import demo_deal
from support.helpers import TODAY


def _risk_table(mitigation: str) -> str:
    doc = demo_deal("northwind-plant-maintenance", TODAY).to_json_dict()
    doc["risks"][1].update(likelihood=4, impact=4, mitigation=mitigation)
    page = str(DealReport.of(Deal.model_validate(doc), TODAY).risks())
    return page[page.index("<table"):]


def test_a_placeholder_mitigation_is_shown_as_no_mitigation() -> None:
    table = _risk_table("tbd & <later>")
    assert "tbd &amp; &lt;later&gt;" in table  # the seller's words, escaped
    assert table.count("a placeholder: no mitigation") == 1


def test_a_real_or_blank_mitigation_is_shown_as_written() -> None:
    assert "placeholder" not in _risk_table("Escrow the source code.")
    assert "placeholder" not in _risk_table("")
