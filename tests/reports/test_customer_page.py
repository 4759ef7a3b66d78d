"""The customer's page without a kernel: every field classified once, nothing internal in the
deal the page is made from or in its HTML, the shared material there, every string escaped.

:func:`marked_deal` fills EVERY field of the model (found by walking it, so a field added
later is filled too) with a value that can be told apart: text gets a marker (``Mk017x``),
dates and numbers a value of their own, every list two items (one risk shared, one not).
``test_customer_page_render.py`` renders the same deal to HTML and PDF.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic_core import to_json

from coachkit.model import DO_NOTHING, Deal, empty_deal
from coachkit.model.sharing import INTERNAL, SHOWN, classes, for_customer
from coachkit.model.vocabulary import field_info, leaf_paths
from coachkit.reports.customer import PARTS, CustomerPage
from support.customer import INTERNAL_WORDS, marked_deal
from support.helpers import REPO
from support.reporting import RAW, hostile_deal

TEMPLATE = REPO / "templates" / "customer_page.ipynb"


# -- the classification ------------------------------------------------------------------------


def test_every_field_is_classified_exactly_once() -> None:
    wrong = {p: classes(p) for p in leaf_paths() if len(classes(p)) != 1}
    assert not wrong, f"classify these in coachkit.model.sharing: {wrong}"


def test_shown_names_single_fields_and_internal_names_real_ones() -> None:
    leaves = set(leaf_paths())
    assert not SHOWN - leaves  # so that no field becomes visible by being added to a part
    for path in INTERNAL:
        assert any(p == path or p.startswith((f"{path}.", f"{path}[].")) for p in leaves), path


def test_the_customer_deal_has_every_internal_field_at_its_default() -> None:
    marked = marked_deal()
    shared = for_customer(marked.deal)
    got = json.loads(shared.model_dump_json())
    for path in leaf_paths():
        if classes(path) != ["internal"]:
            continue
        for value in _values(got, path):  # (none for the items of a list emptied)
            default = field_info(path.replace("[]", "").split(".")).get_default(
                call_default_factory=True)
            assert value == json.loads(to_json(default)), f"{path} reached the customer"
    assert len(shared.risks) == 1 and shared.risks[0] == marked.deal.risks[0].model_copy(
        update={"shared": False})
    assert shared.stakeholders == [] and shared.disagreements == []
    assert shared.plan == marked.deal.plan and shared.problem.metrics == \
        marked.deal.problem.metrics


def _values(doc: Any, path: str) -> list[Any]:
    head, _, rest = path.partition(".")
    key = head.removesuffix("[]")
    value = doc[key]
    if head.endswith("[]"):
        return [v for item in value for v in (_values(item, rest) if rest else [item])]
    return _values(value, rest) if rest else [value]


# -- the page ----------------------------------------------------------------------------------


def test_no_internal_marker_on_the_page_and_all_shared_material() -> None:
    marked = marked_deal()
    page = CustomerPage.of(marked.deal).all_sections()
    leaked = {v: p for v, p in marked.hidden.items() if v in page}
    assert not leaked, f"internal fields on the customer's page: {leaked}"
    missing = {v: p for v, p in marked.shown.items() if html.escape(v) not in page}
    assert not missing, f"shared fields missing from the customer's page: {missing}"
    words = [w for w in INTERNAL_WORDS if w in page.lower()]
    assert not words, f"internal words on the customer's page: {words}"


def test_every_string_is_escaped(demo: dict[str, Deal]) -> None:
    deal, values = hostile_deal("hostile", demo["northwind-plant-maintenance"])
    page = CustomerPage.of(deal).all_sections()
    for raw in RAW:
        assert raw not in page
    shown = [v for v in values if html.escape(v) in page]
    assert len(shown) > 20  # the shared fields, escaped


def test_a_new_deal_says_nothing_is_written_down_yet() -> None:
    page = CustomerPage.of(empty_deal("new-one", customer="Acme", title="Fewer returns"))
    sections = page.sections()
    # the header, "Your options" (doing nothing, always), nothing else
    assert len(sections) == 2 and "Acme" in sections[0] and "Do nothing" in sections[1]
    blank = CustomerPage.of(Deal.model_validate({"deal": {"id": "bare"}}))
    assert [s for s in blank.sections() if "Nothing is written down yet" in s]


def test_doing_nothing_is_always_an_option(demo: dict[str, Deal]) -> None:
    harbourline = demo["harbourline-crm-replacement"]
    assert DO_NOTHING not in harbourline.problem.alternatives
    options = CustomerPage.of(harbourline).options()
    assert options.count("<li") == len(harbourline.problem.alternatives) + 1
    assert f">{DO_NOTHING}</li>" in options
    northwind = CustomerPage.of(demo["northwind-plant-maintenance"]).options()
    assert northwind.count(DO_NOTHING) == 1  # already there: not twice


def test_a_statement_in_the_sellers_words_asks_to_be_corrected(demo: dict[str, Deal]) -> None:
    assert "The problem, in your words" in CustomerPage.of(
        demo["northwind-plant-maintenance"]).problem()
    seller_words = CustomerPage.of(demo["harbourline-crm-replacement"]).problem()
    assert "as we understand it" in seller_words and "correct us" in seller_words


def test_only_shared_risks_and_the_demo_shares_some(demo: dict[str, Deal]) -> None:
    deal = demo["northwind-plant-maintenance"]
    page = CustomerPage.of(deal).risks()
    for risk in deal.risks:
        assert (html.escape(risk.description) in page) == risk.shared
    assert any(not r.shared for r in deal.risks) and any(r.shared for r in deal.risks)
    assert CustomerPage.of(demo["tallis-early-discovery"]).risks() == ""


def test_the_notebook_template_shows_every_part_in_order() -> None:
    """The order has one home, ``CustomerPage.SECTIONS``; the notebook shows the sections."""
    import nbformat

    nb = nbformat.read(TEMPLATE, as_version=4)
    calls = [c.source.strip().splitlines()[-1].split("#")[0].strip() for c in nb.cells
             if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    assert calls == ["display(*page.sections())"]
    assert ("header", *PARTS, "nothing_yet") == CustomerPage.SECTIONS


@pytest.mark.parametrize("deal_id", ["northwind-plant-maintenance", "fjordbank-onboarding",
                                     "harbourline-crm-replacement", "tallis-early-discovery"])
def test_the_demo_pages_keep_the_buying_group_to_themselves(demo: dict[str, Deal],
                                                            deal_id: str) -> None:
    deal = demo[deal_id]
    page = CustomerPage.of(deal).all_sections()
    private = [deal.problem.personal_impact, deal.fit.reason, deal.confidence.decision_process,
               *(r.description for r in deal.risks if not r.shared),
               *(d.about for d in deal.disagreements),
               *(t for p in deal.stakeholders
                 for t in (p.personal_goal, p.business_goal, p.concerns, p.view_of_problem))]
    assert [t for t in private if t.strip() and html.escape(t) in page] == []


def _counted_only() -> Deal:
    """A deal whose only cost-of-inaction factor is a count: "9 batches per month" (with the
    amount an older app derived from it still saved)."""
    doc = empty_deal("dairy", customer="Lakeside Dairy", title="Fewer lost batches",
                     currency="EUR").to_json_dict()
    doc["problem"]["statement"] = "Nine batches a month fail the culture check"
    doc["problem"]["cost_of_inaction"] = {"amount": 9, "period": "month", "assumptions": [
        {"name": "Failed batches", "value": 9, "unit": "batches per month", "kind": "count"}]}
    return Deal.model_validate(doc)


def test_a_count_is_not_an_amount_on_the_customers_page() -> None:
    cost = CustomerPage.of(_counted_only()).cost()
    assert "9 batches per month" in cost
    assert "EUR" not in cost and "108" not in cost  # not "9 EUR a month, 108 EUR a year"
    assert "what does each one cost you?" in cost


def test_a_count_is_not_an_amount_in_the_deal_report(tmp_path: Path) -> None:
    from coachkit.reports.deal import DealReport
    from coachkit.store import Store

    location = str(tmp_path / "s.db")
    with Store(location) as store:
        store.put(_counted_only(), author="test")
    cost = DealReport.load(location, "dairy").cost_and_metrics()
    assert "9 batches per month" in cost and "EUR" not in cost and "108" not in cost
    assert "missing: a money factor: what each of the batches costs them" in cost


def test_a_count_is_not_an_amount_in_show(tmp_path: Path, cli) -> None:
    from coachkit.model.files import write_workbook

    path = tmp_path / "dairy.coachkit.json"
    write_workbook(_counted_only(), path)
    store = str(tmp_path / "s.db")
    assert cli("import", "--store", store, str(path)).code == 0
    out = cli("show", "--store", store, "dairy").out
    assert "9 batches per month (no amount yet" in out and "EUR per month" not in out
