"""The store: versions appended, never overwritten; conflicts refused and kept."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from coachkit.clock import now
from coachkit.errors import CoachkitError, ConflictError, NotFound
from coachkit.model import Deal, empty_deal
from coachkit.store import Store, to_url


def _edit(deal: Deal, statement: str) -> Deal:
    doc = deal.to_json_dict()
    doc["problem"]["statement"] = statement
    return Deal.model_validate(doc)


def test_every_save_appends_a_version(store: Store) -> None:
    deal = empty_deal("d1", customer="Acme", team="north")
    assert store.save(deal, base_version=None, author="ann") == 1
    assert store.save(_edit(deal, "v2"), base_version=1, author="ann") == 2
    assert store.save(_edit(deal, "v3"), base_version=2, author="bob") == 3
    history = store.history("d1")
    assert [v.version for v in history] == [1, 2, 3]
    assert [v.author for v in history] == ["ann", "ann", "bob"]
    assert history[0].deal.problem.statement == ""
    assert store.get("d1").deal.problem.statement == "v3"
    assert store.get("d1", version=2).deal.problem.statement == "v2"


def test_stale_save_is_refused_and_kept(store: Store) -> None:
    deal = empty_deal("d1")
    store.save(deal, base_version=None, author="ann")
    store.save(_edit(deal, "ann's words"), base_version=1, author="ann")
    with pytest.raises(ConflictError) as info:
        store.save(_edit(deal, "bob's words"), base_version=1, author="bob")
    assert info.value.latest == 2 and info.value.base_version == 1
    assert "conflict" in str(info.value)
    assert store.get("d1").deal.problem.statement == "ann's words"
    kept = store.conflicts("d1")
    assert len(kept) == 1 and kept[0].deal.problem.statement == "bob's words"
    assert kept[0].author == "bob" and kept[0].restored_as is None
    # restoring makes bob's edit the latest; ann's stays in the history
    assert store.restore(kept[0].id, author="bob") == 3
    assert store.get("d1").deal.problem.statement == "bob's words"
    assert store.get("d1", version=2).deal.problem.statement == "ann's words"
    assert store.conflict(kept[0].id).restored_as == 3
    with pytest.raises(CoachkitError, match="already restored"):
        store.restore(kept[0].id, author="bob")


def test_creating_an_existing_id_is_a_conflict(store: Store) -> None:
    store.save(empty_deal("d1", customer="A"), base_version=None, author="ann")
    with pytest.raises(ConflictError):
        store.save(empty_deal("d1", customer="B"), base_version=None, author="bob")
    assert store.get("d1").deal.deal.customer == "A"
    assert store.conflicts("d1")[0].deal.deal.customer == "B"


def test_as_of_returns_the_version_then(store: Store) -> None:
    deal = empty_deal("d1")
    store.save(deal, base_version=None, author="a")
    store.save(_edit(deal, "later"), base_version=1, author="a")
    # move version 1 into the past, as if saved last month
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE versions SET saved_at = '2026-10-01 09:00:00.000000' WHERE version = 1")
    assert store.get("d1", as_of=dt.date(2026, 10, 1)).version == 1
    with pytest.raises(NotFound):
        store.get("d1", as_of=dt.datetime(2026, 10, 1, 8, 0))
    with pytest.raises(NotFound, match="did not exist yet"):
        store.get("d1", as_of=dt.date(2026, 9, 30))
    assert store.get("d1", as_of=now().date() + dt.timedelta(days=1)).version == 2


def test_put_is_idempotent(store: Store) -> None:
    deal = empty_deal("d1")
    assert store.put(deal, author="x") == (1, True)
    assert store.put(deal, author="x") == (1, False)
    assert store.put(_edit(deal, "new"), author="x") == (2, True)


def test_list_filters_and_header(store: Store) -> None:
    a = empty_deal("a", customer="A", team="north")
    b = empty_deal("b", customer="B", team="south")
    b = Deal.model_validate({**b.to_json_dict(), "training": {"cohort": "nov", "participant": "p1",
                                                               "scenario": "s"}})
    store.save(a, base_version=None, author="x")
    store.save(b, base_version=None, author="x")
    assert {d.id for d in store.list_deals()} == {"a", "b"}
    assert [d.id for d in store.list_deals(team="north")] == ["a"]
    assert [d.id for d in store.list_deals(cohort="nov")] == ["b"]
    assert store.list_deals(cohort="nov")[0].participant == "p1"


def test_missing_things_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get("nope")
    with pytest.raises(NotFound):
        store.history("nope")
    with pytest.raises(NotFound):
        store.conflict(99)
    store.save(empty_deal("d1"), base_version=None, author="x")
    with pytest.raises(NotFound, match="no version 7"):
        store.get("d1", version=7)


def test_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CoachkitError, match=r"not a coachkit store|cannot open"):
        Store(str(junk))


def test_a_store_from_a_newer_coachkit(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE coachkit_meta SET value = '99' WHERE key = 'store_format'")
    with pytest.raises(CoachkitError, match="newer coachkit"):
        Store(str(path))


def test_locations(tmp_path: Path) -> None:
    assert to_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert to_url(str(tmp_path / "x" / "s.db")) == f"sqlite:///{tmp_path / 'x' / 's.db'}"
    assert (tmp_path / "x").is_dir()


def test_env_and_flag_select_the_store(tmp_path: Path, cli, monkeypatch) -> None:
    env_store = tmp_path / "env.db"
    monkeypatch.setenv("COACHKIT_STORE", str(env_store))
    new_id = cli("new", "--customer", "Env Co", "--title", "t").out.strip()
    with Store(str(env_store)) as s:
        assert s.exists(new_id)
    flag_store = tmp_path / "flag.db"
    other = cli("new", "--store", str(flag_store), "--customer", "Flag Co", "--title", "t")
    with Store(str(flag_store)) as s:
        assert s.exists(other.out.strip()) and not s.exists(new_id)


def test_default_store_is_in_the_user_data_folder(monkeypatch) -> None:
    from coachkit.store import default_location

    monkeypatch.delenv("COACHKIT_STORE")
    assert default_location().endswith("coachkit.db")
    assert "coachkit" in Path(default_location()).parent.name


def test_a_store_of_an_older_format_is_upgraded(tmp_path: Path) -> None:
    """A store made by coachkit 0.1 (format 1: no CRM column) opens, upgraded in place."""
    import sqlite3

    from coachkit.store.tables import STORE_FORMAT

    path = tmp_path / "old.db"
    with Store(str(path)) as s:
        s.save(empty_deal("d1"), base_version=None, author="t")
    with sqlite3.connect(path) as conn:  # back to format 1
        conn.execute("DROP INDEX deals_by_crm_key")
        conn.execute("ALTER TABLE deals DROP COLUMN crm_key")
        conn.execute("UPDATE coachkit_meta SET value='1' WHERE key='store_format'")
    with Store(str(path)) as s:
        assert s.get("d1").version == 1
        doc = s.get("d1").deal.to_json_dict()
        doc["deal"]["crm"] = {"source": "hubspot", "record_id": "123"}
        s.save(Deal.model_validate(doc), base_version=1, author="t")
        assert s.list_deals()[0].crm_key == "hubspot:123"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM coachkit_meta").fetchone() == (
            str(STORE_FORMAT),)


def test_a_schema_1_file_is_read_as_schema_2() -> None:
    from coachkit.model.files import parse_workbook

    deal = parse_workbook(b'{"schema_version": 1, "deal": {"id": "x"}, "risks": [{}]}')
    assert deal.schema_version == 3 and deal.deal.crm.key == "" and not deal.risks[0].shared
