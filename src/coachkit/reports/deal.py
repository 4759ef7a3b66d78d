"""The deal report: one deal's change story as a manager reads it in a deal review.

``templates/deal_report.ipynb`` loads a :class:`DealReport` from the store and shows its
sections, in the order of :attr:`DealReport.SECTIONS`. Every section says "not yet filled"
where the deal is still empty; none of them raises on a partly filled deal. This module
never imports pandas or matplotlib: the deal report kernel stays lean (the maps are hand-made
SVG from :mod:`coachkit.views.maps`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coachkit.clock import When, parse_when
from coachkit.coaching.coach import Coach, Coaching
from coachkit.coaching.dismissals import Dismissed
from coachkit.coaching.scores import Score
from coachkit.coaching.settings import Settings, load_settings
from coachkit.coaching.wording import blank as unwritten
from coachkit.coaching.wording import hollow
from coachkit.model import (
    DIMENSION_WORDS,
    DIMENSIONS,
    Deal,
    Disagreement,
    Milestone,
    Period,
    Risk,
    RiskStatus,
)
from coachkit.model.deal import SCORES, score_share
from coachkit.model.review import ActionState, Review
from coachkit.model.vocabulary import field_title, value_words
from coachkit.reports.changes import Changes, change_words, changes_html, compare, field_words
from coachkit.reports.health import Point, chart, daily
from coachkit.reports.markup import (
    NOT_FILLED,
    Safe,
    blank,
    day,
    el,
    money,
    number,
    pill,
    section,
    table,
    text,
)
from coachkit.reports.reading import (
    Baseline,
    Dates,
    default_since,
    find_baseline,
    find_version,
    read_deal,
    review_baseline,
    reviews_by,
)
from coachkit.reports.sections import Sections
from coachkit.store import Store, VersionInfo
from coachkit.views.maps import risk_map, role_label, stakeholder_map

STORY_FIELDS = ("current_state", "future_state", "root_cause", "business_impact",
                "personal_impact", "why_change", "why_now")
"""The problem's fields shown as the change story, in order."""
FRONT_QUESTIONS = 3
"""Questions on the report's first screen (the others stay with their findings)."""
FRONT_CHANGES = 6
"""Changes (and open actions) listed on the first screen; the rest are further down."""
PERSON_FIELDS = ("business_goal", "personal_goal", "view_of_problem", "concerns")
"""What the report says of each person beyond the table."""


@dataclass(frozen=True)
class DealReport(Sections):
    """A deal as saved on the report's day, coached, with what changed since."""

    SECTIONS = ("header", "verdict", "change_story", "cost_and_metrics", "findings", "scores",
                "stakeholders", "disagreements", "risks", "confidence", "plan",
                "changes_since", "health")

    found: VersionInfo
    deal: Deal
    coaching: Coaching
    today: dt.date
    as_of: When | None
    baseline: Baseline
    changes: Changes | None
    settings: Settings
    reviews: tuple[Review, ...] = ()
    health_points: tuple[Point, ...] = ()

    @classmethod
    def load(cls, store: str, deal_id: str, *, as_of: str = "", since: str = "",
             today: str = "", settings: str = "") -> DealReport:
        """Read the deal (as of ``as_of``), coach it on ``today`` (default: the as-of day),
        compare with ``since`` (default: the version the last review looked at, else
        ``reports.since_days`` earlier). Raises a one-line error."""
        dates = Dates.of(as_of, today)
        coach = Coach(load_settings(settings or None))
        since_when = parse_when(since, "since")
        with Store(store) as st:
            found = find_version(st, deal_id, dates.as_of)
            deal = read_deal(found)
            reviews = reviews_by(st, deal_id, dates.as_of)
            if since_when is None and reviews:
                baseline = review_baseline(st, found, reviews[-1])
            else:
                baseline = find_baseline(st, found, since_when or default_since(
                    dates.as_of, dates.today, coach.settings.reports.since_days))
            versions = [v for v in st.history(deal_id) if v.version <= found.version]
        coaching = coach.run(deal, dates.today, reviews)
        changes = compare(baseline, found, deal, coaching, coach, reviews)
        return cls(found, deal, coaching, dates.today, dates.as_of, baseline, changes,
                   coach.settings, reviews, tuple(daily(versions, coach.settings)))

    @classmethod
    def of(cls, deal: Deal, today: dt.date, *, coach: Coach | None = None,
           author: str = "") -> DealReport:
        """A report of a deal that is not in a store (one version, nothing to compare)."""
        coach = coach or Coach()
        found = VersionInfo(deal.id, 1, dt.datetime.combine(today, dt.time()), author,
                            deal.model_dump_json())
        baseline = Baseline(found, deal, default_since(None, today,
                                                       coach.settings.reports.since_days),
                            created_after=True)
        coaching = coach.run(deal, today)
        return cls(found, deal, coaching, today, None, baseline,
                   compare(baseline, found, deal, coaching, coach), coach.settings)

    # -- header ------------------------------------------------------------------------------

    def header(self) -> Safe:
        info, found = self.deal.deal, self.found
        counts = self.coaching.counts()
        scores = self.coaching.scores

        def fact(label: str, value: object) -> Safe:
            shown = value if value not in (None, "") else el("span", NOT_FILLED, class_="empty")
            return el("div", el("dt", label), el("dd", shown))

        def about(name: str, value: object) -> Safe:
            return fact(field_title(("deal", name)), value)

        training = self.deal.training
        facts = [
            about("stage", value_words(info.stage)),
            about("value", money(info.value, info.currency)),
            about("close_date", day(info.close_date)),
            about("seller", info.seller),
            about("team", info.team),
            fact("Last saved", f"version {found.version}, {day(found.saved_at)} by {found.author}"),
            about("compelling_event", text(info.compelling_event, empty="")
                  if info.compelling_event.strip() else None),
            about("compelling_event_date", day(info.compelling_event_date)),
        ]
        if any(v.strip() for v in (training.scenario, training.participant, training.cohort)):
            facts.append(fact(field_title(("training",)), " · ".join(
                v for v in (training.scenario, training.participant, training.cohort) if v)))
        overdue = sum(self._overdue(a) for _, a in self.open_actions())
        badges = [
            pill(f"{overdue} overdue action{'s' if overdue > 1 else ''}", "critical")
            if overdue else None,
            pill(f"{counts['critical']} critical", "critical" if counts["critical"] else "ok"),
            pill(f"{counts['warning']} warnings", "warning" if counts["warning"] else "ok"),
            pill(f"decision confidence {_score_text(scores['confidence'])}", "neutral"),
            pill(f"consensus {_score_text(scores['consensus'])}", "neutral"),
            pill(f"completeness {_score_text(scores['completeness'])}", "neutral"),
        ]
        as_of = Dates(self.as_of, self.today).shown()
        app = app_link(info.id)
        return el(
            "header",
            el("p", f"Deal report · {info.id} · {as_of}", class_="kicker"),
            el("p", el("a", "Open this deal in the app", href=app), class_="app-link")
            if app else None,
            el("h1", info.customer or el("span", "customer not yet filled", class_="empty")),
            el("p", info.title or el("span", "title not yet filled", class_="empty"),
               class_="subtitle"),
            el("dl", facts, class_="facts"),
            el("p", badges, class_="badges"),
            class_="ck-header",
        )

    def verdict(self) -> Safe:
        """The review on one screen: the verdict and the findings that decide it, what needs
        the manager, what changed since the last review, the questions for the next call.
        The top of the report, what a manager reads first (and the PDF's first page)."""
        v = self.coaching.verdict
        doc = self.changes.after if self.changes else self.deal.to_json_dict()
        because = (el("ol", [el("li", f.message, " ", el("span", field_words(f.field, doc),
                                                          class_="where") if f.field else None)
                             for f in v.because], class_="because") if v.because else None)
        shown = self.coaching.questions[:FRONT_QUESTIONS]
        more = len(self.coaching.questions) - len(shown)
        questions = (el("ol", [el("li", q.text) for q in shown], class_="questions")
                     if shown else blank("No question: nothing stands in the way."))
        return section(
            "verdict", f"Verdict: {v.label}",
            el("p", v.meaning, class_=f"verdict-meaning verdict-{v.key}"), because,
            el("div", el("div", el("h3", "What needs you"), self.needs_you(),
                          class_="front-part"),
               el("div", el("h3", self._changed_title()), self.changed_brief(),
                  class_="front-part"), class_="front-cols"),
            el("h3", "Questions for the next call" if len(shown) != FRONT_QUESTIONS
               else f"The {len(shown)} questions to ask"), questions,
            el("p", f"{more} more question{'s' if more > 1 else ''} with the findings below.",
               class_="small") if more > 0 else None,
            el("p", "The whole change story follows.", class_="small next"))

    def open_actions(self) -> list[tuple[Review, ActionState]]:
        """The reviews' actions not done yet, overdue first, then by due date."""
        found = [(r, a) for r in self.reviews for a in r.action_states() if not a.done]
        return sorted(found, key=lambda ra: (not self._overdue(ra[1]),
                                             ra[1].due or dt.date.max, ra[0].number))

    def _overdue(self, a: ActionState) -> bool:
        return a.due is not None and a.due < self.today and not a.done

    def needs_you(self) -> Safe:
        """Open and overdue actions of every review, and the seller's answers to the last."""
        if not self.reviews:
            return blank("No review recorded yet: nothing waits for you.")
        items = []
        actions = self.open_actions()
        for review, a in actions[:FRONT_CHANGES]:
            state = (pill(f"overdue since {day(a.due)}", "critical") if self._overdue(a)
                     else pill(f"due {day(a.due)}" if a.due else "open, no date", "warning"))
            items.append(el("li", state, " ", el("span", a.text, class_="t"),
                            el("span", f" (review {review.number})", class_="small")))
        if len(actions) > FRONT_CHANGES:
            items.append(el("li", el("a", f"and {len(actions) - FRONT_CHANGES} more open "
                                          "actions", href="#changes"), class_="small"))
        last = self.reviews[-1]
        for e in last.answers():
            items.append(el("li", pill("answered", "info"), " ", el("strong", e.by),
                            f", {day(e.at.date())}"
                            + (f", about {e.about}" if e.about else "") + ": ",
                            el("span", e.text, class_="t")))
        done = [a for a in last.action_states() if a.done]
        if done:
            items.append(el("li", pill(f"{len(done)} done", "ok"), " of the "
                            f"{len(last.actions)} actions of review {last.number}."))
        if not items:
            return blank(f"Nothing open: review {last.number} has no open action and no "
                         "answer yet.")
        return el("ul", items, class_="needs-you")

    def _changed_title(self) -> str:
        review = self.baseline.review
        return (f"What changed since the last review ({day(review.at)})" if review
                else f"What changed since {day(self.baseline.since)}")

    def changed_brief(self, most: int = FRONT_CHANGES) -> Safe:
        """The changes since the last review as sentences, the most telling first; the full
        comparison is the section "What changed" further down."""
        c = self.changes
        if c is None:
            return blank("Cannot compare: "
                         f"{self.baseline.problem or 'no earlier version'}.")
        lines = [change_words(path, c.before, c.after) for path in c.fields]
        items = [el("li", line, class_="t") for line in lines[:most]]
        if len(lines) > most:
            items.append(el("li", el("a", f"and {len(lines) - most} more changes",
                                     href="#changes"), class_="small"))
        findings = []
        if c.appeared:
            findings.append(f"{len(c.appeared)} new finding{'s' if len(c.appeared) > 1 else ''}")
        if c.resolved:
            findings.append(f"{len(c.resolved)} finding{'s' if len(c.resolved) > 1 else ''} "
                            "resolved")
        return el("div", el("ul", items, class_="changed") if items
                  else blank("No field changed."),
                  el("p", " · ".join(findings), class_="small") if findings else None)

    # -- the change story --------------------------------------------------------------------

    def change_story(self) -> Safe:
        p = self.deal.problem
        if p.in_customer_words and p.statement.strip():
            statement = el("blockquote", el("p", p.statement, class_="t"),
                           el("footer", "— ", p.statement_source or "source not yet filled"),
                           class_="customer-words")
        elif p.statement.strip():
            statement = el("div", pill("not in the customer's words", "warning"),
                           el("p", p.statement, class_="t"),
                           el("p", "Source: ", text(p.statement_source), class_="small"),
                           class_="seller-words")
        else:
            statement = blank("The problem: " + NOT_FILLED)
        story = el("dl", [el("div", el("dt", field_title(("problem", name))),
                                 el("dd", text(getattr(p, name))))
                          for name in STORY_FIELDS], class_="story")
        alternatives = (el("ul", [el("li", a, class_="t") for a in p.alternatives])
                        if p.alternatives else blank())
        glossary = (table(("their term", "our term", "meaning"),
                          [(g.customer_term, g.our_term, text(g.meaning, empty=""))
                           for g in p.glossary], class_="glossary",
                          widths=("22%", "28%", "50%"))
                    if p.glossary else blank())
        evidence = (table(("quote", "source", "date", "about", "checked"),
                          [(text(e.quote), e.source, day(e.date),
                            field_words(f"problem.{e.field}", {}) if e.field else "",
                            pill("verified", "ok") if e.verified else pill("assumed", "warning"))
                           for e in p.evidence], class_="evidence",
                          widths=("40%", "19%", "13%", "16%", "12%"))
                    if p.evidence else blank())
        return section(
            "story", "The change story", statement, story,
            el("h3", field_title(("problem", "alternatives"))), alternatives,
            el("h3", field_title(("problem", "glossary"))), glossary,
            el("h3", field_title(("problem", "evidence"))), evidence,
        )

    def cost_and_metrics(self) -> Safe:
        p = self.deal.problem
        coi = p.cost_of_inaction
        currency = self.deal.deal.currency
        parts: list[object] = [el("h3", field_title(("problem", "cost_of_inaction")))]
        if coi.amount is None and not coi.assumptions and not coi.notes.strip():
            parts.append(blank())
        else:
            if coi.money_amount() is not None:
                parts.append(el("p", el("strong", money(coi.per(Period.month), currency)),
                                " per month · ",
                                el("strong", money(coi.per(Period.year), currency)),
                                " per year", class_="big"))
            elif coi.quantity():  # a count, never shown as money
                parts.append(el("p", el("strong", coi.quantity()), ": no amount of money yet; "
                                "missing: ", coi.missing(), ".", class_="missing"))
            else:
                parts.append(blank("Amount: " + NOT_FILLED))
            if coi.assumptions:
                computed = coi.computed_amount()
                parts.append(table(("assumption", "what it is", "value", "unit"),
                                   [(a.name, value_words(a.kind), number(a.value), a.unit)
                                    for a in coi.assumptions], class_="assumptions",
                                   widths=("45%", "12%", "13%", "30%")))
                if computed is not None:
                    parts.append(el("p", "The assumptions multiply to ",
                                    el("strong", money(computed, currency)),
                                    f" per {coi.period.value}.", class_="small"))
                elif coi.missing():
                    parts.append(el("p", "The assumptions give no amount yet: missing ",
                                    coi.missing(), ".", class_="small"))
            if coi.notes.strip():
                parts.append(el("p", "Notes: ", text(coi.notes), class_="small"))
        parts.append(el("h3", "Metrics, in the customer's terms"))
        if p.metrics:
            parts.append(table(("metric", "baseline", "target", "unit"),
                               [(text(m.name), number(m.baseline), number(m.target), m.unit)
                                for m in p.metrics], class_="metrics",
                               widths=("46%", "14%", "14%", "26%")))
        else:
            parts.append(blank())
        return section("cost", "Cost of inaction and metrics", *parts)

    # -- coaching ----------------------------------------------------------------------------

    def findings(self) -> Safe:
        groups = self.coaching.groups()
        if not groups:
            closed = self.deal.deal.stage.value.startswith("closed")
            return section("findings", "Findings", blank(
                "No findings: closed deals are not coached." if closed else
                "No findings: every rule for this stage is satisfied."))
        body = []
        doc = self.deal.to_json_dict()
        for severity, found, standing in groups:
            body.append(el("h3", f"{severity.value.capitalize()} ({standing})",
                           class_=f"sev {severity.value}"))
            body.append(el("ol", [el(
                "li",
                el("p", f.message, class_="msg"),
                el("p", el("span", "Ask: ", class_="ask-label"), f.question, class_="ask"),
                _dismissed_note(d) if (d := self.coaching.dismissal(f)) else None,
                el("p", field_words(f.field, doc), class_="where")
                if f.field else None,
                class_=f"finding {severity.value}" + (" dismissed" if d else ""),
            ) for f in found], class_="findings"))
        return section("findings", "Findings", *body,
                       note="Most severe first; each with the question to ask the customer. "
                            "The questions for the next call are under the verdict.")

    def scores(self) -> Safe:
        cards = []
        for score in self.coaching.scores.values():
            cards.append(el("div", el("h3", score.name.capitalize(), " ",
                                      el("span", _score_text(score), class_="score")),
                            _parts_table(score), class_="score-card"))
        sections = table(("section", "complete", ""), [
            (s.name, f"{s.value:.0f}%" if s.known else "not measured",
             _bar(s.value / 100, "bar-section"))
            for s in self.coaching.sections.values()], class_="sections",
            widths=("30%", "15%", "55%"))
        return section("scores", "Scores", el("div", cards, class_="score-cards"),
                       el("h3", "Completeness by section"), sections,
                       note="Each score is the sum of its parts, shown beside it.")

    # -- the buying group --------------------------------------------------------------------

    def stakeholders(self) -> Safe:
        people = self.deal.stakeholders
        if not people:
            return section("stakeholders", "Stakeholder map", blank())
        rows = [(el("div", el("strong", s.name), el("br"), text(s.title, empty=""),
                    class_="small"),
                 role_label(s.role), _n(s.influence), _stance(s.stance), _n(s.trust),
                 "active" if s.active else pill("drops in", "warning"),
                 day(s.last_contact) or el("span", "never", class_="empty"))
                for s in people]
        details = []
        for s in people:
            parts = [(field_title(("stakeholders", 0, name)), getattr(s, name))
                     for name in PERSON_FIELDS if getattr(s, name).strip()]
            details.append(el("div", el("h4", s.name), el("dl", [
                el("div", el("dt", k), el("dd", text(v))) for k, v in parts])
                if parts else blank("Goals, view and concerns: " + NOT_FILLED),
                class_="person"))
        return section(
            "stakeholders", "Stakeholder map",
            el("div", Safe(stakeholder_map(self.deal)), class_="figure"),
            table(("person", "role", "influence", "stance", "trust", "in the decision",
                   "last contact"), rows, class_="people",
                  widths=("28%", "15%", "12%", "9%", "8%", "14%", "14%")),
            el("div", details, class_="people-details"),
        )

    def disagreements(self) -> Safe:
        items = self.deal.disagreements
        if not items:
            return section("disagreements", "Disagreements",
                           blank(f"{NOT_FILLED}: no disagreement recorded"))
        cfg = self.settings
        names = list(dict.fromkeys(n for d in items for n in d.between))
        grid: dict[tuple[str, str], list[tuple[int, Disagreement]]] = {}
        for number_, d in enumerate(items, 1):
            for a in d.between:
                for b in d.between:
                    if a != b:
                        grid.setdefault((a, b), []).append((number_, d))

        def cell(a: str, b: str) -> Safe:
            if a == b:
                return el("td", "", class_="self")
            found = grid.get((a, b), [])
            if not found:
                return el("td", "")
            open_ = [d for _, d in found if not d.resolved]
            worst = max(((d.severity or cfg.scores.assumed_rating) for d in open_),
                        default=0)
            label = ", ".join(f"D{n}" for n, _ in found)
            kind = "resolved" if not open_ else (
                "sev-high" if worst >= cfg.disagreements.high_severity else "sev-low")
            return el("td", label, class_=kind)

        matrix = el("table", el("thead", el("tr", el("th", ""), [el("th", n) for n in names])),
                    el("tbody", [el("tr", el("th", n), [cell(n, m) for m in names])
                                 for n in names]), class_="grid")
        rows = [(f"D{i}", " · ".join(d.between), text(d.about), _n(d.severity),
                 text(d.resolution_plan, empty="no plan"), _disagreement_state(d))
                for i, d in enumerate(items, 1)]
        return section(
            "disagreements", "Disagreements", matrix,
            el("p", "Cells name the disagreements between two people: red when open and severe "
               f"({cfg.disagreements.high_severity}-5), amber when open, grey when resolved.",
               class_="small"),
            table(("", "between", "about", "severity", "plan to resolve", "status"), rows,
                  class_="disagreements", widths=("5%", "18%", "32%", "11%", "24%", "10%")),
        )

    def risks(self) -> Safe:
        risks = self.deal.risks
        if not risks:
            return section("risks", "Risk map", blank())
        rows = [(str(i),
                 el("div", text(r.description), el("div", value_words(r.category), " risk of ",
                                                    r.applies_to or "the change",
                                                    class_="small")),
                 _exposure(r), text(r.carried_by, empty=""), text(r.owner, empty="nobody"),
                 _mitigation(r, self.settings),
                 _risk_state(r, self.settings.risks.high_exposure))
                for i, r in enumerate(risks, 1)]
        return section(
            "risks", "Risk map",
            el("div", Safe(risk_map(self.deal, self.settings.risks)), class_="figure"),
            table(("", "risk", "L × I", "carried by", "owner", "mitigation", "status"), rows,
                  class_="risks", widths=("4%", "34%", "10%", "12%", "12%", "19%", "9%")),
            note="Each risk is its number on the map: likelihood across, impact up.",
        )

    def confidence(self) -> Safe:
        c = self.deal.confidence
        customer, seller = c.customer.scores(), c.seller.scores()
        evidence = c.evidence.model_dump()
        if all(v is None for v in (*customer.values(), *seller.values())) and not any(
                v.strip() for v in evidence.values()):
            body: list[object] = [blank()]
        else:
            rows = []
            for dim in DIMENSIONS:
                a, b = customer[dim], seller[dim]
                diff = None if a is None or b is None else b - a
                gap = "" if diff is None else f"{diff:+d}"
                rows.append((DIMENSION_WORDS[dim], _level(a, "customer"), _level(b, "seller"),
                             el("span", gap, class_="gap-big") if diff and diff > 1 else gap,
                             text(evidence[dim], empty="no evidence")))
            body = [table(("the customer is sure about", "customer", "our view", "gap",
                           "evidence"), rows, class_="confidence",
                          widths=("24%", "17%", "17%", "6%", "36%"))]
        body.append(el("dl", [
            el("div", el("dt", field_title(("confidence", "decision_process"))),
               el("dd", text(c.decision_process))),
            el("div", el("dt", field_title(("confidence", "paper_process"))),
               el("dd", text(c.paper_process))),
        ], class_="story"))
        return section("confidence", "Decision confidence: customer vs seller", *body,
                       note=f"Decision confidence index "
                            f"{_score_text(self.coaching.scores['confidence'])} "
                            "(the customer's side).")

    # -- the plan ----------------------------------------------------------------------------

    def plan(self) -> Safe:
        plan = self.deal.plan
        fit = self.deal.fit
        fit_html = el("div", el("h3", field_title(("fit", "good_for_customer"))), el(
            "p", pill(fit.good_for_customer.value, {"yes": "ok", "unsure": "warning",
                                                   "no": "critical"}[fit.good_for_customer.value])
            if fit.good_for_customer else el("span", NOT_FILLED, class_="empty"), " ",
            text(fit.reason, empty="")))
        if not plan:
            return section("plan", "Mutual plan", blank(), fit_html)
        confirmed = sum(m.confirmed for m in plan)
        done = sum(m.done for m in plan)
        overdue = sum(1 for m in plan if m.date and m.date < self.today and not m.done)
        rows = [(text(m.milestone), day(m.date), text(m.customer_owner, empty="nobody"),
                 text(m.seller_owner, empty=""),
                 pill("confirmed", "ok") if m.confirmed else pill("not confirmed", "warning"),
                 self._milestone_state(m))
                for m in plan]
        return section(
            "plan", "Mutual plan",
            table(("milestone", "date", "customer owner", "our owner", "customer", "status"),
                  rows, class_="plan", widths=("34%", "12%", "17%", "13%", "13%", "11%")),
            fit_html,
            note=f"{confirmed} of {len(plan)} milestones confirmed by the customer · {done} done"
                 f" · {overdue} overdue",
        )

    def _milestone_state(self, m: Milestone) -> Safe:
        if m.done:
            return pill("done", "ok")
        when = m.date
        if when is None:
            return pill("no date", "warning")
        if when < self.today:
            return pill("overdue", "critical")
        return pill("upcoming", "neutral")

    def changes_since(self) -> Safe:
        return changes_html(self.changes, self.baseline, self.found, self.today)

    def health(self) -> Safe:
        """Completeness, decision confidence and consensus across the saved versions."""
        points = self.health_points
        if len(points) < 2:
            return section("health", "Deal health over time", blank(
                "One day of history so far: the lines start with the next day's changes."))
        first, last = points[0], points[-1]

        def move(name: str) -> str:
            a, b = getattr(first, name), getattr(last, name)
            return "not known" if b is None else (
                f"{b:.0f}" if a is None else f"{a:.0f} → {b:.0f}")

        return section(
            "health", "Deal health over time",
            el("div", Safe(chart(points)), class_="figure"),
            note=f"One point a day, {len(points)} days with saves from "
                 f"{first.day.isoformat()}: completeness {move('completeness')}, decision "
                 f"confidence {move('confidence')}, consensus {move('consensus')}.")


# -- small pieces ----------------------------------------------------------------------------


def app_link(deal_id: str) -> str:
    """The link to the deal in the app of whoever reads the report, or "" off the hub
    (the team server's renderings say where the app is)."""
    import os
    from urllib.parse import quote

    from coachkit.hub.rendering import APP_LINK_VAR

    base = os.environ.get(APP_LINK_VAR, "")
    return f"{base}?deal_id={quote(deal_id)}" if base else ""


def _dismissed_note(d: Dismissed) -> Safe:
    return el("p", pill("dismissed", "neutral"), f" in review {d.review} by {d.by}: ",
              el("span", d.reason, class_="t"), class_="dismissal")


def _score_text(score: Score) -> str:
    return f"{score.value:.0f}/100" if score.known else "unknown"


def _parts_table(score: Score) -> Safe:
    return table(("part", "points", "note"), [
        (value_words(p.name), f"{p.points:.0f} of {p.max_points:.0f}", p.note)
        for p in score.parts],
        class_="parts", widths=("45%", "20%", "35%"))


def _bar(fraction: float, kind: str) -> Safe:
    width = max(0.0, min(1.0, fraction)) * 100
    return el("div", el("div", "", class_=f"fill {kind}", style=f"width:{width:.0f}%"),
              class_="bar")


def _level(value: int | None, kind: str) -> Safe:
    if value is None:
        return el("span", "not assessed", class_="empty")
    return el("div", _bar(score_share(value) if value > SCORES[0] else 0.04, f"bar-{kind}"),
              el("span", f"{value} of {SCORES[-1]}", class_="small"))


def _exposure(r: Risk) -> str:
    if r.likelihood is None or r.impact is None:
        return "not rated"
    return f"{r.likelihood} × {r.impact} = {r.exposure}"


def _mitigation(r: Risk, settings: Settings) -> Safe:
    """The mitigation as written; a placeholder ("tbd", "monitor") is said to be none."""
    if unwritten(r.mitigation) or not hollow(r.mitigation, settings):
        return text(r.mitigation, empty="none")
    return el("div", text(r.mitigation),
              el("div", "a placeholder: no mitigation", class_="small placeholder"))


def _risk_state(r: Risk, high_exposure: int) -> Safe:
    if r.status != RiskStatus.open:
        return pill(r.status.value, "ok")
    return pill("open", "critical" if (r.exposure or 0) >= high_exposure else "warning")


def _disagreement_state(d: Disagreement) -> Safe:
    if d.resolved:
        return pill("resolved", "ok")
    return pill("open", "warning" if d.resolution_plan.strip() else "critical")


def _n(value: int | None) -> str:
    return "" if value is None else str(value)


def _stance(value: int | None) -> Safe | str:
    if value is None:
        return ""
    kind = "pos" if value > 0 else ("neg" if value < 0 else "")
    return el("span", f"{value:+d}", class_=kind or None)


__all__ = ["DealReport"]
