"""Step 1, Deal: who is buying, from whom, how much, and the customer's compelling event."""

from __future__ import annotations

import ipywidgets as w

from coachkit.app.fields import grid, hint
from coachkit.app.steps.base import Step
from coachkit.model import Stage

STAGES = [(s.value.replace("_", " "), s.value) for s in Stage]


class DealStep(Step):
    title = "Deal"
    sections = ("deal",)

    def build(self) -> list[w.Widget]:
        f = self.form
        return [
            hint("The deal as the customer sees it: what changes for them, and by when."),
            grid([
                f.text(("deal", "customer"), "Customer"),
                f.text(("deal", "title"), "Deal title"),
                f.text(("deal", "seller"), "Seller"),
                f.text(("deal", "team"), "Team"),
                f.choice(("deal", "stage"), "Stage", STAGES),
                f.date(("deal", "close_date"), "Expected close date"),
                f.number(("deal", "value"), "Value"),
                f.text(("deal", "currency"), "Currency (ISO code, e.g. EUR)"),
            ]),
            f.text(("deal", "compelling_event"), "The customer's compelling event", area=True,
                   rows=2, description="Something in their calendar that makes this matter "
                   "by a date: an audit, a contract, a season. Not our quarter end."),
            f.date(("deal", "compelling_event_date"), "Date of the compelling event",
                   width="50%"),
        ]
