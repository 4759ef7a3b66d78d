"""Reports without kernels: HTML building and escaping, the deal and team report sections,
what changed since, the CSV, and the batch logic. Fast; the rendering itself is tested in
test_reports_render.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from coachkit.clock import parse_when
from coachkit.coaching.coach import Coach
from coachkit.coaching.settings import load_settings
from coachkit.engine import batch
from coachkit.errors import CoachkitError
from coachkit.model import Deal, empty_deal
from coachkit.model.diff import value_at
from coachkit.reports.changes import shown
from coachkit.reports.deal import DealReport
from coachkit.reports.kinds import KINDS, team_slug
from coachkit.reports.markup import NOT_FILLED, Safe, el, esc, join, text
from coachkit.reports.reading import Dates, ReportError, default_since
from coachkit.reports.team import (
    FORMULA_LEADS,
    TeamReport,
    deal_row,
    formula_safe,
    risk_parts,
    team_frame,
    to_csv,
)
from coachkit.store import Store
from support.helpers import TODAY
from support.reporting import PAYLOADS, assert_escaped, corrupt, hostile_deal
from support.strategies import deal_documents

# -- markup ----------------------------------------------------------------------------------


def test_everything_is_escaped_unless_built_here() -> None:
    built = el("p", PAYLOADS[0], title='"><script>', class_="x")
    assert built == ('<p title="&quot;&gt;&lt;script&gt;" class="x">'
                     "&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    assert isinstance(built, Safe)
    assert el("div", built) == f"<div>{built}</div>"  # Safe nests unchanged
    assert esc(Safe("<b>")) == "<b>" and esc("<b>") == "&lt;b&gt;"
    assert join(["<a>", Safe("<br>")], sep="&") == "&lt;a&gt;&amp;<br>"
    assert el("img", src="data:x", alt=None) == '<img src="data:x">'
    assert text("  ") == f'<span class="empty">{NOT_FILLED}</span>'
    assert Safe("<p>")._repr_html_() == "<p>"


# -- reading ---------------------------------------------------------------------------------


def test_dates_from_notebook_parameters() -> None:
    assert Dates.of() == Dates(None, TODAY)
    assert Dates.of("2026-11-01") == Dates(dt.date(2026, 11, 1), dt.date(2026, 11, 1))
    assert Dates.of("2026-11-01T23:30:00-02:00", "2026-11-20") == Dates(
        dt.datetime(2026, 11, 2, 1, 30), dt.date(2026, 11, 20))
    with pytest.raises(CoachkitError, match="since: not a date"):
        parse_when("23.11.2026", "since")
    assert default_since(None, TODAY, 14) == TODAY - dt.timedelta(days=14)
    assert default_since(dt.datetime(2026, 11, 23, 9), TODAY, 14) == dt.datetime(2026, 11, 9, 9)


# -- the deal report -------------------------------------------------------------------------


def test_a_deal_with_only_an_id_says_not_yet_filled() -> None:
    report = DealReport.of(empty_deal("bare"), TODAY)
    page = report.all_sections()
    for section in ("story", "cost", "stakeholders", "disagreements", "risks", "confidence",
                    "plan"):
        start = page.index(f'id="{section}"')
        assert NOT_FILLED in page[start:start + 600], section
    assert "customer not yet filled" in page


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deal_documents())
def test_any_valid_deal_renders(doc: dict[str, Any]) -> None:
    deal = Deal.model_validate(doc)
    page = DealReport.of(deal, TODAY).all_sections()
    assert page.count("<section") == 12  # the verdict, ten, and deal health over time


def test_every_text_field_is_shown_escaped(demo: dict[str, Deal]) -> None:
    deal, values = hostile_deal("hostile", demo["fjordbank-onboarding"])
    assert len(values) > 80
    assert_escaped(DealReport.of(deal, TODAY).all_sections(), values)


def test_what_changed_since(tmp_path: Path, demo: dict[str, Deal]) -> None:
    location = str(tmp_path / "s.db")
    with Store(location) as store:
        store.put(demo["fjordbank-onboarding"], author="seller")
        doc = demo["fjordbank-onboarding"].to_json_dict()
        doc["deal"]["stage"] = "proposal"
        doc["confidence"]["customer"]["consensus"] = 4
        doc["disagreements"][0]["resolution_plan"] = "Workshop <b>together</b>"
        store.save(Deal.model_validate(doc), base_version=1, author="seller")
        first = store.history("fjordbank-onboarding")[0]
    since = first.saved_at.isoformat()
    page = DealReport.load(location, "fjordbank-onboarding", since=since).changes_since()
    assert "Compared version 1" in page and "with version 2" in page
    for field in ("deal.stage", "confidence.customer.consensus",
                  "disagreements[0].resolution_plan"):
        assert field not in page  # internal names never reach the manager
    for words in ("<td>Stage</td>",
                  "<td>The customer&#x27;s confidence › whether the buying group agrees</td>",
                  "<td>Disagreement ‘Ingrid Solheim vs Thomas Berg’ › Plan to resolve it</td>"):
        assert words in page
    assert "negotiation</td>" in page and "proposal</td>" in page
    assert "Workshop &lt;b&gt;together&lt;/b&gt;" in page
    assert "Findings resolved" in page and "unresolved-disagreement" not in page.split(
        "Findings resolved")[0].split("Findings that appeared")[1]
    assert "1 → 4" in page  # the customer's confidence that the buying group agrees
    # before the deal existed: its first version stands in, and the report says so
    early = DealReport.load(location, "fjordbank-onboarding", since="2000-01-01")
    assert "created after that day" in early.changes_since()


def test_changed_values_are_shown_readably() -> None:
    doc = {"risks": [{"description": "x", "owner": ""}], "problem": {"alternatives": ["a", "b"]}}
    assert value_at(doc, "risks[0].owner") == ""
    assert value_at(doc, "risks[3] (added)") is None
    assert shown(value_at(doc, "risks[0]")) == "x"
    assert shown(value_at(doc, "problem.alternatives")) == "a; b"
    assert shown(3400000.0) == "3,400,000" and shown(None) == "—" and shown(True) == "yes"
    assert shown("word " * 100).endswith("…")


def test_unreadable_version_is_a_one_line_report_error(tmp_path: Path,
                                                       demo: dict[str, Deal]) -> None:
    location = str(tmp_path / "s.db")
    with Store(location) as store:
        store.put(demo["tallis-early-discovery"], author="x")
        corrupt(store, "tallis-early-discovery")
    with pytest.raises(ReportError, match="not a valid deal"):
        DealReport.load(location, "tallis-early-discovery")
    with pytest.raises(ReportError, match="no deal 'nope'"):
        DealReport.load(location, "nope")


# -- the team report -------------------------------------------------------------------------


def test_risk_ranking(demo: dict[str, Deal]) -> None:
    coach = Coach()
    ranking = coach.settings.ranking
    rows = [deal_row(d, coach.run(d, TODAY), TODAY, ranking) for d in demo.values()]
    closed = empty_deal("won", stage="closed_won")
    rows.append(deal_row(closed, coach.run(closed, TODAY), TODAY, ranking))
    frame = team_frame(rows)
    assert list(frame["rank"]) == list(range(1, len(rows) + 1))
    assert frame["deal_id"].iloc[-1] == "won"  # closed deals last, whatever their score
    open_scores = list(frame["risk_score"].iloc[:-1])
    assert open_scores == sorted(open_scores, reverse=True)
    assert frame["deal_id"].iloc[-2] == "northwind-plant-maintenance"  # the well-run deal
    parts = risk_parts(critical=1, warnings=2, confidence=None, days_since_contact=90,
                       ranking=ranking)
    assert parts == {"critical findings": 10, "warnings": 6, "low decision confidence": 20,
                     "days since last contact": 20}


def test_csv_is_formula_safe() -> None:
    hostile = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
               "plain", "a=b"]
    assert [formula_safe(v) for v in hostile] == [
        "'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain",
        "a=b"]
    assert formula_safe(-3) == -3
    rows = [{"deal_id": f"d{i}", "customer": v, "title": v, "team": v, "seller": v,
             "stage": "proposal", "value": 10.0, "currency": "EUR", "close_date": None,
             "confidence_index": None, "consensus_index": 50, "critical": 0, "warnings": 1,
             "days_since_contact": 3, "risk_score": 1.0} for i, v in enumerate(hostile)]
    cells = [c for row in csv.reader(io.StringIO(to_csv(team_frame(rows)))) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_LEADS)]
    assert "'=HYPERLINK(\"http://x\")" in cells


def test_team_report_sections(tmp_path: Path, demo: dict[str, Deal]) -> None:
    location = str(tmp_path / "s.db")
    with Store(location) as store:
        for deal in demo.values():
            store.put(deal, author="x")
        corrupt(store, "tallis-early-discovery")
    report = TeamReport.load(location, "", linked=["fjordbank-onboarding"])
    assert len(report.frame) == len(demo) - 1
    assert [u.deal_id for u in report.unreadable_deals] == ["tallis-early-discovery"]
    table = report.attention()
    assert 'href="fjordbank-onboarding.html"' in table
    assert 'href="harbourline-crm-replacement.html"' not in table  # no report, no link
    assert "could not be read" in report.unreadable()
    assert "All deals" in report.header()
    with pytest.raises(ReportError, match="no deals in team 'nobody'"):
        TeamReport.load(location, "nobody")


def test_charts_are_self_contained_svg() -> None:
    from coachkit.reports.charts import PipelineDeal, deals_by_confidence, pipeline_value

    deals = [PipelineDeal("$5 <b>", 1000.0, "EUR", 30.0, "proposal"),
             PipelineDeal("B", 2e6, "NOK", None, "proposal")]
    import base64

    bands = load_settings().confidence
    for chart in (pipeline_value(deals, bands), deals_by_confidence(deals, bands)):
        assert chart.startswith('<img src="data:image/svg+xml;base64,')
        svg = base64.b64decode(chart.split("base64,")[1].split('"')[0]).decode()
        assert svg.startswith("<svg") and "<metadata" not in svg and "DOCTYPE" not in svg
        assert "<text" not in svg  # text drawn as paths: no font needed, nothing to inject
        assert "href=\"http" not in svg and "<script" not in svg


# -- batch logic -----------------------------------------------------------------------------


class InlineExecutor(Executor):
    """Runs each job at once, here: any concurrent.futures executor will do."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # pragma: no cover
            future.set_exception(exc)
        return future


def test_batch_keeps_going_and_links_only_rendered_reports(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    seen: list[Any] = []

    def fake_run(job: Any) -> batch.Result:
        seen.append(job)
        if job.kind == "deal" and job.subject == "b":
            return batch.Result(job.name, error="boom")
        return batch.Result(job.name, (f"{job.name}.html",))

    monkeypatch.setattr(batch, "run_job", fake_run)
    out = batch.Output(str(tmp_path))
    ref = batch.StoreRef.of(str(tmp_path / "s.db"))
    jobs = batch.Batch([batch.Job("deal", i, ref, out, heading=i) for i in "abc"],
                       batch.Job("team", "t", ref, out))
    done = batch.render_all(jobs, executor=InlineExecutor(), progress=False)
    assert [r.name for r in done.failures] == ["b"]
    assert sum(r.ok for r in done.results) == 3
    assert seen[-1].kind == "team"  # the team report comes last, once
    assert [j.linked for j in seen if j.kind == "team"] == [("a", "c")]
    assert [r.name for r in done.results] == ["a", "b", "c", "team report (t)"]


def test_failure_reasons_are_one_line() -> None:
    from papermill.exceptions import PapermillExecutionError

    exc = PapermillExecutionError(0, 1, "report.header()", "ReportError",
                                  "deal 'x' version 2: not a valid deal", ["Traceback"])
    assert batch.reason(exc) == "deal 'x' version 2: not a valid deal"
    exc = PapermillExecutionError(0, 1, "x", "KeyError", "'x'\nmore", [])
    assert batch.reason(exc) == "KeyError: 'x' more"
    assert batch.reason(ValueError("a" * 1000)).endswith("…")


def test_store_passwords_stay_out_of_notebooks(tmp_path: Path) -> None:
    plain = batch.StoreRef.of("postgresql://host/db")
    assert plain.parameter == "postgresql://host/db" and plain.env == {}
    secret = batch.StoreRef.of("postgresql://me:pw@host/db")
    assert secret.parameter == "" and secret.env == {"COACHKIT_STORE": secret.location}
    assert batch.StoreRef.of("rel.db").location == str((Path.cwd() / "rel.db").resolve())
    assert team_slug("EMEA / Industry") == "EMEA-Industry"
    assert team_slug("../../etc") == "etc" and team_slug("") == "all"


def test_fast_stack_import_leaves_rfc3987_importable() -> None:
    code = ("import sys, time\n"
            "from coachkit.engine import stack\n"
            "t = time.perf_counter(); stack.load(); took = time.perf_counter() - t\n"
            "assert 'rfc3987_syntax' not in sys.modules\n"
            "import rfc3987_syntax\n"
            "print(round(took, 2))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_kernel_is_this_python() -> None:
    from coachkit.engine.kernels import ThisPythonKernelManager

    km = ThisPythonKernelManager(kernel_name="python3")
    assert km.kernel_spec.argv[0] == sys.executable


def test_the_deal_report_kernel_stays_lean() -> None:
    code = ("import sys, datetime\n"
            "from coachkit.training.demo import demo_deals\n"
            "from coachkit.reports.deal import DealReport\n"
            "for deal in demo_deals():\n"
            "    DealReport.of(deal, datetime.date.today()).all_sections()\n"
            "heavy = [m for m in ('pandas', 'matplotlib', 'numpy', 'papermill', 'nbconvert',"
            " 'ipywidgets') if m in sys.modules]\n"
            "print('HEAVY', heavy)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


def test_parameters_cannot_inject_code() -> None:
    """Team names and ids are typed by people: papermill must pass them as data."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from coachkit.engine.render import templates_dir

    hostile = 'x"; import os; os._exit(3) #\\"\n' + PAYLOADS[0]
    nb = load_notebook_node(str(templates_dir() / KINDS["team"].notebook))
    nb = parameterize_notebook(nb, {"team": hostile, "store": "s.db", "as_of": "",
                                    "settings": "", "link_format": "html",
                                    "linked": [hostile]}, kernel_name="python3")
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.tags)
    namespace: dict[str, Any] = {}
    exec(injected.source, namespace)  # what the kernel runs before the report's cells
    assert namespace["team"] == hostile and namespace["linked"] == [hostile]


def test_cohort_hook_refuses_an_empty_cohort(tmp_path: Path, demo: dict[str, Deal]) -> None:
    """``run_report`` serves ``--cohort`` once the parser offers it (no kernel for this)."""
    from coachkit.cli import build_parser
    from coachkit.cli.report import run_report
    from coachkit.errors import CoachkitError

    location = str(tmp_path / "s.db")
    with Store(location) as store:
        store.put(demo["tallis-early-discovery"], author="x")
    args = build_parser().parse_args(["report", "--all", "--store", location, "--out",
                                      str(tmp_path / "out")])
    args.all, args.cohort = False, "nobody"
    with pytest.raises(CoachkitError, match="no workbooks in cohort 'nobody'"):
        run_report(args)
    assert batch.Job("cohort", "leeds / nov", batch.StoreRef("x"), batch.Output("o")).stem == (
        "cohort-leeds-nov")
