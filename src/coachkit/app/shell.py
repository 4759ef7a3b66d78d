"""The workbook app: header and save status, the deal picker, and the six steps."""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Callable
from urllib.parse import parse_qs, quote

import ipywidgets as w

from coachkit import clock
from coachkit.access import SHARED_VAR
from coachkit.app import incidents
from coachkit.app.conflicts import ConflictPanel
from coachkit.app.fields import css_class
from coachkit.app.history import HistoryPanel
from coachkit.app.picker import Picker
from coachkit.app.session import WorkbookSession
from coachkit.app.steps import STEPS, Step
from coachkit.app.style import CSS, MERGE_CSS
from coachkit.app.training import TEMPORARY, TrainingPanel, brief_html, training_file_name
from coachkit.author import default_author
from coachkit.coaching.coach import Coach
from coachkit.errors import CoachkitError
from coachkit.html import html
from coachkit.model.files import SUFFIX
from coachkit.store.scoped import ScopedStore, page_store


def request_parameters() -> dict[str, str]:
    """The page's URL query (``?deal_id=...``) in Voila; empty elsewhere.

    With kernel preheating the notebook runs before any page is requested, so this first
    waits for the request (from Voila, proving it is this page's kernel; on the team server
    over Voila's Unix socket). Without it Voila puts the query in the kernel's environment at
    start."""
    if os.environ.get("VOILA_PREHEAT") == "True":
        from coachkit.app.page_request import wait_for_request

        wait_for_request()
    query = os.environ.get("QUERY_STRING", "")
    return {key: values[-1] for key, values in parse_qs(query).items()}


class App:
    """Everything the seller sees; ``App(...).widget`` is displayed by the notebook."""

    def __init__(self, store: str | None = None, *, author: str | None = None,
                 today: Callable[[], dt.date] | None = None):
        # on the team server: only the signed-in user's teams, saved as that user
        if os.environ.get(SHARED_VAR):
            # the shared app's preheated kernel learns its user with the page request
            request_parameters()
        self.store = page_store(store or None)
        hub_user = self.store.access.user if isinstance(self.store, ScopedStore) else None
        self.session = WorkbookSession(
            self.store, author=hub_user or author or default_author(),
            coach=Coach(), today=today or clock.today)
        self.title = css_class(w.HTML(
            "<div class='ck-brand'><h1>coachkit</h1><div class='ck-sub'>The deal's change "
            "story, from the customer's side.</div></div>"), "ck-title")
        self.status = css_class(w.HTML(), "ck-status")
        self.links = css_class(w.HTML(), "ck-links")
        self.conflicts = ConflictPanel(self.session)
        self.url = css_class(w.HTML(layout=w.Layout(display="none")), "ck-url")
        self._picker: Picker | None = None
        self._training: TrainingPanel | None = None
        self._history: HistoryPanel | None = None
        self.deals = w.Accordion(children=[w.VBox(), w.VBox(), w.VBox()],
                                 titles=("Deals", "Training", "History"),
                                 selected_index=None)
        self.deals.observe(lambda _: self._show_section(), names="selected_index")
        self.brief = css_class(w.HTML(), "ck-brief-box", "ck-brief-side")
        self.banner = css_class(w.HTML(html("<div class='ck-banner'>{}</div>", TEMPORARY),
                                       layout=w.Layout(display="none")), "ck-training-banner")
        self.steps: list[Step] = [step(self.session) for step in STEPS]
        self.tabs = css_class(w.Tab(children=[s.widget for s in self.steps],
                                    titles=tuple(s.title for s in self.steps),
                                    layout=w.Layout(display="none")), "ck-steps")
        self.heartbeat = css_class(w.Button(description="0", layout=w.Layout(display="none")),
                                   "ck-heartbeat")
        self.heartbeat.on_click(lambda _: self._answer_heartbeat())
        self.incident = css_class(w.HTML(layout=w.Layout(display="none")), "ck-incident")
        incidents.install(self._incident)
        self.widget = css_class(w.VBox([
            w.HTML(CSS + MERGE_CSS), self.title, self.deals,
            css_class(w.HBox([self.status, self.links], layout=w.Layout(
                justify_content="space-between", width="100%")), "ck-statusbar"),
            self.incident, self.conflicts.widget, self.banner, self.tabs, self.heartbeat,
            self.url,
        ]), "ck-app")
        self.tabs.observe(lambda _: self._show_step(), names="selected_index")
        self.session.on_change(self._changed)

    @property
    def picker(self) -> Picker:
        """The deal picker, built when first needed (a page opened on a deal never is)."""
        if self._picker is None:
            self._picker = Picker(self.session, self.open, self._opened)
            self.deals.children[0].children = [self._picker.widget]
            self._picker.refresh()
        return self._picker

    @property
    def training(self) -> TrainingPanel:
        if self._training is None:
            self._training = TrainingPanel(self.session, self._opened, today=self.session.today)
            self.deals.children[1].children = [self._training.widget]
        return self._training

    @property
    def history(self) -> HistoryPanel:
        if self._history is None:
            self._history = HistoryPanel(self.session)
            self.deals.children[2].children = [self._history.widget]
        return self._history

    def _show_section(self) -> None:
        if self.deals.selected_index == 0:
            self.picker.refresh()
        elif self.deals.selected_index == 1:
            _ = self.training
        elif self.deals.selected_index == 2:
            self.history.refresh()

    def start(self, deal_id: str = "", scenario: str = "") -> None:
        """After the page is requested: read the URL query, list deals, open the one asked."""
        params = request_parameters()
        deal_id = params.get("deal_id") or deal_id
        scenario = params.get("scenario") or scenario
        if scenario:
            self.training.preselect(scenario, cohort=params.get("cohort", ""),
                                    participant=params.get("participant", ""))
            self.deals.selected_index = 1
        if deal_id:
            self.open(deal_id)
        elif not scenario:
            self.deals.selected_index = 0

    def open(self, deal_id: str) -> None:
        try:
            self.session.open(deal_id)
        except CoachkitError as exc:
            self.deals.selected_index = 0
            self.picker.message.value = html("{}", exc)
            return
        self._opened()

    def _opened(self) -> None:
        self.deals.selected_index = None

    # -- keeping the views in step with the session ------------------------------------------

    def _changed(self, kind: str) -> None:
        if kind == "deal":
            for step in self.steps:
                step.forget()
            self._show_step()
            self.tabs.layout.display = None
            self.deals.set_title(0, f"Deals · open: {self._deal_name()}")
            self._show_training()
            self._follow_url()
            if self.deals.selected_index == 2:
                self.history.refresh()
        elif kind == "edit":
            for step in self.steps:
                if step.built:
                    step.refresh()
        self._titles()
        self._status()

    def _follow_url(self) -> None:
        """The page's script puts the open deal in the address (``?deal_id=``), so reload,
        back and bookmarks come back to it (Voila pages run no code the kernel sends)."""
        deal = self.session.deal
        if deal is not None:
            self.url.value = html("<span data-deal-id='{}'></span>", deal.id)

    def _show_step(self) -> None:
        """Steps are built when first shown: opening a deal sends one step to the page."""
        index = self.tabs.selected_index
        if self.session.deal is not None and index is not None \
                and not self.steps[index].built:
            self.steps[index].rebuild()

    def _show_training(self) -> None:
        """A training workbook shows its brief beside every step it is filled in on, open
        (the participant reads it while writing), and says plainly that Binder forgets."""
        scenario_id = self.session.deal.training.scenario if self.session.deal else ""
        self.banner.layout.display = None if scenario_id else "none"
        brief: w.Widget | None = None
        if scenario_id:
            from coachkit.training.scenarios import load_scenario

            try:
                scenario = load_scenario(scenario_id)
            except CoachkitError:  # a workbook of a scenario this coachkit does not ship
                scenario = None
            if scenario is not None:
                self.brief.value = html(
                    "<details open><summary>Scenario brief</summary>{}</details>",
                    brief_html(scenario))
                brief = self.brief
        for step in self.steps:
            step.show_brief(brief)

    def _answer_heartbeat(self) -> None:
        """The page clicks this hidden button every few seconds; a changed text is the
        kernel's answer. No answer for a while and the page says the connection is lost (Voila
        pages cannot run code the kernel sends, so the page asks and the kernel answers)."""
        self.heartbeat.description = str(int(self.heartbeat.description) + 1)

    def _deal_name(self) -> str:
        deal = self.session.deal
        return " · ".join(p for p in (deal.deal.customer, deal.deal.title) if p) if deal else ""

    def _titles(self) -> None:
        titles = []
        for step in self.steps:
            done = step.completeness()
            titles.append(step.title + (f" · {done:.0f}%" if done is not None else ""))
        if tuple(titles) != tuple(self.tabs.titles):
            self.tabs.titles = tuple(titles)

    def _incident(self, reference: str) -> None:
        """Something failed in this kernel; the details are in the server's log."""
        self.incident.value = html(
            "<span class='ck-status-error'>Something went wrong here (reference "
            "<code>{}</code>). What was saved is safe; reload the page to go "
            "on. The reference finds the details in the log of the app's server.</span>",
            reference)
        self.incident.layout.display = None

    def _status(self) -> None:
        status = self.session.status
        self.status.value = html("<span class='ck-status-{}' data-last-saved='{}'>{}</span>",
                                 status.state, self.session.last_saved(), status.message)
        self.conflicts.refresh()
        deal = self.session.deal
        if deal is None or status.state == "pending":
            return
        data = base64.b64encode(self.session.download_text().encode("utf-8")).decode("ascii")
        name = training_file_name(deal) or f"{deal.id}{SUFFIX}"
        self.links.value = html(
            "<a class='ck-permalink' href='?deal_id={}'>Link to this deal</a>"
            " &nbsp;·&nbsp; <a class='ck-download' download='{}' "
            "href='data:application/json;charset=utf-8;base64,{}'>Download workbook</a>",
            quote(deal.id), name, data)
