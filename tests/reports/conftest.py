"""The reports area's fixtures: renders shared by several test modules (made once per session
with pytest-xdist too) and a cohort's hand-ins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from coachkit.model import Deal, DealInfo
from coachkit.model.files import write_workbook
from coachkit.store import Store
from coachkit.store.tables import versions_table
from coachkit.training.collect import collect
from coachkit.training.demo import demo_deals
from coachkit.training.scenarios import download_name, load_scenario
from support.cohort import PEOPLE, SCENARIO, XSS
from support.helpers import TODAY, run_cli
from support.reporting import FORMULA, Run, hostile_deal, once_per_session


@pytest.fixture(scope="session")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every deal of a store, rendered as HTML and PDF with two workers."""
    return once_per_session(tmp_path_factory, "all-reports", _render_everything)


def _render_everything(folder: Path) -> Run:
    location = str(folder / "store.db")
    deals = {d.id: d for d in demo_deals()}
    with Store(location) as store:
        for deal in deals.values():
            store.put(deal, author="seller")
        hostile, values = hostile_deal("hostile-deal", deals["fjordbank-onboarding"])
        store.put(hostile, author="<script>alert(1)</script>")
        store.put(Deal(deal=DealInfo(id="bare-deal")), author="seller")
        store.put(Deal(deal=DealInfo(id="formula-deal", customer=FORMULA, title="+1+1",
                                     seller="-2+3", team="@SUM(A1)")), author="seller")
        # northwind changes today; its first version was saved three weeks ago
        doc = deals["northwind-plant-maintenance"].to_json_dict()
        doc["deal"]["stage"] = "negotiation"
        doc["confidence"]["customer"]["plan"] = 2
        store.save(Deal.model_validate(doc), base_version=1, author="seller")
        with store.engine.begin() as conn:
            conn.execute(sa.update(versions_table)
                         .where(versions_table.c.deal_id == "northwind-plant-maintenance")
                         .where(versions_table.c.version == 1)
                         .values(saved_at=dt.datetime.combine(TODAY - dt.timedelta(days=21),
                                                              dt.time(12))))
    code, out, err = run_cli("report", "--all", "--store", location, "--out",
                             str(folder / "out"), "--format", "both", "--workers", "2")
    return Run(code, out, err, folder / "out", location, values)


@pytest.fixture(scope="module")
def cohort_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Six hand-ins: some frame a problem, some pitch a product, one carries a script."""
    folder = tmp_path_factory.mktemp("hand-ins")
    scenario = load_scenario(SCENARIO)
    reference = scenario.reference(TODAY).to_json_dict()
    for i, person in enumerate(PEOPLE):
        doc = scenario.start(person, today=TODAY).to_json_dict()
        if i % 2 == 0:
            doc["problem"]["statement"] = reference["problem"]["statement"]
            doc["problem"]["metrics"] = reference["problem"]["metrics"]
            doc["stakeholders"] = reference["stakeholders"][: 2 + i]
        else:
            doc["problem"]["statement"] = "They need to buy a new condition monitoring system"
        if i == 3:
            doc["problem"]["statement"] = XSS
        write_workbook(Deal.model_validate(doc), folder / download_name(person, SCENARIO))
    location = str(tmp_path_factory.mktemp("cohort") / "store.db")
    with Store(location) as store:
        report = collect(folder, store, "leeds-nov", scenario=SCENARIO)
    assert report.ok and len(report.collected) == len(PEOPLE)
    return location
