"""The cohort report: five participants' workbooks of a scenario, rendered for the debrief."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coachkit.model.files import write_workbook
from coachkit.reports.cohort import CohortReport
from coachkit.store import Store
from coachkit.training.collect import collect
from coachkit.training.scenarios import download_name, load_scenario
from support.cohort import PEOPLE, SCENARIO, XSS
from support.helpers import TODAY


def test_cohort_report_sections(cohort_store: str) -> None:
    report = CohortReport.load(cohort_store, "leeds-nov", as_of="")
    assert [e.participant for e in report.entries] == sorted(PEOPLE, key=str.lower)
    participants = report.participants()
    assert all(p in participants for p in ["Ann Lee", "Bo Ek", "Fay Okoro"])
    assert participants.count("product talk") == 2  # Bo Ek and Fay Okoro
    statements = report.statements()
    assert XSS not in statements and "&lt;script&gt;" in statements
    assert "Reference: " in statements
    reference = report.reference()
    assert re.search(r"of 6", reference)
    gaps = report.gaps()
    assert "The problem is stated as something to buy" in gaps and "of 6" in gaps
    assert "problem-as-product" not in gaps  # the rule in words, not its id


def test_unknown_cohort_is_one_line(cohort_store: str) -> None:
    from coachkit.reports.reading import ReportError

    with pytest.raises(ReportError, match="no workbooks in cohort 'nobody'"):
        CohortReport.load(cohort_store, "nobody")


@pytest.mark.slow
def test_cohort_report_renders_html_and_pdf(cohort_store: str, tmp_path: Path, cli) -> None:
    out = tmp_path / "reports"
    result = cli("report", "--cohort", "leeds-nov", "--store", cohort_store, "--out", str(out),
                 "--format", "both")
    assert result.code == 0, result.err
    html = (out / "cohort-leeds-nov.html").read_text(encoding="utf-8")
    assert "Cohort leeds-nov" in html and "Fay Okoro" in html
    assert XSS not in html and "&lt;script&gt;alert" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html)
    assert "<script src" not in html
    assert (out / "cohort-leeds-nov.pdf").read_bytes().startswith(b"%PDF")


def test_a_participant_on_the_shared_app_is_counted_once(tmp_path: Path) -> None:
    """On a shared app a participant's workbook is ``<participant>--<scenario>``; the trainer
    then collects their download as ``<cohort>--<participant>--<scenario>``: one person."""
    scenario = load_scenario(SCENARIO)
    location = str(tmp_path / "store.db")
    folder = tmp_path / "hand-ins"
    folder.mkdir()
    with Store(location) as store:
        for person in ("Ann Lee", "Bo Ek"):
            worked = scenario.start(person, cohort="leeds-nov", today=TODAY)
            store.put(worked, author=f"{person} (training)")  # as the app saves it
            write_workbook(worked, folder / download_name(person, SCENARIO))
        report = collect(folder, store, "leeds-nov", scenario=SCENARIO)
        assert report.ok
        assert len(store.list_deals(cohort="leeds-nov")) == 4  # two deals per person
    cohort = CohortReport.load(location, "leeds-nov")
    assert [e.participant for e in cohort.entries] == ["Ann Lee", "Bo Ek"]
    assert re.search(r"<dt>Participants</dt>\s*<dd>2</dd>", str(cohort.header()))
    assert "of 2" in cohort.gaps() and "of 4" not in cohort.gaps()
