"""Step 5, Decision confidence: how sure the customer is, our view beside it, the mutual
plan, and whether buying is good for them at all."""

from __future__ import annotations

import ipywidgets as w

from coachkit.app.fields import Form, ListEditor, css_class, grid, heading, hint
from coachkit.app.session import Path
from coachkit.app.steps.base import Step
from coachkit.html import html
from coachkit.model import DIMENSION_WORDS, DIMENSIONS, FitAnswer
from coachkit.model.vocabulary import field_title


def _milestone_row(f: Form, path: Path, i: int) -> w.Widget:
    return grid([f.text((*path, "milestone")), f.date((*path, "date")),
                 f.text((*path, "customer_owner")), f.text((*path, "seller_owner")),
                 f.flag((*path, "confirmed")), f.flag((*path, "done"))], columns=2)


def _milestone_summary(m: dict) -> str:
    state = "done" if m.get("done") else ("confirmed" if m.get("confirmed") else "not confirmed")
    owner = m.get("customer_owner") or "no customer owner"
    return f"{m.get('date') or 'no date'} · {m.get('milestone') or '(unnamed)'} — {owner}, {state}"


FIT = [("not judged", None)] + [(a.value, a.value) for a in FitAnswer]


class ConfidenceStep(Step):
    key = "confidence"

    def build(self) -> list[w.Widget]:
        f = self.form
        header = css_class(w.HTML(
            "<div class='ck-conf-head'><span>How sure are they about…</span>"
            "<span>Customer</span><span>Us</span><span>Evidence for the customer's view"
            "</span></div>"), "ck-conf-row")
        rows = [header]
        for dim in DIMENSIONS:
            rows.append(css_class(w.HBox([
                css_class(w.HTML(html("<span>{}</span>", DIMENSION_WORDS[dim])), "ck-dim"),
                f.score(("confidence", "customer", dim), "", width="120px"),
                f.score(("confidence", "seller", dim), "", width="120px"),
                f.text(("confidence", "evidence", dim), "", width="100%",
                       placeholder="what they said or did that shows it"),
            ]), "ck-conf-row", f"ck-dim-{dim}"))
        return [
            hint("Customers buy when they are sure they understand the problem, the solution, "
                 "the risks and what it means for them, and when the group agrees. Rate it "
                 "from their side (1 unsure … 5 sure); put our own view beside it."),
            *rows,
            grid([f.text(("confidence", "decision_process"), area=True),
                  f.text(("confidence", "paper_process"), area=True)]),
            heading(field_title(("plan",))),
            ListEditor(f, ("plan",), _milestone_row,
                       lambda: {"milestone": "", "customer_owner": "", "seller_owner": ""},
                       add_label="Add a milestone",
                       empty_text="No mutual plan yet: what has to happen on their side?",
                       summary=_milestone_summary).widget,
            heading(field_title(("fit",))),
            grid([f.choice(("fit", "good_for_customer"), None, FIT),
                  f.text(("fit", "reason"), area=True, rows=2)]),
        ]
