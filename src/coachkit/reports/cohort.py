"""The cohort report: a workshop's workbooks side by side, for the trainer's debrief.

Per participant: how complete, what coaching found, whether the problem fell into product
talk, which people and disagreements of the scenario's reference answer they found, and the
customer's decision confidence as they judged it. Then the problem statements side by side and
the group's most common gaps, each with the question a coach would ask.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from coachkit.clock import When
from coachkit.coaching.coach import Coach, Coaching
from coachkit.coaching.registry import Finding, registry
from coachkit.coaching.settings import load_settings
from coachkit.errors import CoachkitError, NotFound
from coachkit.model import Deal
from coachkit.model.vocabulary import value_words
from coachkit.reports.kinds import NO_WORKBOOKS
from coachkit.reports.markup import Safe, blank, el, pill, section, table, text
from coachkit.reports.reading import Dates, ReportError, read_deal
from coachkit.reports.sections import Sections
from coachkit.store import DealSummary, Store
from coachkit.training.scenarios import (
    ReferenceComparison,
    Scenario,
    compare_with_reference,
    load_scenario,
    participant_key,
)


@dataclass(frozen=True)
class Entry:
    """One participant's workbook, coached, and compared with its scenario's answer."""

    participant: str
    deal: Deal
    coaching: Coaching
    scenario: Scenario | None
    comparison: ReferenceComparison | None


@dataclass
class CohortReport(Sections):
    """A workshop cohort's workbooks, coached and compared with their scenarios' answers."""

    SECTIONS = ("header", "participants", "statements", "reference", "gaps", "problems")

    cohort: str
    today: dt.date
    as_of: When | None
    entries: list[Entry]
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def load(cls, store: str, cohort: str, *, as_of: str = "", today: str = "",
             settings: str = "") -> CohortReport:
        dates = Dates.of(as_of, today)
        when, today_ = dates.as_of, dates.today
        coach = Coach(load_settings(settings or None))
        entries, bad = [], []
        with Store(store) as st:
            summaries = st.list_deals(cohort=cohort)
            if not summaries:
                raise ReportError(NO_WORKBOOKS.format(cohort))
            for summary in once_per_participant(summaries):
                try:
                    deal = read_deal(st.get(summary.id, as_of=when))
                except NotFound:
                    continue
                except ReportError as exc:
                    bad.append((summary.id, str(exc)))
                    continue
                entries.append(_entry(deal, coach, today_))
        entries.sort(key=lambda e: (e.deal.training.scenario, e.participant.lower()))
        return cls(cohort, today_, when, entries, bad)

    # -- sections ----------------------------------------------------------------------------

    def header(self) -> Safe:
        scenarios = sorted({e.scenario.title for e in self.entries if e.scenario})
        when = Dates(self.as_of, self.today).shown()
        product = sum(1 for e in self.entries if _product_talk(e))
        return el(
            "header",
            el("p", f"Cohort report · {when}", class_="kicker"),
            el("h1", f"Cohort {self.cohort}"),
            el("dl", [
                el("div", el("dt", "Participants"), el("dd", str(len(self.entries)))),
                el("div", el("dt", "Scenario"),
                   el("dd", " · ".join(scenarios) or "their own deals")),
                el("div", el("dt", "Problem stated as a product"),
                   el("dd", f"{product} of {len(self.entries)}")),
            ], class_="facts"),
            class_="ck-header",
        )

    def participants(self) -> Safe:
        rows = []
        for e in self.entries:
            counts = e.coaching.counts()
            c = e.comparison
            rows.append([
                e.participant,
                f"{e.coaching.scores['completeness'].value:.0f}%",
                el("span", pill(str(counts["critical"]), "critical") if counts["critical"]
                   else "0", " / ", str(counts["warning"])),
                pill("product talk", "critical") if _product_talk(e) else pill("problem", "ok"),
                f"{len(c.stakeholders_found)} of {c.stakeholders_total}" if c else "–",
                f"{len(c.disagreements_found)} of {c.disagreements_total}" if c else "–",
                (f"{len(c.glossary_found)} of {c.glossary_total}"
                 if c else "–"),
                _yes(c.has_metric if c else _has_metric(e.deal)),
                _yes(c.has_cost_of_inaction if c else e.deal.problem.cost_of_inaction.known),
                _score(e.coaching.scores["confidence"]),
            ])
        return section(
            "participants", "Participants",
            table(["Participant", "Done", "Critical / warn.", "Problem", "People",
                   "Disagree­ments", "Their terms", "Metric", "Cost of inaction",
                   "Confidence"], rows, class_="cohort",
                  widths=("14%", "7%", "10%", "15%", "8%", "11%", "9%", "8%", "9%", "9%")),
            note="People, disagreements and the customer's terms are counted against the "
                 "trainer's reference answer of the scenario; confidence is the customer's "
                 "decision confidence as the participant judged it (0-100).")

    def statements(self) -> Safe:
        cards = []
        for e in self.entries:
            verdict = pill("product talk", "critical") if _product_talk(e) else None
            cards.append(el("div", el("h3", e.participant, " ", verdict),
                            el("p", text(e.deal.problem.statement)), class_="card"))
        references = []
        for scenario in self._scenarios():
            statement = scenario.reference(self.today).problem.statement
            references.append(el("div", el("h3", "Reference: ", scenario.title),
                                  el("p", text(statement)), class_="card reference"))
        return section("statements", "The problem, as each participant wrote it",
                       el("div", cards, references, class_="cards"),
                       note="Read two aloud: which says what the customer is trying to achieve, "
                            "and which says what to buy?")

    def reference(self) -> Safe:
        parts = []
        for scenario in self._scenarios():
            entries = [e for e in self.entries if e.scenario and e.scenario.id == scenario.id]
            found_people: Counter[str] = Counter()
            found_pairs: Counter[str] = Counter()
            for c in (e.comparison for e in entries if e.comparison is not None):
                found_people.update(c.stakeholders_found)
                found_pairs.update(" vs ".join(d) for d in c.disagreements_found)
            answer = scenario.reference(self.today)
            people = [[s.name, s.title, value_words(s.role),
                       f"{found_people[s.name]} of {len(entries)}"]
                      for s in answer.stakeholders]
            pairs = []
            for d in answer.disagreements:
                label = " vs ".join(d.between)
                pairs.append([label, text(d.about), f"{found_pairs[label]} of {len(entries)}"])
            parts += [el("h3", scenario.title),
                      table(["Stakeholder", "Title", "Role", "Found by"], people),
                      table(["Disagreement", "About", "Found by"], pairs) if pairs else None]
        if not parts:
            parts = [blank("The workbooks are of no scenario: there is no reference answer "
                           "to compare with.")]
        return section("reference", "Compared with the reference answer", *parts)

    def gaps(self) -> Safe:
        by_rule: dict[str, list[Finding]] = {}
        for e in self.entries:
            for rule in {f.rule for f in e.coaching.findings}:
                by_rule.setdefault(rule, []).append(
                    next(f for f in e.coaching.findings if f.rule == rule))
        common = sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[1][0].severity.rank))
        rules = registry()
        rows = [[pill(fs[0].severity.value, fs[0].severity.value),
                 rules[rule].summary if rule in rules and rules[rule].summary
                 else rule.replace("-", " ").capitalize(),
                 f"{len(fs)} of {len(self.entries)}", fs[0].question] for rule, fs in common[:10]]
        body = table(["", "Gap", "Participants", "The question to discuss"], rows,
                     widths=("11%", "37%", "13%", "39%")) if rows \
            else blank("No gaps: every workbook satisfies every rule for its stage.")
        return section("gaps", "The group's most common gaps", body,
                       note="Pick the top two and ask the question as if the group were the "
                            "seller.")

    def problems(self) -> Safe | None:
        if not self.unreadable:
            return None
        return section("unreadable", "Workbooks that could not be read",
                       table(["Deal", "Why"], self.unreadable))

    def _scenarios(self) -> list[Scenario]:
        seen: dict[str, Scenario] = {}
        for e in self.entries:
            if e.scenario is not None:
                seen.setdefault(e.scenario.id, e.scenario)
        return list(seen.values())


def once_per_participant(summaries: list[DealSummary]) -> list[DealSummary]:
    """One workbook per participant, scenario and cohort: the most recently changed.

    A participant on a shared app saves ``<participant>--<scenario>`` and the trainer's
    ``collect`` of their download makes ``<cohort>--<participant>--<scenario>``: two deals,
    one person. ``summaries`` come most recently changed first, so the first one is kept.
    A deal of no scenario (a participant's own deal) counts by its id."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for summary in summaries:
        key: tuple[str, ...] = (
            (summary.cohort, summary.scenario, participant_key(summary.participant))
            if summary.scenario and summary.participant.strip() else (summary.id,))
        if key not in seen:
            seen.add(key)
            out.append(summary)
    return out


def _entry(deal: Deal, coach: Coach, today: dt.date) -> Entry:
    scenario: Scenario | None = None
    comparison = None
    if deal.training.scenario:
        try:
            scenario = load_scenario(deal.training.scenario)
        except CoachkitError:  # a scenario this coachkit does not ship: no reference
            scenario = None
    if scenario is not None:
        comparison = compare_with_reference(deal, scenario.reference(today), coach.settings)
    participant = deal.training.participant or deal.deal.seller or deal.id
    return Entry(participant, deal, coach.run(deal, today), scenario, comparison)


def _product_talk(e: Entry) -> bool:
    if e.comparison is not None:
        return e.comparison.problem_as_product
    return any(f.rule == "problem-as-product" for f in e.coaching.findings)


def _has_metric(deal: Deal) -> bool:
    return any(m.baseline is not None and m.target is not None for m in deal.problem.metrics)


def _yes(flag: bool) -> Safe:
    return pill("yes", "ok") if flag else pill("no", "warning")


def _score(score: object) -> str:
    return f"{score.value:.0f}" if score.known else "not assessed"  # type: ignore[attr-defined]
