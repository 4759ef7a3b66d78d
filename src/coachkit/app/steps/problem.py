"""Step 2, Problem: what the customer is trying to solve, in their words and numbers."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as w

from coachkit.app.fields import Form, ListEditor, css_class, format_number, grid, heading, hint
from coachkit.app.session import Path
from coachkit.app.steps.base import Step
from coachkit.coaching.language import check
from coachkit.errors import CoachkitError
from coachkit.html import Markup, html
from coachkit.model import Deal, FactorKind, Period
from coachkit.model.vocabulary import STORY_FIELDS, field_hint, field_title


def _metric_row(f: Form, path: Path, i: int) -> w.Widget:
    return grid([f.text((*path, "name")), f.text((*path, "unit")),
                 f.number((*path, "baseline"), placeholder=field_hint((*path, "baseline"))),
                 f.number((*path, "target"))], columns=4)


def _assumption_row(f: Form, path: Path, i: int) -> w.Widget:
    return grid([f.text((*path, "name")), f.enum((*path, "kind")),
                 f.number((*path, "value")), f.text((*path, "unit"))], columns=4)


def _alternative_row(f: Form, path: Path, i: int) -> w.Widget:
    return f.text(path, "", placeholder="e.g. fix it with their own team")


def _glossary_row(f: Form, path: Path, i: int) -> w.Widget:
    return grid([f.text((*path, "customer_term")), f.text((*path, "our_term")),
                 f.text((*path, "meaning"))], columns=3)


class ProblemStep(Step):
    key = "problem"

    def build(self) -> list[w.Widget]:
        f = self.form
        self.language_nudge = css_class(w.HTML(), "ck-language")
        self.coi_result = css_class(w.HTML(), "ck-coi-result")
        self._last_nudge = ""
        self._last_coi = ""
        coi = ("problem", "cost_of_inaction")
        self.amount = f.number((*coi, "amount"), placeholder=field_hint((*coi, "amount")))
        self.assumptions = ListEditor(
            f, (*coi, "assumptions"), _assumption_row,
            lambda: {"name": "", "value": None, "unit": "", "kind": FactorKind.count.value},
            add_label="Add an assumption",
            empty_text="No assumptions yet: e.g. hours lost per month (a count) × cost per "
                       "hour (money).")
        return [
            hint("Write the problem the way the customer would say it to their own boss: "
                 "what hurts, for whom, in their numbers. Not what they should buy."),
            f.text(("problem", "statement"), area=True, rows=4),
            self.language_nudge,
            grid([f.flag(("problem", "in_customer_words")),
                  f.text(("problem", "statement_source"))]),
            grid([f.text(("problem", name), area=True) for name in STORY_FIELDS]),
            heading(field_title(("problem", "metrics"))),
            ListEditor(f, ("problem", "metrics"), _metric_row,
                       lambda: {"name": "", "baseline": None, "target": None, "unit": ""},
                       add_label="Add a metric",
                       empty_text="No metrics yet: how do they measure this today?").widget,
            heading(field_title(coi)),
            hint("What changing nothing costs them: the assumptions multiply to the amount, "
                 "so the customer can argue with each one. Say what each one is: money per "
                 "unit (EUR per hour), a count per period (hours per month) or a share (0.6); "
                 "only a money factor makes the product an amount of money."),
            self.assumptions.widget,
            grid([f.enum((*coi, "period"), field_hint((*coi, "period"))), self.amount]),
            self.coi_result,
            f.text((*coi, "notes"), area=True, rows=2),
            heading(field_title(("problem", "alternatives"))),
            ListEditor(f, ("problem", "alternatives"), _alternative_row, lambda: "",
                       add_label="Add an alternative",
                       empty_text="No alternatives: doing nothing is always one.").widget,
            heading(field_title(("problem", "glossary"))),
            ListEditor(f, ("problem", "glossary"), _glossary_row,
                       lambda: {"customer_term": "", "our_term": "", "meaning": ""},
                       add_label="Add a term",
                       empty_text="No terms yet: which words do they use differently?").widget,
        ]

    def refresh(self) -> None:
        super().refresh()
        deal = self.session.deal
        if deal is None or not hasattr(self, "language_nudge"):
            return
        self._sync_amount()
        nudge = self._nudge_html()
        if nudge != self._last_nudge:
            self.language_nudge.value = self._last_nudge = nudge
        coi = self._coi_html()
        if coi != self._last_coi:
            self.coi_result.value = self._last_coi = coi

    def _deal(self) -> Deal:
        deal = self.session.deal
        if deal is None:
            raise CoachkitError("No deal is open.")
        return deal

    def _sync_amount(self) -> None:
        """The assumptions, once all filled, decide the amount."""
        coi = self._deal().problem.cost_of_inaction
        computed = coi.computed_amount()
        if computed is not None and coi.amount != computed and computed >= 0:
            self.session.set(("problem", "cost_of_inaction", "amount"), computed)
            self.amount.input.value = format_number(computed)
        elif coi.assumptions and not coi.priced and coi.amount is not None:
            # no money among the factors: an amount left from before would be a made-up one
            self.session.set(("problem", "cost_of_inaction", "amount"), None)
            self.amount.input.value = ""

    def _nudge_html(self) -> Markup:
        statement = self._deal().problem.statement
        if not statement.strip():
            return Markup("")
        verdict = check(statement, self.session.coach.language)
        if verdict.is_product:
            return html("<div class='ck-nudge ck-warning'>This reads as something to buy "
                        "({}), not as what the customer is trying to achieve. What would be "
                        "different for them if they had it?</div>", _quoted(verdict.triggers[:4]))
        problem = self._deal().problem
        signals = _quoted(verdict.problem_signals[:3])
        if verdict.problem_signals and not problem.in_customer_words:
            # a problem, but ours: it is not "good" until the customer has said it this way
            return html("<div class='ck-nudge ck-info'>Names a problem ({}), but in our "
                        "words, not the customer's. How would they say it to their own boss? "
                        "Write it as they said it, then tick <em>{}</em> and say "
                        "whose words they are.</div>",
                        signals, field_title(("problem", "in_customer_words")))
        if verdict.problem_signals:
            return html("<div class='ck-nudge ck-good'>Reads as a customer problem ({}).</div>",
                        signals)
        return html("<div class='ck-nudge ck-info'>Add what it costs them, whom it hurts or "
                    "how they measure it.</div>")

    def _coi_html(self) -> Markup:
        deal = self._deal()
        coi = deal.problem.cost_of_inaction
        if coi.money_amount() is None:
            quantity = (html("The assumptions give <b>{}</b>, not an amount of money. ",
                             coi.quantity()) if coi.quantity() else "")
            missing = coi.missing()
            return html("<div class='ck-coi ck-coi-missing'>{}No cost of inaction yet{}</div>",
                        quantity, f": missing {missing}." if missing else ".")
        cur = deal.deal.currency
        month, year = coi.per(Period.month), coi.per(Period.year)
        return html("<div class='ck-coi'>Changing nothing costs them <b>{} {} per month</b> · "
                    "<b>{} {} per year</b>.</div>",
                    format_number(month), cur, format_number(year), cur)


def _quoted(words: Sequence[str]) -> str:
    """‘a’, ‘b’: the words a nudge points at."""
    return ", ".join(f"‘{t}’" for t in words)
