"""The participant's side of a workshop: pick a scenario, give a name, read the brief."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ipywidgets as w

from coachkit.app.fields import css_class, grid, hint
from coachkit.app.session import WorkbookSession
from coachkit.errors import CoachkitError
from coachkit.html import Markup, html, join
from coachkit.model import Deal
from coachkit.training.scenarios import Scenario, download_name, load_scenario, scenarios

TEMPORARY = (
    "This is a training workbook. A Binder session is temporary: when you close the tab or "
    "leave it idle, everything on it is gone. Download your workbook before you leave and "
    "hand the file to your trainer.")


def markdown_html(text: str) -> str:
    """A brief's markdown as HTML, with any HTML in it escaped (mistune ships with nbconvert)."""
    import mistune

    return str(mistune.create_markdown(escape=True)(text))


def brief_html(scenario: Scenario) -> Markup:
    goals = join(html("<li>{}</li>", g) for g in scenario.learning_goals)
    return html("<div class='ck-brief'>{}<h4>What you will practise</h4><ul>{}</ul></div>",
                Markup(markdown_html(scenario.brief)), goals)


def training_file_name(deal: Deal) -> str | None:
    """``<participant>__<scenario>.coachkit.json`` for a training workbook, else None."""
    t = deal.training
    if t.scenario and t.participant:
        return download_name(t.participant, t.scenario)
    return None


class TrainingPanel:
    """Start (or come back to) a participant's workbook on a scenario."""

    def __init__(self, session: WorkbookSession, opened: Callable[[], None], *,
                 today: Callable[[], dt.date]):
        self.session = session
        self.opened = opened
        self.today = today
        self.cohort = ""
        options = [(s.title, s.id) for s in scenarios()]
        self.scenario = css_class(w.Dropdown(options=options, layout=w.Layout(width="100%")),
                                  "ck-scenario")
        self.participant = css_class(w.Text(placeholder="Your name"), "ck-participant")
        self.start = css_class(w.Button(description="Start the scenario", button_style="success"),
                               "ck-start-scenario")
        self.message = css_class(w.HTML(), "ck-error-box")
        self.summary = css_class(w.HTML(), "ck-scenario-summary")
        self.start.on_click(lambda _: self._start())
        self.scenario.observe(lambda _: self._show_summary(), names="value")
        self.widget = css_class(w.VBox([
            hint("For workshops: work through a made-up deal. Your trainer gives you the "
                 "scenario."),
            grid([self.scenario, self.participant]),
            self.summary,
            self.start,
            self.message,
            css_class(w.HTML(html("<div class='ck-banner'>{}</div>", TEMPORARY)), "ck-temp"),
        ]), "ck-training")
        self._show_summary()

    def preselect(self, scenario_id: str, cohort: str = "", participant: str = "") -> None:
        try:
            load_scenario(scenario_id)
        except CoachkitError as exc:
            self.message.value = html("{}", exc)
            return
        self.scenario.value = scenario_id
        self.cohort = cohort
        if participant:
            self.participant.value = participant

    def _show_summary(self) -> None:
        if self.scenario.value:
            self.summary.value = html("<em>{}</em>", load_scenario(self.scenario.value).summary)

    def _start(self) -> None:
        self.message.value = ""
        try:
            scenario = load_scenario(self.scenario.value)
            deal = scenario.start(self.participant.value, cohort=self.cohort,
                                  today=self.today())
            if self.session.store.exists(deal.id):
                self.session.open(deal.id)  # coming back: their work, not a fresh start
            else:
                self.session.open_document(deal, author_note=" (training)")
        except CoachkitError as exc:
            self.message.value = html("{}", exc)
            return
        self.opened()
