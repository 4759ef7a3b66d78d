"""The team report at any size: summary and charts first; a large team's riskiest open deals
("needs attention first"), then every deal once in a section per seller, reached by plain
anchors; a small team's one table; this week's changes capped per kind; no script.

The grouping is tested on :class:`TeamReport` directly (fast); two team reports go through
the real papermill and nbconvert path (slow): 60 deals over seven sellers, and the demo deals.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from coachkit.coaching.settings import Settings, load_settings
from coachkit.engine.batch import Job, Output, StoreRef
from coachkit.engine.render import Renderer
from coachkit.model import Deal
from coachkit.reports.team import COLUMNS, TeamReport, by_seller, team_frame
from coachkit.reports.week import Change, week_html
from coachkit.store import Store
from coachkit.training.demo import demo_deals, demo_ids
from support.helpers import TODAY
from support.reporting import PAYLOADS, RAW

HOSTILE = PAYLOADS[0]
SELLERS = ("Astrid Nygaard", "astrid nygaard", "Bo Ek", "李雷", HOSTILE, "", "Zoe Adams")
"""Two names with one slug, one with no ASCII slug, markup, and no seller at all."""


# -- reading a rendered page -----------------------------------------------------------------


@dataclass
class Row:
    owner: str
    """The id of the nearest element around the table (a section, a seller's section)."""
    cells: list[str] = field(default_factory=list)
    deal_id: str = ""

    @property
    def rank(self) -> int:
        return int(self.cells[0])

    @property
    def risk(self) -> float:
        return -1.0 if self.cells[-1] == "closed" else float(self.cells[-1])


class Layout(HTMLParser):
    """The deal rows of every ``table.team`` with the id around them, every element id, and
    every link."""

    VOID = frozenset({"br", "col", "hr", "img", "meta", "wbr", "link", "input"})

    def __init__(self, page: str) -> None:
        super().__init__()
        self.stack: list[dict[str, str]] = []
        self.rows: list[Row] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.row: Row | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag in self.VOID:
            return
        a["tag"] = tag
        self.stack.append(a)
        if tag == "tr" and self._inside("tbody") and any(
                e["tag"] == "table" and "team" in e.get("class", "").split()
                for e in self.stack):
            owner = next(e["id"] for e in reversed(self.stack) if e.get("id"))
            self.row = Row(owner)
            self.rows.append(self.row)
        elif tag == "td" and self.row is not None:
            self.row.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break
        if tag == "tr":
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.row is None or not self.row.cells:
            return
        self.row.cells[-1] += data.strip()
        if any("id" in e.get("class", "").split() for e in self.stack):
            self.row.deal_id += data.strip()

    def _inside(self, tag: str) -> bool:
        return any(e["tag"] == tag for e in self.stack)

    def owned(self, owner: str) -> list[Row]:
        return [r for r in self.rows if r.owner == owner]


def assert_anchors_resolve(layout: Layout) -> list[str]:
    """Every in-page link names an element id; returns those links' targets."""
    ids = Counter(layout.ids)
    assert not [i for i, n in ids.items() if n > 1], "an element id used twice"
    targets = [h[1:] for h in layout.hrefs if h.startswith("#")]
    assert not [t for t in targets if t not in ids], "a link to no element"
    return targets


# -- the grouping, without kernels -----------------------------------------------------------


def row(n: int, seller: str, *, risk: float, stage: str = "proposal",
        critical: int = 0) -> dict[str, Any]:
    return {"deal_id": f"d{n:03d}", "customer": f"Customer {n}", "title": "t", "team": "x",
            "seller": seller, "stage": stage, "value": 1000.0, "currency": "EUR",
            "close_date": None, "confidence_index": None, "consensus_index": None,
            "critical": critical, "warnings": 0, "days_since_contact": 3, "risk_score": risk}


def with_reports(top_deals: int = 25, week_lines: int = 10) -> Settings:
    s = load_settings()
    reports = s.reports.model_copy(update={"top_deals": top_deals, "week_lines": week_lines})
    return s.model_copy(update={"reports": reports})


def team_of(count: int, settings: Settings, week: tuple[Change, ...] = ()) -> TeamReport:
    rows = [row(n, SELLERS[n % len(SELLERS)], risk=float(n % 17),
                stage="closed_won" if n % 9 == 4 else "proposal", critical=n % 3)
            for n in range(count)]
    report = TeamReport("x", TODAY, None, team_frame(rows), [], settings, week=week)
    report.frame["report"] = [report.link(i) for i in report.frame["deal_id"]]
    return report


def test_by_seller_holds_every_deal_once_under_unique_anchors() -> None:
    frame = team_of(50, with_reports()).frame
    groups = by_seller(frame)
    ids = [i for g in groups for i in g.deals["deal_id"]]
    assert sorted(ids) == sorted(frame["deal_id"]) and len(ids) == len(set(ids))
    names = [g.seller for g in groups]
    assert names[-1] == "" and names[:-1] == sorted(names[:-1], key=str.casefold)
    anchors = [g.anchor for g in groups]
    assert len(set(anchors)) == len(anchors)
    assert all(re.fullmatch(r"seller-[a-z0-9-]+", a) for a in anchors), anchors
    assert {"seller-astrid-nygaard", "seller-astrid-nygaard-2", "seller-none",
            "seller-script-alert-1-script"} <= set(anchors)
    for g in groups:  # each seller's deals in the team's ranking
        assert list(g.deals["rank"]) == sorted(g.deals["rank"])
        assert g.critical == int(g.deals["critical"].sum())


def test_a_large_team_gets_its_top_deals_then_every_deal_by_seller() -> None:
    report = team_of(50, with_reports(top_deals=12))
    attention = Layout(str(report.attention()))
    top = attention.owned("attention")
    open_ = report.frame[~report.frame["stage"].eq("closed_won")]
    assert [r.deal_id for r in top] == list(open_["deal_id"].head(12))
    assert [r.risk for r in top] == sorted((r.risk for r in top), reverse=True)
    assert "closed" not in [r.cells[-1] for r in top]

    sellers = str(report.sellers())
    layout = Layout(sellers)
    listed = [r.deal_id for r in layout.rows if r.owner.startswith("seller-")]
    assert Counter(listed) == Counter(report.frame["deal_id"])  # each deal exactly once
    targets = assert_anchors_resolve(layout)
    assert set(targets) == {g.anchor for g in by_seller(report.frame)} | {"sellers"}
    for raw in RAW:
        assert raw not in sellers
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sellers
    assert ">No seller<" in sellers


def test_a_small_team_keeps_one_table() -> None:
    report = team_of(12, with_reports(top_deals=12))
    layout = Layout(str(report.attention()))
    assert len(layout.owned("deals")) == 12 and not layout.owned("attention")
    assert report.sellers() == ""
    assert len(Layout(str(team_of(13, with_reports(top_deals=12)).attention()))
               .owned("attention")) == 12


def test_week_changes_show_the_riskiest_first_and_fold_the_rest() -> None:
    changes = tuple(Change(f"d{n:03d}", f"Customer {n}", "gone quiet", "no contact")
                    for n in range(30))
    report = team_of(30, with_reports(week_lines=4), week=tuple(reversed(changes)))
    page = str(report.week_changes())
    assert "Gone quiet (30)" in page
    shown, folded = page.split("<details")
    assert shown.count("<li>") == 4 and folded.count("<li>") == 26
    assert "and 26 more" in folded
    order = [int(n) for n in re.findall(r"Customer (\d+)", shown)]
    riskiest = list(report.frame["deal_id"].head(4).str[1:].astype(int))
    assert order == riskiest
    few = week_html(list(changes[:4]), TODAY, 7, {}, lines=4)
    assert "<details" not in few and few.count("<li>") == 4


# -- rendered: papermill, nbconvert ----------------------------------------------------------


@dataclass
class Page:
    html: str
    csv: list[dict[str, str]]
    folder: Path
    ids: list[str]


def render_team(folder: Path, deals: list[Deal], team: str, renderer: Renderer,
                linked: tuple[str, ...] | None = None) -> Page:
    location = str(folder / "store.db")
    with Store(location) as store:
        for deal in deals:
            store.put(deal, author="seller")
    out = folder / "out"
    out.mkdir()
    job = Job("team", team, StoreRef.of(location), Output(str(out)), today=TODAY.isoformat(),
              linked=linked)
    for deal_id in linked or ():
        if int(deal_id.rsplit("-", 1)[1]) % 3 == 0:  # only these reports are on disk
            (out / f"{deal_id}.html").write_text("report", encoding="utf-8")
    job.run(renderer)
    page = (out / f"{job.stem}.html").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO((out / f"{job.stem}.csv").read_text(
        encoding="utf-8"))))
    return Page(page, rows, out, [d.id for d in deals])


def big_team() -> list[Deal]:
    """60 deals: the demo deals again and again, under new ids, over seven sellers."""
    docs = [d.to_json_dict() for d in demo_deals(TODAY)]
    deals = []
    for n in range(60):
        doc = docs[n % len(docs)]
        info = {**doc["deal"], "id": f"big-{n:03d}", "team": "big",
                "seller": SELLERS[(n * 3 + n // 7) % len(SELLERS)],
                "customer": f"{doc['deal'].get('customer') or 'Customer'} {n}"}
        if n == 5:
            info["customer"] = HOSTILE
        deals.append(Deal.model_validate({**doc, "deal": info}))
    return deals


@pytest.fixture(scope="module")
def renderer() -> Any:
    with Renderer() as r:
        yield r


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory, renderer: Renderer) -> Page:
    deals = big_team()
    return render_team(tmp_path_factory.mktemp("big-team"), deals, "big", renderer,
                       linked=tuple(d.id for d in deals))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, renderer: Renderer) -> Page:
    return render_team(tmp_path_factory.mktemp("demo-team"), demo_deals(TODAY), "", renderer)


@pytest.mark.slow
@pytest.mark.xdist_group("team-layout")
def test_summary_and_charts_come_first(big: Page) -> None:
    page = big.html
    order = [page.index(s) for s in ('class="ck-header"', 'id="pipeline"', 'id="attention"',
                                     'id="week"', 'id="sellers"', 'id="ranking"')]
    assert order == sorted(order)
    assert page.index('id="pipeline"') < page.index('<table class="team"')
    assert len(re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,', page)) == 2
    assert "<script" not in page and 'id="deals"' not in page


@pytest.mark.slow
@pytest.mark.xdist_group("team-layout")
def test_the_top_deals_then_every_deal_once_by_seller(big: Page) -> None:
    layout = Layout(big.html)
    top = layout.owned("attention")
    ranked = [r["deal_id"] for r in big.csv]
    assert len(top) == 25 and [r.deal_id for r in top] == ranked[:25]
    assert [r.rank for r in top] == list(range(1, 26))
    assert [r.risk for r in top] == sorted((r.risk for r in top), reverse=True)
    per_seller = [r for r in layout.rows if r.owner.startswith("seller-")]
    assert Counter(r.deal_id for r in per_seller) == Counter(big.ids)
    assert len(layout.rows) == 25 + 60  # no other table of deals
    seller_of = {r["deal_id"]: r["seller"] for r in big.csv}
    for owner in {r.owner for r in per_seller}:
        rows = layout.owned(owner)
        assert len({seller_of[r.deal_id] for r in rows}) == 1, owner
        assert [r.rank for r in rows] == sorted(r.rank for r in rows)
    targets = assert_anchors_resolve(layout)
    contents = {t for t in targets if t.startswith("seller-")}
    assert contents == {r.owner for r in per_seller} and len(contents) == len(SELLERS)
    for t in contents:
        assert f'<a href="#{t}">' in big.html


@pytest.mark.slow
@pytest.mark.xdist_group("team-layout")
def test_links_escaping_and_csv_at_size(big: Page) -> None:
    page = big.html
    on_disk = {p.name for p in big.folder.glob("big-*.html")}
    linked = set(re.findall(r'href="([A-Za-z0-9_-]+\.html)"', page))
    assert linked == on_disk and len(on_disk) == 20
    for raw in RAW:
        assert raw not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # a seller, a customer
    assert list(big.csv[0]) == list(COLUMNS)
    assert sorted(r["deal_id"] for r in big.csv) == sorted(big.ids)
    assert [int(r["rank"]) for r in big.csv] == list(range(1, 61))
    week = page[page.index('id="week"'):page.index('id="sellers"')]
    assert "New deals (60)" in week and "and 50 more" in week
    assert week.split("<details")[0].count("<li>") == 10


@pytest.mark.slow
@pytest.mark.xdist_group("team-layout")
def test_a_small_team_renders_one_table(small: Page) -> None:
    page = small.html
    layout = Layout(page)
    assert page.count('<table class="team"') == 1
    assert sorted(r.deal_id for r in layout.owned("deals")) == sorted(demo_ids())
    assert 'id="attention"' not in page and 'id="sellers"' not in page
    assert not [h for h in layout.hrefs if h.startswith("#")]
    assert page.index('id="pipeline"') < page.index('id="deals"') < page.index('id="week"')
    assert "<script" not in page
