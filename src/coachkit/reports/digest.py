"""The weekly digest: for each manager, their teams' week in one email.

What changed this week (:mod:`coachkit.reports.week`), the reviews' actions that are overdue,
and the deals whose verdict or health got worse since the week began, each with a link to
its report on the team server. Written twice, as plain text and as HTML with inline styles
only (no script, no image, nothing fetched), so that any mail client shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from coachkit import clock
from coachkit.coaching.coach import Coach, Coaching
from coachkit.coaching.settings import load_settings
from coachkit.coaching.verdict import LABELS
from coachkit.errors import NotFound
from coachkit.model import Deal
from coachkit.reports.markup import Safe, el, join
from coachkit.reports.reading import ReportError, read_deal, reviews_by
from coachkit.reports.week import KINDS, Change, deal_changes
from coachkit.store import Store, VersionInfo
from coachkit.views.palette import FAINT, HEADING, INK, LINK, MUTED, SUBTLE

VERDICT_ORDER = tuple(LABELS)
"""Verdicts from the most to the least serious (the order of their labels' one home)."""
HEALTH = ("completeness", "confidence", "consensus")
REPORTS_PATH = "/services/coachkit-reports/teams/"


@dataclass(frozen=True)
class Line:
    """One line of a digest: a deal, what happened, the link to its report."""

    customer: str
    what: str
    link: str


@dataclass
class TeamWeek:
    """One team's week, as the digest shows it."""

    team: str
    link: str
    changes: list[tuple[str, list[Line]]] = field(default_factory=list)
    overdue: list[Line] = field(default_factory=list)
    worse: list[Line] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.changes or self.overdue or self.worse)


@dataclass(frozen=True)
class Digest:
    """A manager's digest of their teams' week."""

    manager: str
    start: dt.date
    today: dt.date
    teams: tuple[TeamWeek, ...]

    @property
    def subject(self) -> str:
        return (f"coachkit: your teams' week, {self.start.isoformat()} to "
                f"{self.today.isoformat()}")

    def text(self) -> str:
        out = [f"Your teams' week, {self.start.isoformat()} to {self.today.isoformat()}", ""]
        for t in self.teams:
            out += [f"== Team {t.team} ==", f"Team report: {t.link}", ""]
            if t.empty:
                out += ["Nothing moved, nothing overdue, nothing got worse.", ""]
            for title, lines in self._parts(t):
                out.append(f"{title} ({len(lines)})")
                out += [f"- {li.customer}: {li.what}\n  {li.link}" for li in lines]
                out.append("")
        out.append("Sent by coachkit's weekly digest.")
        return "\n".join(out) + "\n"

    def html(self) -> str:
        def item(li: Line) -> Safe:
            return el("li", el("a", li.customer, href=li.link, style=f"color:{LINK}"), ": ",
                      li.what, style="margin:0 0 4px")

        body: list[object] = [el("h1", "Your teams' week", style="font-size:20px;margin:0"),
                              el("p", f"{self.start.isoformat()} to {self.today.isoformat()}",
                                 style=f"color:{MUTED};margin:2px 0 12px")]
        for t in self.teams:
            body.append(el("h2", "Team ", t.team, " ",
                           el("a", "team report", href=t.link,
                              style=f"font-size:13px;font-weight:normal;color:{LINK}"),
                           style=f"font-size:17px;border-bottom:2px solid {HEADING};"
                                 f"color:{HEADING};margin:18px 0 6px"))
            if t.empty:
                body.append(el("p", "Nothing moved, nothing overdue, nothing got worse.",
                               style=f"color:{SUBTLE}"))
            for title, lines in self._parts(t):
                body.append(el("h3", f"{title} ({len(lines)})", style="font-size:14px;"
                                                                      "margin:10px 0 4px"))
                body.append(el("ul", [item(li) for li in lines], style="padding-left:18px;"
                                                                      "margin:0"))
        body.append(el("p", "Sent by coachkit's weekly digest.",
                       style=f"color:{FAINT};font-size:12px;margin-top:18px"))
        return ("<!doctype html>" + el(
            "html", el("head", el("meta", charset="utf-8"), el("title", self.subject)),
            el("body", el("div", join(body), style="max-width:640px;margin:0 auto"),
               style=f"font-family:Arial,Helvetica,sans-serif;color:{INK};font-size:14px"),
            lang="en"))

    @staticmethod
    def _parts(t: TeamWeek) -> list[tuple[str, list[Line]]]:
        parts = [("Overdue actions", t.overdue), ("Verdict or health got worse", t.worse),
                 *t.changes]
        return [(title, lines) for title, lines in parts if lines]


def _worse(now: Coaching, before: Coaching, move: float) -> list[str]:
    """How a deal got worse: a more serious verdict, a score down by ``move`` or more."""
    out = []
    a, b = before.verdict, now.verdict
    if VERDICT_ORDER.index(b.key) < VERDICT_ORDER.index(a.key):
        out.append(f"verdict {a.label} → {b.label}")
    for name in HEALTH:
        x, y = before.scores[name], now.scores[name]
        if x.known and y.known and x.value - y.value >= move:
            out.append(f"{y.name} {x.value:.0f} → {y.value:.0f}")
    return out


def team_week(store: str, team: str, base_url: str, today: dt.date, coach: Coach) -> TeamWeek:
    """``team``'s week up to ``today``; links start with ``base_url`` (the team server)."""
    cfg = coach.settings.reports
    quiet = int(dict((r.id, o) for r, o in coach.rulebook.rules)["stale-deal"]["max_days"])
    start = today - dt.timedelta(days=cfg.week_days)
    folder = f"{base_url.rstrip('/')}{REPORTS_PATH}{quote(team)}/"
    week = TeamWeek(team, folder)
    changes: list[Change] = []
    links: dict[str, str] = {}
    with Store(store) as st:
        for summary in st.list_deals(team=team):
            try:
                found = st.get(summary.id)
                deal = read_deal(found)
            except (NotFound, ReportError):
                continue
            link = links[deal.id] = f"{folder}{quote(deal.id)}.html"
            name = deal.deal.customer or deal.id
            reviews = reviews_by(st, deal.id, None)
            now = coach.run(deal, today, reviews)
            earlier = _at(st.history(deal.id), clock.end_of(start))
            changes += deal_changes(deal, earlier, today, week_days=cfg.week_days,
                                    confidence_move=cfg.confidence_move, quiet_days=quiet)
            for r in reviews:
                for a in r.action_states():
                    if not a.done and a.due is not None and a.due < today:
                        week.overdue.append(Line(name, f"“{a.text}” (review {r.number} by "
                                                       f"{r.by}), due {a.due.isoformat()}",
                                                 link))
            if earlier is not None:
                before = coach.run(earlier, start, [r for r in reviews
                                                    if r.at <= clock.end_of(start)])
                worse = _worse(now, before, cfg.confidence_move)
                if worse:
                    week.worse.append(Line(name, "; ".join(worse), link))
    for kind in KINDS:
        lines = [Line(c.customer, c.what, links[c.deal_id]) for c in changes if c.kind == kind]
        if lines:
            week.changes.append((kind.capitalize(), lines))
    return week


def _at(versions: Sequence[VersionInfo], moment: dt.datetime) -> Deal | None:
    """The deal as it was at ``moment`` (None: it did not exist yet, or is unreadable)."""
    before = next((v for v in reversed(versions) if v.saved_at <= moment), None)
    try:
        return read_deal(before) if before is not None else None
    except ReportError:
        return None


def digests(store: str, managers: Mapping[str, Sequence[str]], base_url: str, *,
            today: dt.date | None = None, settings: str = "") -> list[Digest]:
    """A digest for each manager of ``managers`` (manager -> their teams)."""
    day = today or clock.today()
    coach = Coach(load_settings(settings or None))
    start = day - dt.timedelta(days=coach.settings.reports.week_days)
    weeks = {team: team_week(store, team, base_url, day, coach)
             for team in sorted({t for ts in managers.values() for t in ts})}
    return [Digest(m, start, day, tuple(weeks[t] for t in sorted(ts)))
            for m, ts in sorted(managers.items()) if ts]
