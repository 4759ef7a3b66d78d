"""The review loop in the app, without a browser: the seller reads the latest review, ticks
an action done and answers; a manager records a review with a dismissal from the app."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coachkit.app import App
from coachkit.coaching.coach import Coach
from coachkit.model.review import Action
from coachkit.store import Store
from support.helpers import TODAY, demo_store
from support.widgets import XSS

DEAL = "harbourline-crm-replacement"


@pytest.fixture
def location(tmp_path: Path) -> str:
    return demo_store(tmp_path, "app.db")


def _open(location: str, author: str) -> App:
    app = App(location, author=author, today=lambda: TODAY)
    app.open(DEAL)
    app.tabs.selected_index = [s.key for s in app.steps].index("review")
    return app


def test_the_seller_reads_ticks_and_answers(location: str) -> None:
    with Store(location) as s:
        s.add_review(DEAL, version=1, by=f"maria {XSS}", note=f"Who pays? {XSS}",
                     actions=[Action(text="Call the CFO"), Action(text=f"Map {XSS}")])
    app = _open(location, "ana")
    panel = app.steps[-1].manager
    assert "Review 1" in panel.latest.value and "Who pays?" in panel.latest.value
    assert XSS not in panel.latest.value  # escaped
    boxes = panel.actions.children
    assert [b.value for b in boxes] == [False, False]
    boxes[0].value = True  # ticked in the page: an event in the store
    with Store(location) as s:
        state = s.reviews(DEAL)[0].action_states()
        assert state[0].done and state[0].done_by == "ana" and not state[1].done
    panel.answer.value = "The CFO is Gareth's boss; meeting on Friday."
    panel.send.click()
    with Store(location) as s:
        answers = s.reviews(DEAL)[0].answers()
        assert [(a.by, a.text) for a in answers] == [
            ("ana", "The CFO is Gareth's boss; meeting on Friday.")]
    assert "meeting on Friday" in panel.latest.value
    assert [v for _, v in panel.about.options] == ["note"]  # no dismissal to answer
    panel.actions.children[0].value = False  # open again
    with Store(location) as s:
        assert not s.reviews(DEAL)[0].action_states()[0].done


def test_a_manager_records_a_review_with_a_dismissal(location: str) -> None:
    app = _open(location, "maria")
    form = app.steps[-1].manager.form
    standing = {f.rule for f in app.session.coaching.standing}
    assert "no-why-now" in standing
    row = next(r for r in form._rows if r[0].rule == "no-why-now")
    row[1].value = True
    form.save.click()
    assert "say why" in form.message.value  # a dismissal needs its reason
    row[2].value = "The audit in March is the why-now; it is in the compelling event."
    form.note.value = "Good progress."
    form.action_lines.value = "Bring the CFO in @2026-12-01\n\nMap the buying group"
    form.save.click()
    assert form.message.value == ""
    with Store(location) as s:
        review = s.reviews(DEAL)[0]
    assert review.by == "maria" and review.note == "Good progress."
    assert [(a.text, a.due) for a in review.actions] == [
        ("Bring the CFO in", dt.date(2026, 12, 1)),
        ("Map the buying group", None)]
    assert [d.rule for d in review.dismissed] == ["no-why-now"]
    coaching = app.session.coaching
    assert "no-why-now" not in {f.rule for f in coaching.standing}  # no longer counted
    assert "no-why-now" in {f.rule for f in coaching.findings}  # never hidden
    problem = app.steps[[s.key for s in app.steps].index("problem")]
    app.tabs.selected_index = [s.key for s in app.steps].index("problem")
    assert "Dismissed in review 1 by maria" in problem.coach_panel.value
    with Store(location) as s:  # the CLI's coach says the same
        found = s.get(DEAL)
        assert Coach().run(found.deal, TODAY, s.reviews(DEAL)).counts() == coaching.counts()


def test_only_who_may_review_sees_the_form(location: str) -> None:
    app = _open(location, "ana")
    app.session.can_review = False
    app.steps[-1].refresh()
    assert app.steps[-1].manager.record.layout.display == "none"


def test_the_review_step_opens_with_the_verdict(location: str) -> None:
    """The first thing the Review step shows is the verdict and the findings that decide it."""
    app = _open(location, "ana")
    step = app.steps[-1]
    step.refresh()
    assert step.body.children[0] is step.verdict
    assert "data-verdict='back-to-discovery'" in step.verdict.value
    assert "problem-as-product" in step.verdict.value
    assert "<img" not in step.verdict.value
