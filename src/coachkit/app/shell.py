"""The workbook app: header and save status, the deal picker, and the six steps."""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Callable
from html import escape
from urllib.parse import parse_qs, quote

import ipywidgets as w

from coachkit import clock
from coachkit.app.fields import css_class
from coachkit.app.picker import Picker
from coachkit.app.session import WorkbookSession
from coachkit.app.steps import STEPS, Step
from coachkit.app.style import CSS
from coachkit.app.training import TEMPORARY, TrainingPanel, brief_html, training_file_name
from coachkit.coaching.coach import Coach
from coachkit.errors import CoachkitError
from coachkit.model.files import SUFFIX
from coachkit.store.scoped import ScopedStore, page_store


def request_parameters() -> dict[str, str]:
    """The page's URL query (``?deal_id=...``) in Voila; empty elsewhere.

    With kernel preheating the notebook runs before any page is requested, so this first
    waits for the request. Without it Voila puts the query in the kernel's environment at
    start, and importing voila (2.5 s: jupyter_server and jsonschema) is not worth it."""
    if os.environ.get("VOILA_PREHEAT") == "True" and os.environ.get("COACHKIT_VOILA_SOCKET"):
        from coachkit.hub.pagerequest import wait_for_request_on_socket

        wait_for_request_on_socket(os.environ["COACHKIT_VOILA_SOCKET"])  # the team server's
    elif os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        wait_for_request()
    query = os.environ.get("QUERY_STRING", "")
    return {key: values[-1] for key, values in parse_qs(query).items()}


class App:
    """Everything the seller sees; ``App(...).widget`` is displayed by the notebook."""

    def __init__(self, store: str | None = None, *, author: str | None = None,
                 today: Callable[[], dt.date] | None = None):
        # on the team server: only the signed-in user's teams, saved as that user
        self.store = page_store(store or None)
        hub_user = self.store.access.user if isinstance(self.store, ScopedStore) else None
        self.session = WorkbookSession(
            self.store, author=hub_user or author or os.environ.get("COACHKIT_AUTHOR")
            or os.environ.get("USER") or "seller",
            coach=Coach(), today=today or clock.today)
        self.title = css_class(w.HTML(
            "<div class='ck-brand'><h1>coachkit</h1><div class='ck-sub'>The deal's change "
            "story, from the customer's side.</div></div>"), "ck-title")
        self.status = css_class(w.HTML(), "ck-status")
        self.links = css_class(w.HTML(), "ck-links")
        self.load_theirs = css_class(w.Button(description="Load their version"),
                                     "ck-load-theirs")
        self.keep_mine = css_class(w.Button(description="Keep mine on top",
                                            button_style="warning"), "ck-keep-mine")
        self.load_theirs.on_click(lambda _: self.session.load_theirs())
        self.keep_mine.on_click(lambda _: self.session.keep_mine())
        self.conflict = w.HBox([self.load_theirs, self.keep_mine],
                               layout=w.Layout(display="none"))
        self._picker: Picker | None = None
        self._training: TrainingPanel | None = None
        self.deals = w.Accordion(children=[w.VBox(), w.VBox()],
                                 titles=("Deals", "Training"), selected_index=None)
        self.deals.observe(lambda _: self._show_section(), names="selected_index")
        self.brief = css_class(w.Accordion(children=[w.HTML()], titles=("Scenario brief",),
                                           layout=w.Layout(display="none")), "ck-brief-box")
        self.banner = css_class(w.HTML(f"<div class='ck-banner'>{escape(TEMPORARY)}</div>",
                                       layout=w.Layout(display="none")), "ck-training-banner")
        self.steps: list[Step] = [step(self.session) for step in STEPS]
        self.tabs = css_class(w.Tab(children=[s.widget for s in self.steps],
                                    titles=tuple(s.title for s in self.steps),
                                    layout=w.Layout(display="none")), "ck-steps")
        self.heartbeat = css_class(w.Button(description="0", layout=w.Layout(display="none")),
                                   "ck-heartbeat")
        self.heartbeat.on_click(lambda _: self._answer_heartbeat())
        self.widget = css_class(w.VBox([
            w.HTML(CSS), self.title, self.deals,
            w.HBox([self.status, self.links], layout=w.Layout(justify_content="space-between",
                                                              width="100%")),
            self.conflict, self.banner, self.brief, self.tabs, self.heartbeat,
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

    def _show_section(self) -> None:
        if self.deals.selected_index == 0:
            self.picker.refresh()
        elif self.deals.selected_index == 1:
            _ = self.training

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
            self.picker.message.value = escape(str(exc))
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
        elif kind == "edit":
            for step in self.steps:
                if step.built:
                    step.refresh()
        self._titles()
        self._status()

    def _show_step(self) -> None:
        """Steps are built when first shown: opening a deal sends one step to the page."""
        index = self.tabs.selected_index
        if self.session.deal is not None and index is not None \
                and not self.steps[index].built:
            self.steps[index].rebuild()

    def _show_training(self) -> None:
        """A training workbook shows its brief and says plainly that Binder forgets."""
        scenario_id = self.session.deal.training.scenario if self.session.deal else ""
        display = None if scenario_id else "none"
        self.banner.layout.display = self.brief.layout.display = display
        if scenario_id:
            from coachkit.training.scenarios import load_scenario

            try:
                scenario = load_scenario(scenario_id)
            except CoachkitError:  # a workbook of a scenario this coachkit does not ship
                self.brief.layout.display = "none"
                return
            self.brief.children[0].value = brief_html(scenario)
            self.brief.set_title(0, f"Scenario brief: {scenario.title}")
            self.brief.selected_index = None

    def _answer_heartbeat(self) -> None:
        """The page clicks this hidden button every few seconds; a changed text is the
        kernel's answer. No answer for a while and the page says the connection is lost (Voila
        pages cannot run code the kernel sends, so the page asks and the kernel answers)."""
        self.heartbeat.description = str(int(self.heartbeat.description) + 1)

    def _deal_name(self) -> str:
        deal = self.session.deal
        return f"{deal.deal.customer} · {deal.deal.title}" if deal else ""

    def _titles(self) -> None:
        titles = []
        for step in self.steps:
            done = step.completeness()
            titles.append(step.title + (f" · {done:.0f}%" if done is not None else ""))
        if tuple(titles) != tuple(self.tabs.titles):
            self.tabs.titles = tuple(titles)

    def _status(self) -> None:
        status = self.session.status
        saved = escape(self.session.last_saved(), quote=True)
        self.status.value = (f"<span class='ck-status-{status.state}' data-last-saved='{saved}'>"
                             f"{escape(status.message)}</span>")
        self.conflict.layout.display = None if status.state == "conflict" else "none"
        deal = self.session.deal
        if deal is None or status.state == "pending":
            return
        data = base64.b64encode(self.session.download_text().encode("utf-8")).decode("ascii")
        name = escape(training_file_name(deal) or f"{deal.id}{SUFFIX}")
        self.links.value = (
            f"<a class='ck-permalink' href='?deal_id={quote(deal.id)}'>Link to this deal</a>"
            f" &nbsp;·&nbsp; <a class='ck-download' download='{name}' "
            f"href='data:application/json;charset=utf-8;base64,{data}'>Download workbook</a>")
