"""Finding a deal, starting one, or opening one from a file."""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import quote

import ipywidgets as w

from coachkit.app.fields import css_class, grid, hint, parse_number, text_html
from coachkit.app.session import WorkbookSession
from coachkit.errors import CoachkitError, InvalidWorkbook
from coachkit.fs import size_text
from coachkit.html import Markup, html
from coachkit.model import Stage
from coachkit.model.files import MAX_FILE_BYTES, too_large
from coachkit.model.vocabulary import field_hint, field_title, value_words
from coachkit.store import DealSummary
from coachkit.store.scoped import ScopedStore

ALL_TEAMS = "All teams"


NEW_REVIEW = "● new review"
"""How the deal list and the Review step mark a review the seller has not acted on."""


def deal_label(d: DealSummary, *, new_review: bool = False) -> str:
    stage = value_words(d.stage)
    parts = [d.customer or "(no customer)", d.title or "(no title)"]
    return (f"{' · '.join(parts)}  —  {stage}" + (f", {d.team}" if d.team else "")
            + (f"  {NEW_REVIEW}" if new_review else ""))


def report_url(team: str, deal_id: str) -> str:
    """The deal's latest report on the team server (its managers may read it)."""
    return hub_link(f"{REPORTS_PATH}teams/{quote(team)}/{quote(deal_id)}.html")


def matches(d: DealSummary, search: str, team: str) -> bool:
    text = search.strip().lower()
    if team != ALL_TEAMS and d.team != team:
        return False
    return not text or text in d.customer.lower() or text in d.title.lower() \
        or text in d.id.lower()


REPORTS_PATH = "services/coachkit-reports/"
"""The team server's reports service (same origin as the app, under the hub's base URL)."""
SIGN_OUT_PATH = "hub/logout"


def hub_link(path: str) -> str:
    """A page of the hub the app runs behind: the spawner gives the app the hub's base URL
    (``$JUPYTERHUB_BASE_URL``, ``/`` by default). A URL, not HTML: escape it where it goes."""
    base = os.environ.get("JUPYTERHUB_BASE_URL", "/")
    return base.rstrip("/") + "/" + path


def who_html(store: ScopedStore) -> Markup:
    """On the team server: who is signed in, whose deals these are, and the reports link
    for a manager."""
    access = store.access
    reports = (html(" · <a class='ck-reports' href='{}' target='_blank'>Team reports</a>",
                    hub_link(REPORTS_PATH)) if access.manages or access.admin else "")
    sign_out = html(" · <a class='ck-sign-out' href='{}'>Sign out</a>", hub_link(SIGN_OUT_PATH))
    return html("<div class='ck-hint'>Signed in as <b>{}</b> · the deals of {}{}{}</div>",
                access.user, access.describe(), reports, sign_out)


def labelled(path: tuple[str, ...], widget: w.Widget) -> w.VBox:
    """A field of the new-deal form under the title the Deal step gives it."""
    css_class(widget, "ck-input")
    return css_class(w.VBox([text_html(html("<label>{}</label>", field_title(path)),
                                       "ck-label"), widget]), "ck-field")


class Picker:
    """The deal list with search and team filter, "new deal", and upload."""

    def __init__(self, session: WorkbookSession, open_deal: Callable[[str], None],
                 opened: Callable[[], None]):
        self.session = session
        self.open_deal = open_deal
        self.opened = opened
        self.deals: list[DealSummary] = []
        self.new_reviews: set[str] = set()
        self.search = css_class(w.Text(placeholder="Search customer or title"), "ck-search")
        self.team = w.Dropdown(options=[ALL_TEAMS], value=ALL_TEAMS, description="",
                               layout=w.Layout(width="220px"))
        self.list = css_class(w.Select(options=[], rows=8, layout=w.Layout(width="100%")),
                              "ck-deal-list")
        self.open_button = css_class(w.Button(description="Open", button_style="primary"),
                                     "ck-open")
        self.message = css_class(w.HTML(), "ck-error-box")
        self.search.observe(lambda _: self._filter(), names="value")
        self.team.observe(lambda _: self._filter(), names="value")
        self.open_button.on_click(lambda _: self._open_selected())

        self.customer = css_class(w.Text(placeholder="Customer"), "ck-new-customer")
        self.title = css_class(w.Text(placeholder="What is changing for them"), "ck-new-title")
        self.seller = css_class(w.Text(placeholder="Seller"), "ck-new-seller")
        self.new_team: w.Text | w.Dropdown = w.Text(placeholder="Team")
        # the guided start: where the deal stands, what it is worth, by when, and why then
        self.stage = css_class(w.Dropdown(options=[(value_words(s), s.value) for s in Stage],
                                          value=Stage.discovery.value), "ck-new-stage")
        self.value = css_class(w.Text(placeholder="e.g. 120,000"), "ck-new-value")
        self.currency = css_class(w.Text(value="EUR", placeholder="EUR"), "ck-new-currency")
        self.close_date = css_class(w.DatePicker(), "ck-new-close-date")
        self.event = css_class(w.Textarea(placeholder=field_hint(("deal", "compelling_event")),
                                          rows=2), "ck-new-event")
        self.event_date = css_class(w.DatePicker(), "ck-new-event-date")
        store = session.store
        teams = store.new_deal_teams if isinstance(store, ScopedStore) else None
        if isinstance(store, ScopedStore) and teams is not None:
            # on the team server a new deal goes to one of the user's teams
            self.seller.value = store.access.user
            # labelled below like every other field (a description here said "Team" twice)
            self.new_team = w.Dropdown(options=teams, value=teams[0] if teams else None)
        css_class(self.new_team, "ck-new-team")
        self.who = css_class(w.HTML(who_html(store) if isinstance(store, ScopedStore) else ""),
                             "ck-who")
        self.create = css_class(w.Button(description="Start the deal",
                                         button_style="success"), "ck-create")
        self.create.on_click(lambda _: self._create())

        self.upload = css_class(w.FileUpload(accept=".json,application/json", multiple=False,
                                             description="Open a workbook file", icon=""),
                                "ck-upload")
        self.upload.observe(lambda change: self._uploaded(change["new"]), names="value")

        self.widget = css_class(w.VBox([
            self.who,
            w.HBox([self.search, self.team]),
            self.list,
            self.open_button,
            self.message,
            w.HTML("<h3 class='ck-heading'>New deal</h3>"),
            hint("Five answers to start: who, what changes for them, where the deal stands, "
                 "what it is worth and by when, and what in their calendar makes it matter."),
            grid([labelled(("deal", "customer"), self.customer),
                  labelled(("deal", "title"), self.title),
                  labelled(("deal", "seller"), self.seller),
                  labelled(("deal", "team"), self.new_team),
                  labelled(("deal", "stage"), self.stage),
                  grid([labelled(("deal", "value"), self.value),
                        labelled(("deal", "currency"), self.currency)]),
                  labelled(("deal", "close_date"), self.close_date)], columns=2),
            labelled(("deal", "compelling_event"), self.event),
            grid([labelled(("deal", "compelling_event_date"), self.event_date)], columns=2),
            self.create,
            w.HTML("<h3 class='ck-heading'>Open a file</h3>"),
            # data-ck-max-bytes: the page refuses a bigger file before sending it
            text_html(html("<div class='ck-hint' data-ck-max-bytes='{}'>A .coachkit.json "
                           "workbook of at most {}: it is checked, then saved as the newest "
                           "version of its deal.</div>", MAX_FILE_BYTES,
                           size_text(MAX_FILE_BYTES)), "ck-hint-box"),
            self.upload,
        ]), "ck-picker")

    def refresh(self) -> None:
        """Reload the deal list from the store (others may have added deals), each deal
        with a review the seller has not acted on marked."""
        store = self.session.store
        self.deals = store.list_deals()
        self.new_reviews = {d.id for d in self.deals
                            if (r := store.reviews(d.id)) and r[-1].is_new(d.version)}
        teams = sorted({d.team for d in self.deals if d.team})
        self.team.options = [ALL_TEAMS, *teams]
        self._filter()

    def _filter(self) -> None:
        shown = [d for d in self.deals if matches(d, self.search.value, self.team.value)]
        self.list.options = [(deal_label(d, new_review=d.id in self.new_reviews), d.id)
                             for d in shown]

    def _open_selected(self) -> None:
        if self.list.value:
            self._guard(lambda: self.open_deal(self.list.value))
        else:
            self.message.value = "Pick a deal from the list first."

    def _create(self) -> None:
        def create() -> None:
            try:
                value = parse_number(self.value.value)
            except ValueError:
                raise CoachkitError(f"{field_title(('deal', 'value'))}: a number, like "
                                    "120,000") from None
            deal_id = self.session.new(
                self.customer.value, self.title.value, seller=self.seller.value,
                team=self.new_team.value or "", stage=self.stage.value, value=value,
                currency=self.currency.value.strip().upper() or "EUR",
                close_date=self.close_date.value, compelling_event=self.event.value,
                compelling_event_date=self.event_date.value)
            self.customer.value = self.title.value = self.value.value = self.event.value = ""
            self.close_date.value = self.event_date.value = None
            self.stage.value = Stage.discovery.value
            self.refresh()
            self.list.value = deal_id
            self.opened()

        self._guard(create)

    def _uploaded(self, files: tuple) -> None:
        if not files:
            return
        item = files[0]
        name = str(item.get("name", "upload.json"))
        size = int(item.get("size") or len(item["content"]))

        def upload() -> None:
            if size > MAX_FILE_BYTES:
                raise InvalidWorkbook(too_large(name, size))
            deal_id = self.session.upload(bytes(item["content"]), name)
            self.refresh()
            self.list.value = deal_id
            self.opened()

        self._guard(upload)
        self.upload.value = ()

    def _guard(self, action: Callable[[], None]) -> None:
        """Run a picker action; a user's mistake becomes a message here, never a traceback."""
        self.message.value = ""
        try:
            action()
        except CoachkitError as exc:
            self.message.value = html("<div class='ck-upload-error'>{}</div>", exc)
