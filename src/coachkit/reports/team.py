"""The team report: every deal of a team in one pandas table, ranked by risk, with charts.

The same table, made formula-safe, is the team CSV. The risk score that ranks it is a sum of
named parts, like every coachkit score (see :func:`risk_parts`); closed deals come last.

On the page, a small team's deals are one table. A team of more than ``reports.top_deals``
deals gets the open deals of highest risk first ("needs attention first"), then every deal in
a section per seller, with a list of plain anchors to jump to each (no script anywhere).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pandas as pd

from coachkit import clock
from coachkit.clock import When
from coachkit.coaching.coach import Coach, Coaching
from coachkit.coaching.settings import RankingSettings, Settings, load_settings
from coachkit.errors import NotFound
from coachkit.model import Deal, Stage
from coachkit.model.ids import slug
from coachkit.model.vocabulary import value_words
from coachkit.reports.health import chart, daily
from coachkit.reports.markup import (
    Safe,
    blank,
    el,
    money,
    pill,
    section,
    table,
)
from coachkit.reports.reading import (
    Dates,
    ReportError,
    read_deal,
    reviews_by,
)
from coachkit.reports.sections import Sections
from coachkit.reports.week import Change, deal_changes, week_html
from coachkit.store import Store

COLUMNS = ("rank", "deal_id", "customer", "title", "team", "seller", "stage", "value",
           "currency", "close_date", "confidence_index", "consensus_index", "critical",
           "warnings", "days_since_contact", "risk_score", "report")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell that starts with one of these as a formula (or hides it)."""


@dataclass(frozen=True)
class Unreadable:
    deal_id: str
    reason: str


def risk_parts(critical: int, warnings: int, confidence: float | None,
               days_since_contact: int | None, ranking: RankingSettings) -> dict[str, float]:
    """The risk score's parts: findings, the customer's confidence, silence."""
    r = ranking
    return {
        "critical findings": r.critical_points * critical,
        "warnings": r.warning_points * warnings,
        "low decision confidence": r.confidence_points if confidence is None
        else r.confidence_points * (100 - confidence) / 100,
        "days since last contact": r.contact_points if days_since_contact is None
        else r.contact_points * min(days_since_contact, r.contact_days) / r.contact_days,
    }


def is_closed(stage: str) -> bool:
    return Stage(stage).closed


def open_pipeline(frame: pd.DataFrame) -> list[str]:
    """The open deals' value, one sum per currency (``["3,400,000 NOK", ...]``)."""
    open_ = frame[~frame["stage"].map(is_closed)].dropna(subset=["value"])
    return [money(total, currency)
            for currency, total in open_.groupby("currency")["value"].sum().items()]


@dataclass(frozen=True)
class SellerDeals:
    """One seller's deals, in the team's ranking, and the anchor of their section."""

    seller: str
    """As typed (stripped); "" for deals with no seller."""
    anchor: str
    deals: pd.DataFrame

    @property
    def open(self) -> int:
        return int((~self.deals["stage"].map(is_closed)).sum())

    @property
    def critical(self) -> int:
        return int(self.deals["critical"].sum())


def seller_anchor(seller: str, taken: set[str]) -> str:
    """``seller-anna-berg``: an element id for a seller's section, not in ``taken`` (added
    to it). Sellers whose names make the same slug get ``-2``, ``-3``."""
    base = "seller-" + (slug(seller, fallback="x-") if seller else "none")
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    taken.add(anchor)
    return anchor


def by_seller(frame: pd.DataFrame) -> list[SellerDeals]:
    """Every deal of a ranked frame, once, grouped by seller: sellers by name (deals with no
    seller last), each seller's deals in the frame's order."""
    sellers = frame["seller"].fillna("").astype(str).str.strip()
    names = sorted(set(sellers), key=lambda s: (not s, s.casefold(), s))
    taken: set[str] = set()
    return [SellerDeals(name, seller_anchor(name, taken), frame[sellers == name])
            for name in names]


def deal_row(deal: Deal, coaching: Coaching, today: dt.date,
             ranking: RankingSettings) -> dict[str, Any]:
    """One deal's row of the team table (before ranking)."""
    info = deal.deal
    counts = coaching.counts()
    confidence = coaching.scores["confidence"]
    consensus = coaching.scores["consensus"]
    conf = round(confidence.value) if confidence.known else None
    days = deal.days_since_contact(today)
    risk = 0.0 if deal.closed else sum(risk_parts(counts["critical"], counts["warning"], conf,
                                                  days, ranking).values())
    return {
        "deal_id": info.id, "customer": info.customer, "title": info.title, "team": info.team,
        "seller": info.seller, "stage": info.stage.value, "value": info.value,
        "currency": info.currency,
        "close_date": info.close_date.isoformat() if info.close_date else None,
        "confidence_index": conf,
        "consensus_index": round(consensus.value) if consensus.known else None,
        "critical": counts["critical"], "warnings": counts["warning"],
        "days_since_contact": days, "risk_score": round(risk, 1),
    }


def team_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The rows ranked: open deals by risk (highest first), then closed deals; ties by the
    nearest close date, then id."""
    frame = pd.DataFrame(list(rows), columns=[c for c in COLUMNS if c not in ("rank",
                                                                              "report")])
    frame["closed"] = frame["stage"].map(is_closed)
    frame["_close"] = frame["close_date"].fillna("9999-12-31")
    frame = frame.sort_values(["closed", "risk_score", "_close", "deal_id"],
                              ascending=[True, False, True, True], kind="stable")
    frame = frame.drop(columns=["closed", "_close"]).reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    for name in ("confidence_index", "consensus_index", "days_since_contact"):
        frame[name] = frame[name].astype("Int64")
    frame["report"] = ""
    return frame


def formula_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame) -> str:
    """The table as CSV (RFC 4180: CRLF rows, so a CR or LF inside a cell is quoted), every
    text cell formula-safe."""
    safe = frame.copy()
    for name in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[name]):
            safe[name] = safe[name].map(formula_safe, na_action="ignore")
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue()


@dataclass(frozen=True)
class CsvOutput:
    text: str
    rows: int

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/csv": self.text, "text/plain": f"(the team table as CSV, {self.rows} rows)"}


@dataclass
class TeamReport(Sections):
    """Every deal of a team (or of the store), coached on the report's day and ranked."""

    SECTIONS = ("header", "pipeline_charts", "attention", "week_changes", "sellers",
                "unreadable", "how_ranked")

    team: str
    today: dt.date
    as_of: When | None
    frame: pd.DataFrame
    unreadable_deals: list[Unreadable]
    settings: Settings
    link_format: str = "html"
    linked: frozenset[str] | None = None
    week: tuple[Change, ...] = ()
    """This week's changes of every deal."""
    trends: dict[str, Safe] = field(default_factory=dict)
    """Each deal's health over the last ``reports.trend_days``, as a small SVG."""

    @classmethod
    def load(cls, store: str, team: str = "", *, as_of: str = "", today: str = "",
             settings: str = "", link_format: str = "html",
             linked: Sequence[str] | None = None) -> TeamReport:
        dates = Dates.of(as_of, today)
        when, today_ = dates.as_of, dates.today
        coach = Coach(load_settings(settings or None))
        cfg = coach.settings.reports
        quiet = int(dict((r.id, o) for r, o in coach.rulebook.rules)["stale-deal"]["max_days"])
        week_start = today_ - dt.timedelta(days=cfg.week_days)
        trend_start = today_ - dt.timedelta(days=cfg.trend_days)
        rows, bad, week, trends = [], [], [], {}
        with Store(store) as st:
            summaries = st.list_deals(team=team or None)
            if not summaries:
                raise ReportError(f"no deals in team '{team}'" if team else "no deals in the "
                                  "store (coachkit demo loads the demo deals)")
            for summary in summaries:
                try:
                    found = st.get(summary.id, as_of=when)
                except NotFound:  # it did not exist yet on that day
                    continue
                try:
                    deal = read_deal(found)
                except ReportError as exc:
                    bad.append(Unreadable(summary.id, str(exc)))
                    continue
                reviews = reviews_by(st, summary.id, when)
                rows.append(deal_row(deal, coach.run(deal, today_, reviews), today_,
                                     coach.settings.ranking))
                versions = [v for v in st.history(summary.id) if v.version <= found.version]
                before = next((v for v in reversed(versions)
                               if v.saved_at <= clock.end_of(week_start)), None)
                try:
                    earlier = read_deal(before) if before else None
                except ReportError:
                    earlier = None
                week += deal_changes(deal, earlier, today_, week_days=cfg.week_days,
                                     confidence_move=cfg.confidence_move, quiet_days=quiet)
                recent = [v for v in versions if v.saved_at.date() >= trend_start]
                trends[summary.id] = chart(daily(recent or versions[-1:], coach.settings),
                                           width=80, height=24, legend=False)
        frame = team_frame(rows)
        report = cls(team, today_, when, frame, bad, coach.settings, link_format,
                     None if linked is None else frozenset(linked), tuple(week), trends)
        frame["report"] = [report.link(i) for i in frame["deal_id"]]
        return report

    def link(self, deal_id: str) -> str:
        """The relative link to a deal's report, or "" when there is none."""
        if not self.link_format or (self.linked is not None and deal_id not in self.linked):
            return ""
        return f"{quote(deal_id)}.{self.link_format}"

    def csv(self) -> str:
        return to_csv(self.frame)

    def csv_output(self) -> CsvOutput:
        """The CSV as a cell output (``text/csv``): ``coachkit report`` writes it next to the
        HTML, so the file and the page always show the same table."""
        return CsvOutput(self.csv(), len(self.frame))

    # -- sections ----------------------------------------------------------------------------

    def header(self) -> Safe:
        f = self.frame
        open_ = f[~f["stage"].map(is_closed)]
        pipeline = open_pipeline(f)
        when = Dates(self.as_of, self.today).shown()
        name = f"Team {self.team}" if self.team else "All deals"
        return el(
            "header",
            el("p", f"Team report · {when}", class_="kicker"),
            el("h1", name),
            el("dl", [
                el("div", el("dt", "Deals"), el("dd", f"{len(f)} ({len(open_)} open)")),
                el("div", el("dt", "Open pipeline"),
                   el("dd", " · ".join(pipeline) or el("span", "no values yet",
                                                       class_="empty"))),
                el("div", el("dt", "Critical findings"), el("dd", str(int(f["critical"].sum())))),
                el("div", el("dt", "Warnings"), el("dd", str(int(f["warnings"].sum())))),
            ], class_="facts"),
            class_="ck-header",
        )

    @property
    def large(self) -> bool:
        """More deals than ``reports.top_deals``: the top deals first, then by seller."""
        return len(self.frame) > self.settings.reports.top_deals

    def attention(self) -> Safe:
        """A small team's deals in one table; a large team's ``top_deals`` open deals of
        highest risk (every deal is in :meth:`sellers` below)."""
        legend = ("conf.: decision confidence index, cons.: consensus index (0-100); trend: "
                  "completeness (grey), decision confidence (blue) and consensus (green) over "
                  f"the last {self.settings.reports.trend_days} days; crit., warn.: findings "
                  "(dismissed ones not counted); silent: days since the last contact with "
                  "anyone; risk is explained at the end. — : not known yet (no close date, "
                  "confidence not assessed, or no contact recorded).")
        f = self.frame
        if not self.large:
            return section("deals", "Deals ranked by risk", self._deals(f),
                           note=f"Click a deal to open its report. {legend}")
        top = self.settings.reports.top_deals
        open_ = f[~f["stage"].map(is_closed)].head(top)
        body = self._deals(open_) if len(open_) else blank("No open deals.")
        return section(
            "attention", "Needs attention first", body,
            note=[f"The {len(open_)} open deals at highest risk, of {len(f)}; all {len(f)} "
                  "are in ", el("a", "Every deal, by seller", href="#sellers"), " below. "
                  f"Click a deal to open its report; # is its rank in the team. {legend}"])

    def sellers(self) -> Safe:
        """A large team's every deal, once, in a section per seller, with a list of anchors
        to each; nothing for a small team (its one table has them all)."""
        if not self.large:
            return Safe("")
        groups = by_seller(self.frame)
        contents = el("ul", [el("li", el("a", g.seller or "No seller", href=f"#{g.anchor}"),
                                " ", el("span", f"{len(g.deals)}", class_="small"),
                                " ", pill(str(g.critical), "critical") if g.critical else None)
                             for g in groups], class_="contents")
        parts = []
        for g in groups:
            pipeline = " · ".join(open_pipeline(g.deals))
            facts = [f"{len(g.deals)} deal{'s' if len(g.deals) != 1 else ''} ({g.open} open)",
                     f"open pipeline {pipeline}" if pipeline else "no values yet",
                     f"{g.critical} critical"]
            parts.append(el(
                "section",
                el("h3", g.seller or el("span", "No seller", class_="empty"), " ",
                   el("span", " · ".join(facts), class_="facts-line"), " ",
                   el("a", "↑ list of sellers", href="#sellers", class_="up-link")),
                self._deals(g.deals), class_="seller", id=g.anchor))
        return section("sellers", "Every deal, by seller", el("nav", contents), *parts,
                       note=f"{len(groups)} sellers (deal count, critical findings); each "
                            "seller's deals ranked by risk, # being the rank in the team. "
                            "Columns as in the first table.")

    def _deals(self, frame: pd.DataFrame) -> Safe:
        """The deals table of ``frame``'s rows, in its order."""
        rows = []
        for r in frame.itertuples(index=False):
            deal = [el("strong", r.customer or r.deal_id), el("br"),
                    el("span", r.title, class_="small t")]
            target = r.report
            ident = (el("a", r.deal_id, href=target) if target else el("span", r.deal_id))
            risk: Safe | str = "closed" if is_closed(r.stage) else f"{r.risk_score:.0f}"
            rows.append((
                str(r.rank), el("div", deal, el("div", ident, class_="small id")),
                value_words(r.stage), money(None if pd.isna(r.value) else r.value, r.currency),
                _num(r.close_date), _num(r.confidence_index), _num(r.consensus_index),
                el("div", Safe(self.trends.get(r.deal_id, "")), class_="trend"),
                pill(str(r.critical), "critical") if r.critical else "0",
                pill(str(r.warnings), "warning") if r.warnings else "0",
                _num(r.days_since_contact), el("strong", risk),
            ))
        return table(("#", "deal", "stage", "value", "close", "conf.", "cons.", "trend",
                      "crit.", "warn.", "silent", "risk"), rows,
                     class_="team", widths=("3%", "21%", "12%", "11%", "12%", "6%", "6%", "7%",
                                            "5%", "6%", "6%", "5%"))

    def pipeline_charts(self) -> Safe:
        from coachkit.reports.charts import PipelineDeal, deals_by_confidence, pipeline_value

        f = self.frame
        deals = [PipelineDeal(r.customer or r.deal_id,
                              None if pd.isna(r.value) else float(r.value), r.currency,
                              None if pd.isna(r.confidence_index) else float(r.confidence_index),
                              r.stage)
                 for r in f.itertuples(index=False) if not is_closed(r.stage)]
        if not deals:
            return section("pipeline", "Pipeline by decision confidence",
                           blank("No open deals."))
        return section("pipeline", "Pipeline by decision confidence",
                       el("div", pipeline_value(deals, self.settings.confidence),
                          class_="figure"),
                       el("div", deals_by_confidence(deals, self.settings.confidence),
                          class_="figure"),
                       note="Open deals only. Values in different currencies are shown apart.")

    def week_changes(self) -> Safe:
        """New deals, close dates moved, stage changes, confidence moves, deals gone quiet,
        milestones overdue: this week."""
        links = {i: self.link(i) for i in self.frame["deal_id"]}
        rank = dict(zip(self.frame["deal_id"], self.frame["rank"], strict=True))
        riskiest_first = sorted(self.week, key=lambda c: rank.get(c.deal_id, len(rank) + 1))
        cfg = self.settings.reports
        return week_html(riskiest_first, self.today, cfg.week_days, links,
                         lines=cfg.week_lines)

    def unreadable(self) -> Safe:
        if not self.unreadable_deals:
            return Safe("")
        return section("unreadable", "Deals that could not be read", table(
            ("deal", "why"), [(u.deal_id, u.reason) for u in self.unreadable_deals],
            widths=("30%", "70%")),
            note="Left out of the tables above; fix or restore them (coachkit history ID).")

    def how_ranked(self) -> Safe:
        r = self.settings.ranking
        rows = [("critical findings", f"{r.critical_points:g} each"),
                ("warnings", f"{r.warning_points:g} each"),
                ("low decision confidence", f"(100 - index) × {r.confidence_points / 100:g}, "
                                            f"up to {r.confidence_points:g}; not assessed: "
                                            f"{r.confidence_points:g}"),
                ("days since last contact", f"days × {r.contact_points / r.contact_days:.2g}, "
                                            f"up to {r.contact_points:g} (at {r.contact_days} "
                                            f"days); none recorded: {r.contact_points:g}")]
        return section("ranking", "How deals are ranked", table(("part of the risk score",
                                                                  "points"), rows,
                                                                 widths=("35%", "65%")),
                       note="Risk is the sum of these parts; closed deals come last. Ties go "
                            "to the nearer close date.")


NOT_KNOWN = "—"
"""An empty cell of the deals table (the legend says what it means)."""


def _num(value: Any) -> str:
    return NOT_KNOWN if value is None or pd.isna(value) or value == "" else f"{value}"
