"""Step 3, Risks: of the change and of each alternative, with owners and mitigations."""

from __future__ import annotations

import ipywidgets as w

from coachkit.app.fields import Form, ListEditor, css_class, grid, heading, hint
from coachkit.app.session import Path
from coachkit.app.steps.base import Step
from coachkit.model.vocabulary import field_title
from coachkit.views.maps import risk_map


def _risk_row(f: Form, path: Path, i: int) -> w.Widget:
    return w.VBox([
        f.text((*path, "description"), f"{field_title((*path, 'description'))} {i + 1}",
               area=True, rows=2),
        grid([
            f.enum((*path, "category")),
            f.text((*path, "applies_to")),
            f.score((*path, "likelihood")),
            f.score((*path, "impact")),
            f.text((*path, "carried_by")),
            f.text((*path, "owner")),
        ], columns=2),
        f.text((*path, "mitigation"), area=True, rows=2),
        grid([f.enum((*path, "status")), f.flag((*path, "shared"))], columns=2),
    ])


def _risk_summary(r: dict) -> str:
    text = (r.get("description") or "").strip() or "(not described yet)"
    text = text if len(text) <= 80 else text[:79] + "…"
    rating = (f"{r['likelihood']}×{r['impact']}" if r.get("likelihood") and r.get("impact")
              else "not rated")
    return (f"{text} — {rating}, {r['status']}" + ("" if r.get("owner") else ", no owner")
            + (", shared with the customer" if r.get("shared") else ""))


class RisksStep(Step):
    key = "risks"

    def build(self) -> list[w.Widget]:
        self.map = css_class(w.HTML(), "ck-map", "ck-risk-map")
        self._last_map = ""
        return [
            hint("Every change is risky for somebody, and so is every alternative, doing "
                 "nothing included. Business and personal risks both count."),
            ListEditor(self.form, ("risks",), _risk_row,
                       lambda: {"description": "", "category": "business"},
                       add_label="Add a risk", empty_text="No risks named yet.",
                       summary=_risk_summary).widget,
            heading("Risk map"),
            self.map,
        ]

    def refresh(self) -> None:
        super().refresh()
        if self.session.deal is not None and hasattr(self, "map"):
            svg = risk_map(self.session.deal, self.session.coach.settings.risks)
            if svg != self._last_map:
                self.map.value = self._last_map = svg
