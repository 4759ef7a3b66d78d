"""``coachkit import-crm``: the pipeline into the store, again and again, never a duplicate,
never a seller's change story touched, all or nothing even against concurrent saves.

The exports under tests/data/crm/ are shaped like the real ones; ``salesforce_dataloader_later``
is the same Data Loader export a week later (a stage moved, amounts and a close date changed,
an owner handed over, one account cell left empty, one new opportunity).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from coachkit.crm import read_crm_export
from coachkit.crm.importer import Action, import_rows, plan_import
from coachkit.errors import CoachkitError, StaleError
from coachkit.model import Deal, Stage
from coachkit.reports.team import deal_row, team_frame, to_csv
from coachkit.store import Store
from support.helpers import TEST_DATA

DATA = TEST_DATA / "crm"
DATALOADER = str(DATA / "salesforce_dataloader.csv")
LATER = str(DATA / "salesforce_dataloader_later.csv")
NORTHWIND = "salesforce:0068d00000Kx2PqAAJ"
UMBRELLA = "salesforce:0068d00000Pq9WxAAJ"
TYRELL = "salesforce:0068d00000Yf4HiAAJ"


def by_key(store: Store) -> dict[str, Deal]:
    """Every deal of the store by its CRM key (asserting there is one deal per key)."""
    deals = [store.get(s.id).deal for s in store.list_deals()]
    keys = [d.deal.crm.key for d in deals]
    assert len(keys) == len(set(keys)), "a CRM record has two deals"
    return dict(zip(keys, deals, strict=True))


def with_story(deal: Deal) -> Deal:
    """The deal after a seller's work on its change story (and a header edit of theirs)."""
    doc = deal.to_json_dict()
    doc["deal"]["compelling_event"] = "The old warehouse system is switched off in June"
    doc["problem"]["statement"] = "We cannot see stock across our four warehouses."
    doc["problem"]["in_customer_words"] = True
    doc["stakeholders"] = [{"name": "Ada Brandt", "role": "economic_buyer", "stance": 3}]
    doc["plan"] = [{"milestone": "Site visit", "customer_owner": "Ada Brandt"}]
    return Deal.model_validate(doc)


def story_of(deal: Deal) -> dict:
    """Everything but the header fields a CRM import owns."""
    doc = deal.to_json_dict()
    for name in ("customer", "title", "value", "currency", "stage", "close_date", "seller"):
        doc["deal"].pop(name)
    return doc


def save_story(store: Store, key: str) -> Deal:
    deal_id = store.deal_ids_by_crm_key([key])[key]
    found = store.get(deal_id)
    edited = with_story(found.deal)
    store.save(edited, base_version=found.version, author="seller")
    return edited


# -- first import, and the same export again ------------------------------------------------


def test_first_import_starts_a_deal_per_record(cli, store_path: Path) -> None:
    result = cli("import-crm", DATALOADER, "--from", "salesforce", "--team", "EMEA",
                 "--store", str(store_path), "--author", "ops")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[-1] == ("10 deals in salesforce_dataloader.csv: 10 created, 0 updated, "
                         "0 unchanged")
    with Store(str(store_path)) as store:
        deals = by_key(store)
        assert len(deals) == 10
        northwind = deals[NORTHWIND]
        assert lines[0] == (f"created\t{northwind.id}\t{NORTHWIND}\tNorthwind Traders · "
                            "Northwind - Warehouse analytics")
        info = northwind.deal
        assert northwind.id.startswith("northwind-traders-")
        assert (info.customer, info.title, info.value, info.currency, info.stage,
                str(info.close_date), info.seller, info.team) == (
            "Northwind Traders", "Northwind - Warehouse analytics", 1250000.0, "USD",
            Stage.proposal, "2027-03-31", "Dana Whitfield", "EMEA")
        assert (info.crm.source, info.crm.record_id) == ("salesforce", "0068d00000Kx2PqAAJ")
        # the change story starts empty, as every workbook does ("Do nothing" included)
        assert northwind.problem.alternatives == ["Do nothing"]
        assert northwind.plan == [] and northwind.stakeholders == []
        assert store.history(northwind.id)[0].author == "ops"


def test_the_same_export_again_adds_nothing(cli, store_path: Path) -> None:
    assert cli("import-crm", DATALOADER, "--from", "salesforce", "--store",
               str(store_path)).code == 0
    again = cli("import-crm", DATALOADER, "--from", "salesforce", "--store", str(store_path))
    assert again.code == 0
    assert again.out.splitlines()[-1].endswith("0 created, 0 updated, 10 unchanged")
    assert all(line.startswith("unchanged\t") for line in again.out.splitlines()[:-1])
    with Store(str(store_path)) as store:
        assert len(store.list_deals()) == 10
        assert {s.version for s in store.list_deals()} == {1}


def test_a_report_export_finds_the_deals_of_a_data_loader_export(store: Store) -> None:
    """Reports show 15-character ids, Data Loader 18: the same opportunity, the same deal."""
    import_rows(store, read_crm_export(DATALOADER, "salesforce"), author="ops")
    plan = import_rows(store, read_crm_export(DATA / "salesforce_report.csv", "salesforce"),
                       author="ops")
    assert [c.action for c in plan.changes].count(Action.created) == 2  # SocGen, Müller
    assert len(store.list_deals()) == 12


# -- a later export: the header moves, the change story stays ---------------------------------


def test_a_later_export_updates_only_the_header(cli, store_path: Path) -> None:
    assert cli("import-crm", DATALOADER, "--from", "salesforce", "--team", "EMEA",
               "--store", str(store_path)).code == 0
    with Store(str(store_path)) as store:
        before = save_story(store, NORTHWIND)
        umbrella_before = by_key(store)[UMBRELLA]
    result = cli("import-crm", LATER, "--from", "salesforce", "--store", str(store_path),
                 "--author", "ops")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == (
        "11 deals in salesforce_dataloader_later.csv: 1 created, 3 updated, 7 unchanged")
    with Store(str(store_path)) as store:
        deals = by_key(store)
        assert len(deals) == 11
        northwind = deals[NORTHWIND]
        assert f"updated\t{northwind.id}\t{NORTHWIND}\tValue, Stage, Close date" in result.out
        info = northwind.deal
        assert (info.value, info.stage, str(info.close_date)) == (
            1180000.0, Stage.negotiation, "2027-03-15")
        # the seller's work, and the team (no --team this time), exactly as it was
        assert story_of(northwind) == story_of(before)
        assert info.team == "EMEA"
        history = store.history(northwind.id)
        assert [v.version for v in history] == [1, 2, 3]
        assert [v.author for v in history][1:] == ["seller", "ops"]
        # an empty cell does not erase what the deal has
        assert deals[UMBRELLA] == umbrella_before
        hooli = next(d for d in deals.values() if d.deal.title.startswith("Hooli"))
        assert hooli.deal.seller == "Lee Okafor"
        # formula-looking cells are kept as text
        tyrell = deals[TYRELL].deal
        assert (tyrell.title, tyrell.customer, tyrell.seller, tyrell.value) == (
            "=Tyrell - Replicant fleet", "@Tyrell Corporation", "-Rachael", 2400000.0)


def test_team_is_set_only_when_given(store: Store) -> None:
    rows = read_crm_export(DATALOADER, "salesforce")
    import_rows(store, rows, author="ops")
    assert {s.team for s in store.list_deals()} == {""}
    plan = import_rows(store, rows, author="ops", team="Industry")
    assert {c.action for c in plan.changes} == {Action.updated}
    assert {c.fields for c in plan.changes} == {("team",)}
    assert {s.team for s in store.list_deals()} == {"Industry"}
    assert {c.action for c in import_rows(store, rows, author="ops").changes} == {
        Action.unchanged}


def test_dry_run_prints_and_saves_nothing(cli, store_path: Path) -> None:
    first = cli("import-crm", DATALOADER, "--from", "salesforce", "--dry-run",
                "--store", str(store_path))
    assert first.code == 0
    assert first.out.splitlines()[0] == (f"would create\t(new)\t{NORTHWIND}\tNorthwind Traders"
                                         " · Northwind - Warehouse analytics")
    assert first.out.splitlines()[-1] == ("dry run, nothing saved: 10 deals in "
                                          "salesforce_dataloader.csv (10 created, 0 updated, "
                                          "0 unchanged)")
    with Store(str(store_path)) as store:
        assert store.list_deals() == []
    assert cli("import-crm", DATALOADER, "--from", "salesforce", "--store",
               str(store_path)).code == 0
    later = cli("import-crm", LATER, "--from", "salesforce", "--dry-run", "--store",
                str(store_path))
    assert "would update\t" in later.out and "would create\t(new)\t" + TYRELL in later.out
    with Store(str(store_path)) as store:
        assert len(store.list_deals()) == 10
        assert {s.version for s in store.list_deals()} == {1}


# -- all or nothing ---------------------------------------------------------------------------


def test_one_bad_row_and_nothing_is_imported(cli, store_path: Path) -> None:
    bad = str(DATA / "salesforce_bad_rows.csv")
    result = cli("import-crm", bad, "--from", "salesforce", "--store", str(store_path))
    assert result.code == 1 and result.out == ""
    lines = result.err.splitlines()
    assert lines[0] == "coachkit: row 3, column 'Amount': not an amount: '12,50,0'"
    assert "coachkit: row 5, column 'Name': empty (every deal needs a name)" in lines
    assert lines[-1].startswith(f"coachkit: {bad}: 9 problems in 8 rows, nothing imported")
    assert len(lines) == 10
    with Store(str(store_path)) as store:
        assert store.list_deals() == []


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "pipedrive"], "unknown source 'pipedrive': use salesforce, hubspot or a "
                              "mapping file (.toml)"),
    (["--from", "hubspot"], "it looks like a Salesforce export (--from salesforce)"),
])
def test_wrong_source_is_one_line(cli, store_path: Path, args: list[str], message: str) -> None:
    result = cli("import-crm", DATALOADER, *args, "--store", str(store_path))
    assert result.code == 1
    assert message in result.err.splitlines()[-1]  # the last line sums it up
    assert all(line.startswith("coachkit: ") for line in result.err.splitlines())


def test_hubspot_and_a_mapped_export(cli, store_path: Path) -> None:
    hubspot = cli("import-crm", str(DATA / "hubspot_deals.csv"), "--from", "hubspot",
                  "--store", str(store_path))
    assert hubspot.code == 0, hubspot.err
    mapped = cli("import-crm", str(DATA / "custom.csv"), "--from",
                 str(DATA / "custom_mapping.toml"), "--store", str(store_path))
    assert mapped.code == 0, mapped.err
    with Store(str(store_path)) as store:
        deals = by_key(store)
    assert len(deals) == 13
    zurich = deals["hubspot:18442215611"].deal
    assert (zurich.customer, zurich.value, zurich.currency, str(zurich.close_date)) == (
        "Zürich Versicherung", 45000.0, "EUR", "2027-04-30")  # HubSpot names no currency
    no_company = deals["hubspot:18442215613"]
    assert no_company.deal.customer == "" and no_company.id.startswith("acme-analytics-renewal-")
    cafe = deals["pipedrive:103"].deal
    assert (cafe.customer, cafe.value, cafe.stage) == ("Café Sonne", 980.0, Stage.discovery)


def test_formula_cells_stay_safe_in_the_team_csv(store: Store) -> None:
    from coachkit.coaching.coach import Coach
    from support.helpers import TODAY

    import_rows(store, read_crm_export(LATER, "salesforce"), author="ops")
    deal = by_key(store)[TYRELL]
    coach = Coach()
    csv = to_csv(team_frame([deal_row(deal, coach.run(deal, TODAY), TODAY,
                                      coach.settings.ranking)]))
    assert "'=Tyrell - Replicant fleet" in csv and "'@Tyrell Corporation" in csv
    assert "'-Rachael" in csv


def test_a_record_claimed_by_two_deals_is_refused(store: Store) -> None:
    import_rows(store, read_crm_export(DATALOADER, "salesforce"), author="ops")
    northwind = by_key(store)[NORTHWIND]
    copy = northwind.model_copy(update={"deal": northwind.deal.model_copy(
        update={"id": "northwind-copy"})})
    store.save(copy, base_version=None, author="seller")
    with pytest.raises(CoachkitError, match=f"deals northwind-copy and {northwind.id} both come "
                                            f"from CRM record {NORTHWIND}"):
        import_rows(store, read_crm_export(LATER, "salesforce"), author="ops")


# -- concurrent saves ---------------------------------------------------------------------------


def store_of(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    if kind == "postgresql":
        return Store(request.getfixturevalue("postgres").new_database())
    return Store(str(tmp_path / "store.db"))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_seller_saving_in_between_is_never_overwritten(
        kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    with store_of(kind, tmp_path, request) as store:
        import_rows(store, read_crm_export(DATALOADER, "salesforce"), author="ops")
        later = read_crm_export(LATER, "salesforce")
        plan = plan_import(store, later)  # read ...
        seller = save_story(store, NORTHWIND)  # ... a seller saves ...
        with pytest.raises(StaleError):  # ... and the write of the stale plan is refused
            store.save_many(plan.writes, author="ops")
        assert by_key(store)[NORTHWIND] == seller  # whole: nothing of the plan was saved
        assert len(store.list_deals()) == 10 and store.conflicts() == []
        # the import reads again: the header goes on top of the seller's version
        import_rows(store, later, author="ops")
        northwind = by_key(store)[NORTHWIND]
        assert story_of(northwind) == story_of(seller)
        assert northwind.deal.stage == Stage.negotiation


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_imports_of_one_new_record_make_one_deal(
        kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    rows = read_crm_export(DATALOADER, "salesforce")
    with store_of(kind, tmp_path, request) as store:
        first, second = plan_import(store, rows), plan_import(store, rows)
        store.save_many(first.writes, author="one")
        with pytest.raises(StaleError):
            store.save_many(second.writes, author="two")
        assert {c.action for c in import_rows(store, rows, author="two").changes} == {
            Action.unchanged}
        assert len(by_key(store)) == 10


class SellerSavesFirst(Store):
    """A real store in which a seller saves the Northwind deal just before the import's
    first write: what a busy team server does to an import now and then."""

    def __init__(self, location: str):
        super().__init__(location)
        self.raced = False

    def save_many(self, items: Sequence[tuple[Deal, int | None]], *, author: str) -> list[int]:
        if not self.raced:
            self.raced = True
            save_story(self, NORTHWIND)
        return super().save_many(items, author=author)


def test_the_import_retries_once_after_a_seller_saved(store_path: Path) -> None:
    with Store(str(store_path)) as store:
        import_rows(store, read_crm_export(DATALOADER, "salesforce"), author="ops")
    with SellerSavesFirst(str(store_path)) as store:
        plan = import_rows(store, read_crm_export(LATER, "salesforce"), author="ops")
        assert store.raced and plan.count(Action.updated) == 3
        northwind = by_key(store)[NORTHWIND]
        assert northwind.problem.statement.startswith("We cannot see stock")
        assert northwind.deal.stage == Stage.negotiation
        assert [v.author for v in store.history(northwind.id)] == ["ops", "seller", "ops"]


# -- a real pipeline's size ---------------------------------------------------------------------


def pipeline_export(path: Path, deals: int, *, stage: str = "Prospecting") -> str:
    from coachkit.crm.cells import salesforce_id

    lines = ['"Id","Name","Account.Name","Amount","StageName","CloseDate","Owner.Name"']
    for n in range(deals):
        record = salesforce_id(f"0068d{n:010d}")
        lines.append(f'"{record}","Deal {n}","Customer {n % 300}","{1000 + n:,}.00",'
                     f'"{stage}","{1 + n % 12}/28/2027","Seller {n % 7}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_a_thousand_row_export(cli, tmp_path: Path, store_path: Path) -> None:
    first = pipeline_export(tmp_path / "pipeline.csv", 1000)
    started = time.perf_counter()
    result = cli("import-crm", first, "--from", "salesforce", "--store", str(store_path))
    took = time.perf_counter() - started
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1].endswith("1000 created, 0 updated, 0 unchanged")
    moved = pipeline_export(tmp_path / "pipeline-later.csv", 1000, stage="Qualification")
    again = cli("import-crm", moved, "--from", "salesforce", "--store", str(store_path))
    assert again.out.splitlines()[-1].endswith("0 created, 1000 updated, 0 unchanged")
    with Store(str(store_path)) as store:
        deals = store.list_deals()
    assert len(deals) == 1000 and {(s.stage, s.version) for s in deals} == {
        ("qualification", 2)}
    assert took < 60, f"1,000 rows took {took:.1f} s"
