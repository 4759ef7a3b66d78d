"""The customer's page: the change story as the buying group reads it, to share with them.

Mutual-plan tools share a plan; this page shares the problem in the customer's words, their
metrics, the cost of inaction with every assumption (so they can argue it), their options
(doing nothing among them), their terms, the risks the seller chose to share, and the mutual
plan. It speaks to the buyer ("you", "we"), never in coaching terms, and it is made only from
:func:`coachkit.model.sharing.for_customer`: the internal parts of a deal (the stakeholder
map, disagreements, confidence, fit, findings, scores) are not even there to show. Empty
parts are left out rather than marked "not yet filled": the page is for the customer.

``templates/customer_page.ipynb`` shows the sections (``coachkit report ID --for customer``,
the ``customer`` kind of :mod:`coachkit.reports.kinds`); the app's preview and download build
the same page from the same sections, without a kernel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from coachkit.coaching.rulebook import do_nothing_phrases
from coachkit.coaching.settings import Settings, load_settings
from coachkit.model import DO_NOTHING, Deal, Milestone, Period, Risk
from coachkit.model.sharing import for_customer
from coachkit.model.vocabulary import field_title, value_words
from coachkit.reports.kinds import whose_change
from coachkit.reports.markup import Safe, day, el, money, number, pill, section, table, text
from coachkit.reports.reading import Dates, find_version, read_deal
from coachkit.reports.sections import Sections
from coachkit.store import Store

LABELS: dict[tuple[str, ...], str] = {
    ("problem", "glossary", "customer_term"): "Your term",
    ("plan", "customer_owner"): "Your owner",
}
"""Where the model's title speaks of the customer in the third person, the page says "you";
every other label is the model's own (:func:`~coachkit.model.vocabulary.field_title`)."""

STORY = (("current_state", "future_state", "root_cause", "business_impact"),
         ("why_change", "why_now"))
"""The problem's fields on the page: where they are and want to be; why change, why now."""


PARTS = ("problem", "why", "metrics", "cost", "options", "glossary", "risks", "plan")
"""The page's sections after its header, in order (:class:`CustomerPage` methods)."""


def label(*path: str) -> str:
    return LABELS.get(path) or field_title(path)


@dataclass(frozen=True)
class CustomerPage(Sections):
    """One deal as its buying group may see it (see :mod:`coachkit.model.sharing`)."""

    SECTIONS = ("header", *PARTS, "nothing_yet")

    deal: Deal
    """Only what the customer may see: internal fields at their defaults."""
    updated: dt.datetime | None
    do_nothing: tuple[str, ...]
    """What counts as doing nothing among the alternatives (the team's settings)."""

    @classmethod
    def of(cls, deal: Deal, updated: dt.datetime | None = None, *,
           settings: Settings | None = None) -> CustomerPage:
        return cls(for_customer(deal), updated,
                   tuple(do_nothing_phrases(settings or load_settings())))

    @classmethod
    def load(cls, store: str, deal_id: str, *, as_of: str = "", settings: str = ""
             ) -> CustomerPage:
        """The deal as saved by ``as_of`` (default: the latest); a one-line error if not."""
        dates = Dates.of(as_of)
        with Store(store) as st:
            found = find_version(st, deal_id, dates.as_of)
        return cls.of(read_deal(found), found.saved_at, settings=load_settings(settings or None))

    @property
    def title(self) -> str:
        return page_title(self.deal)

    def nothing_yet(self) -> Safe:
        """A line for a page with nothing but its header (a deal just started)."""
        if any(getattr(self, name)() for name in PARTS):
            return Safe("")
        return el("p", "Nothing is written down yet: this page fills in as we work through "
                       "your change together.", class_="empty")

    # -- the sections ---------------------------------------------------------------------

    def header(self) -> Safe:
        info = self.deal.deal
        kicker = "Our shared view of the change" + (
            f" · updated {self.updated:%Y-%m-%d}" if self.updated else "")
        facts = [el("div", el("dt", "Prepared by"), el("dd", info.seller))
                 if info.seller.strip() else None]
        return el(
            "header",
            el("p", kicker, class_="kicker"),
            el("h1", info.customer or info.title or info.id),
            el("p", info.title, class_="subtitle") if info.customer and info.title else None,
            el("dl", facts, class_="facts") if any(facts) else None,
            el("p", "What we have heard from you so far: the problem as you see it, what it "
                    "costs to change nothing, your options and our plan to get there. Where "
                    "we have it wrong, tell us: it is your story.", class_="intro"),
            class_="ck-header",
        )

    def problem(self) -> Safe:
        p = self.deal.problem
        parts: list[Any] = []
        if p.statement.strip() and p.in_customer_words:
            title = "The problem, in your words"
            parts.append(el("blockquote", el("p", p.statement, class_="t"),
                            el("footer", "— ", p.statement_source)
                            if p.statement_source.strip() else None,
                            class_="customer-words"))
        elif p.statement.strip():
            title = "The problem, as we understand it"
            parts.append(el("blockquote", el("p", p.statement, class_="t"),
                            el("footer", "In our words so far: correct us where we have it "
                                         "wrong."), class_="customer-words"))
        else:
            title = "Where you are, and where you want to be"
        parts.append(self._story(STORY[0], "problem"))
        return section("problem", title, *parts) if any(parts) else Safe("")

    def why(self) -> Safe:
        info = self.deal.deal
        event = None
        if info.compelling_event.strip() or info.compelling_event_date:
            event = el("div", el("dt", label("deal", "compelling_event")), el(
                "dd", text(info.compelling_event, empty=""),
                el("div", label("deal", "compelling_event_date"), ": ",
                   day(info.compelling_event_date), class_="small")
                if info.compelling_event_date else None))
        story = self._story(STORY[1], "problem", extra=event)
        return section("why", "Why change, and why now", story) if story else Safe("")

    def _story(self, names: tuple[str, ...], where: str, extra: Safe | None = None) -> Safe:
        model = getattr(self.deal, where)
        rows = [el("div", el("dt", label(where, name)), el("dd", text(getattr(model, name))))
                for name in names if getattr(model, name).strip()]
        if extra:
            rows.append(extra)
        return el("dl", rows, class_="story") if rows else Safe("")

    def metrics(self) -> Safe:
        metrics = [m for m in self.deal.problem.metrics
                   if m.name.strip() or m.baseline is not None or m.target is not None]
        if not metrics:
            return Safe("")
        names = ("name", "baseline", "target", "unit")
        return section(
            "metrics", "How you will know it worked",
            table([label("problem", "metrics", n) for n in names],
                  [(text(m.name, empty=""), number(m.baseline), number(m.target), m.unit)
                   for m in metrics], class_="metrics", widths=("46%", "14%", "14%", "26%")),
            note="In your terms: where each measure is today, and where you want it.")

    def cost(self) -> Safe:
        coi = self.deal.problem.cost_of_inaction
        currency = self.deal.deal.currency
        if coi.amount is None and not coi.assumptions and not coi.notes.strip():
            return Safe("")
        parts: list[Any] = []
        if coi.money_amount() is not None:
            parts.append(el("p", el("strong", money(coi.per(Period.month), currency)),
                            " a month · ", el("strong", money(coi.per(Period.year), currency)),
                            " a year", class_="big"))
        elif coi.quantity():  # a count is shown as a count: no amount is invented
            parts.append(el("p", el("strong", coi.quantity()), class_="big"))
            parts.append(el("p", "We have not put a price on this yet: what does each one "
                            "cost you? Tell us, and we will work out the cost together.",
                            class_="small"))
        if coi.assumptions:
            names = ("name", "kind", "value", "unit")
            parts.append(table(
                [label("problem", "cost_of_inaction", "assumptions", n) for n in names],
                [(text(a.name, empty=""), value_words(a.kind), number(a.value), a.unit)
                 for a in coi.assumptions],
                class_="assumptions", widths=("45%", "12%", "13%", "30%")))
            computed = coi.computed_amount()
            if computed is not None:
                parts.append(el("p", "Multiplied together: ",
                                el("strong", money(computed, currency)),
                                f" a {coi.period.value}.", class_="small"))
        if coi.notes.strip():
            parts.append(el("p", el("strong", label("problem", "cost_of_inaction", "notes"),
                                    ": "), text(coi.notes), class_="small"))
        return section(
            "cost", "What changing nothing costs", *parts,
            note="Every figure here is an assumption you can challenge: tell us where one is "
                 "wrong and we will work the cost out again with you." if coi.assumptions
                 else None)

    def options(self) -> Safe:
        p = self.deal.problem
        options = [a for a in p.alternatives if a.strip()]
        if not options:
            return Safe("")
        if not p.mentions_do_nothing(self.do_nothing):
            options.append(DO_NOTHING)
        return section("options", "Your options",
                       el("ul", [el("li", a, class_="t") for a in options], class_="options"),
                       note="Doing nothing is always one of them, and it has a cost too.")

    def glossary(self) -> Safe:
        entries = [g for g in self.deal.problem.glossary
                   if g.customer_term.strip() or g.our_term.strip()]
        if not entries:
            return Safe("")
        names = ("customer_term", "our_term", "meaning")
        return section(
            "glossary", "Your words, our words",
            table([label("problem", "glossary", n) for n in names],
                  [(g.customer_term, g.our_term, text(g.meaning, empty="")) for g in entries],
                  class_="glossary", widths=("24%", "28%", "48%")),
            note="When we say the right-hand word, we mean yours.")

    def risks(self) -> Safe:
        risks = self.deal.risks  # only those the seller chose to share
        if not risks:
            return Safe("")
        names = ("description", "likelihood", "impact", "owner", "mitigation", "status")
        rows = [(el("div", text(r.description), el("div", _kind(r), class_="small")),
                 _of_five(r.likelihood), _of_five(r.impact), text(r.owner, empty=""),
                 text(r.mitigation, empty=""), _risk_status(r))
                for r in risks]
        return section(
            "risks", "Risks we see, and what we do about them",
            table([label("risks", n) for n in names], rows, class_="risks",
                  widths=("33%", "13%", "10%", "12%", "22%", "10%")),
            note="Every change is risky for somebody, and so is every alternative.")

    def plan(self) -> Safe:
        plan = self.deal.plan
        if not plan:
            return Safe("")
        names = ("milestone", "date", "customer_owner", "seller_owner")
        rows = [(text(m.milestone, empty=""), day(m.date),
                 text(m.customer_owner, empty="to be agreed"), text(m.seller_owner, empty=""),
                 _milestone_status(m)) for m in plan]
        confirmed = sum(m.confirmed for m in plan)
        done = sum(m.done for m in plan)
        return section(
            "plan", "Our mutual plan",
            table([*(label("plan", n) for n in names), "Status"], rows, class_="plan",
                  widths=("36%", "12%", "17%", "16%", "19%")),
            note=f"{confirmed} of {len(plan)} steps confirmed by you · {done} done.")


def _kind(r: Risk) -> str:
    """``Business risk if you choose: Do nothing · carried by Marte Lie``."""
    default = Risk.model_fields["applies_to"].default
    kind = f"{value_words(r.category).capitalize()} risk " + (
        f"of {default}" if r.applies_to.strip() in ("", default) else
        f"if you choose: {r.applies_to}")
    carried = f"{label('risks', 'carried_by').lower()} {r.carried_by}"
    return kind + (f" · {carried}" if r.carried_by.strip() else "")


def _of_five(score: int | None) -> str:
    return "" if score is None else f"{score} of 5"


def _risk_status(r: Risk) -> Safe:
    return pill(r.status.value, "neutral" if r.status.value == "open" else "ok")


def _milestone_status(m: Milestone) -> Safe:
    if m.done:
        return pill("done", "ok")
    if m.confirmed:
        return pill("confirmed", "ok")
    return pill("to be confirmed", "neutral")


def page_title(deal: Deal) -> str:
    """Whose change, and what: the page's heading (see :mod:`~coachkit.reports.kinds`)."""
    return whose_change(deal.deal.id, deal.deal)
