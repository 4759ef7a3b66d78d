"""The store's files are private to the seller: another user of the machine cannot copy the
deals, however the store was made (issue 18, point 9)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from coachkit.store import Store
from coachkit.store.private import private_sqlite_path
from support.unix_users import OtherUser, other_user, shared_folder


@pytest.fixture(scope="module")
def intruder() -> Iterator[OtherUser]:
    with other_user() as user:
        yield user


@pytest.fixture
def shared() -> Iterator[Path]:
    with shared_folder() as folder:
        yield folder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_of(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def test_the_default_store_is_private(cli, monkeypatch: pytest.MonkeyPatch, shared: Path,
                                      intruder: OtherUser, demo: dict) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(shared / "data"))
    monkeypatch.delenv("COACHKIT_STORE")
    result = cli("demo")
    assert result.code == 0, result.err
    db = shared / "data" / "coachkit" / "coachkit.db"
    with Store(str(db)) as store:  # open: SQLite keeps its -wal and -shm while in use
        store.put(next(iter(demo.values())), author="t")
        assert all(p.exists() for p in files_of(db))
        assert mode(db.parent) == 0o700
        assert [mode(p) for p in files_of(db)] == [0o600] * 3
        assert intruder.can_read(shared / "data")  # the folder above is the user's
        assert not intruder.can_read(db.parent)
        # even through a link to the file (no need to list the folder), nothing opens
        assert not any(intruder.can_read(p) for p in files_of(db))
    assert "made it private" not in result.err  # nothing was ever open: no notice


def test_a_chosen_store_in_an_open_folder_is_private(shared: Path, intruder: OtherUser,
                                                     demo: dict) -> None:
    (shared / "team").mkdir(mode=0o755)
    db = shared / "team" / "deals.db"
    with Store(str(db)) as store:
        store.put(next(iter(demo.values())), author="t")  # SQLite keeps -wal, -shm while open
        assert intruder.can_read(db.parent)  # the folder stays as the user made it
        assert [mode(p) for p in files_of(db)] == [0o600] * 3
        assert not any(intruder.can_read(p) for p in files_of(db))


def test_an_open_store_is_tightened_with_a_notice(cli, monkeypatch: pytest.MonkeyPatch,
                                                  shared: Path, intruder: OtherUser) -> None:
    """A store made by an older coachkit: the folder 0755, the files 0644."""
    folder = shared / "data" / "coachkit"
    folder.mkdir(parents=True)
    db = folder / "coachkit.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (x)")
    db.chmod(0o644)
    wal = db.with_name(db.name + "-wal")
    wal.write_bytes(b"")
    wal.chmod(0o644)
    assert intruder.can_read(db)  # as it was
    monkeypatch.setenv("XDG_DATA_HOME", str(shared / "data"))
    monkeypatch.delenv("COACHKIT_STORE")
    result = cli("list")
    assert result.code == 0, result.err
    notices = [line for line in result.err.splitlines() if "made it private" in line]
    assert notices == [
        f"coachkit: {folder} was open to other users of this machine (drwxr-xr-x); "
        "made it private (700)",
        f"coachkit: {db} was open to other users of this machine (-rw-r--r--); "
        "made it private (600)",
        f"coachkit: {wal} was open to other users of this machine (-rw-r--r--); "
        "made it private (600)"]
    assert mode(folder) == 0o700 and mode(db) == 0o600
    assert not wal.exists()  # SQLite folded it into the (private) file when it closed
    assert not intruder.can_read(db) and not intruder.can_read(folder)
    assert "made it private" not in cli("list").err  # once


def test_another_owners_store_is_left_as_it_is(tmp_path: Path) -> None:
    """A file this user does not own is not this user's to change (a shared team file)."""
    db = tmp_path / "s.db"
    db.write_bytes(b"")
    db.chmod(0o644)
    if os.geteuid() != 0:
        pytest.skip("needs root")
    os.chown(db, 12345, 12345)
    assert private_sqlite_path(db) == db
    assert mode(db) == 0o644


def test_tightening_only_takes_bits_away(tmp_path: Path) -> None:
    """A read-only store open to others becomes private and stays read-only (it was made
    0600, writable, before)."""
    db = tmp_path / "s.db"
    Store(str(db)).close()
    db.chmod(0o444)
    private_sqlite_path(db)
    assert mode(db) == 0o400


def test_a_file_that_is_not_a_database_is_left_as_it_is(tmp_path: Path) -> None:
    """Notes given as --store by mistake are not a store: they are not touched, and the error
    that says so is the only line (a notice came first before)."""
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    notes.chmod(0o644)
    private_sqlite_path(notes)
    assert mode(notes) == 0o644
