"""The customer's page in the app: "Preview the customer's page" and its download, on the
Review step.

The page is the one ``coachkit report ID --for customer`` writes: the same sections
(:class:`~coachkit.reports.customer.CustomerPage`, so only what the customer may see), through
the same nbconvert template, made here without a kernel. The preview shows
it in a sandboxed ``<iframe srcdoc>``, so its stylesheet stays out of the app and nothing in
it can run; the download is a ``data:`` link (Voila has no download widget). The page is made
only while the preview is open, and again only when what the customer sees has changed.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import ipywidgets as w

from coachkit.app.fields import css_class, hint
from coachkit.app.session import WorkbookSession
from coachkit.reports.markup import el
from coachkit.views.palette import LINE

FRAME_STYLE = f"width:100%;height:70vh;border:1px solid {LINE};border-radius:4px;background:#fff"
_RENDERER: Any = None


def renderer() -> Any:
    """This kernel's report renderer, made on first use (it imports nbconvert, ~1 s)."""
    global _RENDERER
    if _RENDERER is None:
        from coachkit.engine.render import Renderer

        _RENDERER = Renderer()
    return _RENDERER


class CustomerPanel:
    """A toggle that shows the customer's page and offers it as a file."""

    def __init__(self, session: WorkbookSession):
        self.session = session
        self.toggle = css_class(w.ToggleButton(description="Preview the customer's page",
                                               value=False,
                                               layout=w.Layout(width="auto")),
                                "ck-customer-toggle")
        self.link = css_class(w.HTML(layout=w.Layout(margin="0 0 0 12px")),
                              "ck-customer-download")
        self.preview = css_class(w.HTML(), "ck-customer-preview")
        self.widget = css_class(w.VBox([
            hint("The page to share with the buying group: their problem, metrics, cost of "
                 "inaction, options, terms, the risks you marked to share, and the mutual "
                 "plan. Nothing internal is on it."),
            w.HBox([self.toggle, self.link]),
            self.preview,
        ]), "ck-customer")
        self._shown = ""
        self.toggle.observe(lambda _: self.refresh(), names="value")

    def refresh(self) -> None:
        """Show the page as the deal stands (only while the preview is open)."""
        deal = self.session.deal
        if not self.toggle.value or deal is None:
            self.preview.value = self.link.value = self._shown = ""
            return
        from coachkit.engine.render import notebook_of
        from coachkit.reports.customer import CustomerPage
        from coachkit.reports.kinds import KINDS

        updated = dt.datetime.combine(self.session.today(), dt.time())
        page = CustomerPage.of(deal, updated, settings=self.session.coach.settings)
        key = page.deal.model_dump_json() + str(updated)
        if key == self._shown:
            return
        kind = KINDS["customer"]
        html = renderer().html(notebook_of(page.sections()), kind.title_of(page.title),
                               footer=kind.footer_of(deal.id, page.title))
        data = base64.b64encode(html.encode("utf-8")).decode("ascii")
        self.link.value = el("a", "Download the customer's page", class_="ck-download",
                             download=f"{kind.stem_of(deal.id)}.html",
                             href=f"data:text/html;charset=utf-8;base64,{data}")
        self.preview.value = el("iframe", srcdoc=html, sandbox="", class_="ck-customer-frame",
                                title="The customer's page", style=FRAME_STYLE)
        self._shown = key
