"""Step 6, Review: first the verdict on the deal and the findings that decide it; the
manager's review, every finding by severity, the scores with their
parts, the questions; and the customer's page to preview and download."""

from __future__ import annotations

import ipywidgets as w

from coachkit.app.customer import CustomerPanel
from coachkit.app.fields import css_class, heading
from coachkit.app.nudges import review_html, verdict_html
from coachkit.app.review_panel import ReviewPanel
from coachkit.app.steps.base import Step


class ReviewStep(Step):
    key = "review"

    def build(self) -> list[w.Widget]:
        self.verdict = css_class(w.HTML(), "ck-verdict-box")
        self.review = css_class(w.HTML(), "ck-review")
        self._last_review = self._last_verdict = ""
        self.manager = ReviewPanel(self.session)
        self.customer = CustomerPanel(self.session)
        return [self.verdict, heading("Your manager's review"), self.manager.widget, self.review,
                heading("The customer's page"), self.customer.widget]

    def refresh(self) -> None:
        coaching = self.session.coaching
        if coaching is None or not hasattr(self, "review"):
            return
        verdict = verdict_html(coaching)
        if verdict != self._last_verdict:
            self.verdict.value = self._last_verdict = verdict
        html = review_html(coaching)
        if html != self._last_review:
            self.review.value = self._last_review = html
        self.manager.refresh()
        self.customer.refresh()
