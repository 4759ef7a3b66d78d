"""What every step has: its form, and a coaching panel that follows the seller's typing."""

from __future__ import annotations

import ipywidgets as w

from coachkit.app.fields import Form, css_class, shared_looks
from coachkit.app.nudges import findings_html
from coachkit.app.session import WorkbookSession
from coachkit.html import html
from coachkit.model.vocabulary import STEPS, sections_of


class Step:
    """One tab of the workbook. Subclasses build the form and may refresh computed views;
    the tab's title and the sections it covers come from :mod:`coachkit.model.vocabulary`."""

    key = ""
    """The step's key in :data:`coachkit.model.vocabulary.STEPS`."""

    def __init__(self, session: WorkbookSession):
        self.title = next(s.title for s in STEPS if s.key == self.key)
        self.sections = tuple(s.key for s in sections_of(self.key))
        """Coaching sections whose findings this step shows (and whose completeness it
        counts)."""
        self.session = session
        self.form = Form(session)
        self.body = css_class(w.VBox(**shared_looks(w.VBox)), "ck-step-body")
        self.coach_panel = css_class(w.HTML(**shared_looks(w.HTML)), "ck-coach-panel")
        self.side = css_class(w.VBox([self.coach_panel], **shared_looks(w.VBox)), "ck-side")
        """Beside the form (below it on a phone): the coach, then a scenario's brief."""
        parts = [self.body, self.side] if self.sections else [self.body]
        self.widget = css_class(w.HBox(parts, **shared_looks(w.HBox)), "ck-step",
                                f"ck-step-{self.key}")
        self._last_panel = ""
        self.built = False

    def build(self) -> list[w.Widget]:
        raise NotImplementedError

    def show_brief(self, brief: w.Widget | None) -> None:
        """Put a training scenario's brief beside this step, under the coach (which stays
        short and in view); None: no brief."""
        self.side.children = [self.coach_panel, brief] if brief else [self.coach_panel]

    def rebuild(self) -> None:
        """Build the form afresh for the open deal (after opening another deal)."""
        self.form.lists = []
        self.body.children = self.build()
        self.built = True
        self.refresh()

    def forget(self) -> None:
        """Another deal was opened: drop the form; it is built again when next shown."""
        self.body.children = []
        self.built = False

    def completeness(self) -> float | None:
        coaching = self.session.coaching
        if coaching is None or not self.sections:
            return None
        scores = [coaching.sections[s].value for s in self.sections if s in coaching.sections]
        return sum(scores) / len(scores) if scores else None

    def refresh(self) -> None:
        """Update what depends on the whole deal: this step's findings and computed views."""
        coaching = self.session.coaching
        if coaching is None:
            return
        if self.built:
            for editor in self.form.lists:
                editor.follow()
        findings = [f for s in self.sections for f in coaching.for_section(s)]
        done = self.completeness()
        pct = html(" <span class='ck-pct'>{:.0f}% complete</span>", done) \
            if done is not None else ""
        panel = html("<div class='ck-panel-head'>Coach · {}{}</div>{}", self.title, pct,
                     findings_html(findings, empty="Nothing to add here for this stage.",
                                   coaching=coaching))
        if panel != self._last_panel:  # only send what changed over the websocket
            self.coach_panel.value = panel
            self._last_panel = panel
