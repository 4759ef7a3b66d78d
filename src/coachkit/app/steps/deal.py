"""Step 1, Deal: who is buying, from whom, how much, and the customer's compelling event."""

from __future__ import annotations

import ipywidgets as w

from coachkit.app.fields import grid, hint
from coachkit.app.steps.base import Step
from coachkit.model.vocabulary import field_hint


class DealStep(Step):
    key = "deal"

    def build(self) -> list[w.Widget]:
        f = self.form
        return [
            hint("The deal as the customer sees it: what changes for them, and by when."),
            grid([
                f.text(("deal", "customer")),
                f.text(("deal", "title")),
                f.text(("deal", "seller")),
                f.text(("deal", "team")),
                f.enum(("deal", "stage")),
                f.date(("deal", "close_date")),
                f.number(("deal", "value")),
                f.text(("deal", "currency")),
            ]),
            f.text(("deal", "compelling_event"), area=True, rows=2, placeholder="",
                   description=field_hint(("deal", "compelling_event"))),
            f.date(("deal", "compelling_event_date"), width="50%"),
        ]
