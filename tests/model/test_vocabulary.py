"""One vocabulary: a section added or a label renamed in one place shows everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from coachkit.app import App
from coachkit.coaching.coach import Coach
from coachkit.model import DealInfo
from coachkit.model import vocabulary as vocab
from coachkit.model.files import parse_workbook
from coachkit.reports.deal import DealReport
from coachkit.store import Store
from coachkit.training.demo import demo_deal
from coachkit.views.text import coaching_text, deal_text
from support.helpers import TODAY

DEAL_ID = "northwind-plant-maintenance"


def _app(tmp_path: Path) -> App:
    store = str(tmp_path / "s.db")
    with Store(store) as s:
        s.put(demo_deal(DEAL_ID, TODAY), author="t")
    app = App(store)
    app.open(DEAL_ID)
    return app


def _step_html(app: App, key: str) -> str:
    """Everything a step puts on the page: labels, placeholders, panels."""
    index = [s.key for s in app.steps].index(key)
    app.tabs.selected_index = index
    step = app.steps[index]

    def walk(widget: object) -> str:
        parts = [str(getattr(widget, name, "")) for name in ("value", "description",
                                                               "placeholder")]
        for child in getattr(widget, "children", ()):
            parts.append(walk(child))
        return " ".join(parts)

    return walk(step.widget)


def test_a_new_section_shows_in_app_report_and_text(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fake = vocab.Section("fake", "Fake things", 10, "review")
    monkeypatch.setattr(vocab, "SECTIONS", (*vocab.SECTIONS, fake))
    deal = demo_deal(DEAL_ID, TODAY)
    result = Coach().run(deal, TODAY)
    assert "Fake things not measured" in coaching_text(deal, result)
    assert "Fake things" in DealReport.of(deal, TODAY).scores()
    assert "Fake things (0% complete)" in _step_html(_app(tmp_path), "review")


def test_a_renamed_label_shows_in_app_report_text_and_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DealInfo.model_fields["close_date"], "title", "Decision day")
    deal = demo_deal(DEAL_ID, TODAY)
    app = _app(tmp_path)
    assert "Decision day" in _step_html(app, "deal")
    assert "Decision day" in DealReport.of(deal, TODAY).header()
    with Store(str(tmp_path / "s.db")) as s:
        assert "Decision day: " in deal_text(s.get(DEAL_ID))
    with pytest.raises(Exception, match=r"deal\.close_date \(Decision day\)"):
        parse_workbook('{"schema_version": 1, "deal": {"id": "x", "close_date": "soon"}}')


def test_every_step_has_a_view_and_every_section_a_step() -> None:
    from coachkit.app.steps import VIEWS

    assert [s.key for s in vocab.STEPS] == list(VIEWS)
    assert {s.step for s in vocab.SECTIONS} <= set(VIEWS)
    assert len({s.key for s in vocab.SECTIONS}) == len(vocab.SECTIONS)


def test_section_order_is_the_workbook_order() -> None:
    from coachkit.coaching.scores import PARTS

    keys = [s.key for s in vocab.SECTIONS]
    assert keys.index("risks") < keys.index("stakeholders")  # as the app asks
    assert set(PARTS) <= set(keys)
    steps = [s.key for s in vocab.STEPS]
    assert [steps.index(s.step) for s in vocab.SECTIONS] == sorted(
        steps.index(s.step) for s in vocab.SECTIONS)


def test_every_field_has_a_title() -> None:
    from pydantic import BaseModel

    from coachkit.model import Deal

    seen: set[type] = set()

    def walk(model: type[BaseModel]) -> list[str]:
        if model in seen:
            return []
        seen.add(model)
        missing = [f"{model.__name__}.{name}" for name, info in model.model_fields.items()
                   if not info.title and name != "schema_version"]
        for info in model.model_fields.values():
            inner = vocab._inner(vocab._inner(info.annotation))
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                missing += walk(inner)
        return missing

    assert walk(Deal) == []


# -- the Problem's story: its field order in one place ------------------------------------------


def test_every_story_field_counts_toward_completeness() -> None:
    """A field added to the story is asked for by the form (it reads STORY_FIELDS) and must
    count: filled alone on an empty deal, it raises the Problem's completeness."""
    from coachkit.coaching.scores import section_completeness
    from coachkit.coaching.settings import load_settings
    from coachkit.model import Deal, Problem

    settings = load_settings()
    empty = section_completeness(Deal(deal=DealInfo(id="d")), settings)["problem"].value
    for name in vocab.STORY_FIELDS:
        deal = Deal(deal=DealInfo(id="d"), problem=Problem(**{name: "something"}))
        assert section_completeness(deal, settings)["problem"].value > empty, name


def test_the_reports_tell_the_story_in_its_order() -> None:
    """Until the reports read STORY_FIELDS themselves, their copies follow it."""
    from coachkit.reports import customer, deal

    assert deal.STORY_FIELDS == vocab.STORY_FIELDS
    shown = [f for group in customer.STORY for f in group]
    assert shown == [f for f in vocab.STORY_FIELDS if f in shown]
