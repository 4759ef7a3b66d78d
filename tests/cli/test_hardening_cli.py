"""Bad input on the command line and in the store: one line that says what to do, nothing
lost, no secret printed. Real processes, a real PostgreSQL server."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from coachkit.errors import CoachkitError
from coachkit.model import Deal, empty_deal
from coachkit.model.files import MAX_FILE_BYTES, canonical, dumps
from coachkit.store import Store
from coachkit.store.tables import metadata
from support.helpers import coachkit
from support.unix_users import without_privileges

pytestmark = pytest.mark.slow


def one_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The command failed with exit 1 and exactly one line on stderr, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("coachkit: ") and "internal error" not in line
    for bad in ("Traceback", "SELECT", "INSERT", "[SQL", "For further information", "pydantic"):
        assert bad not in line, line
    for needle in needles:
        assert needle in line, line
    return line


# -- files that are not files -----------------------------------------------------------------


def test_import_of_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.coachkit.json"
    os.mkfifo(fifo)
    line = one_line(coachkit("validate", str(fifo), timeout=20), "not a regular file")
    assert str(fifo) in line
    imported = coachkit("import", "--store", str(tmp_path / "s.db"), str(fifo), timeout=20)
    assert imported.returncode == 1  # a line per refused file, then what happened
    assert imported.stderr.splitlines() == [line, "coachkit: nothing imported"]


def test_a_link_to_an_endless_device_is_refused_unread(tmp_path: Path) -> None:
    link = tmp_path / "zero.coachkit.json"
    link.symlink_to("/dev/zero")
    one_line(coachkit("validate", str(link), timeout=20), "not a regular file")
    settings = tmp_path / "team.toml"
    settings.symlink_to("/dev/zero")
    one_line(coachkit("coach", "--settings", str(settings), "x", timeout=20),
             "settings:", "not a regular file")


# -- values the model refuses, ids the database cannot hold ------------------------------------


def test_values_typed_on_the_command_line(tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    one_line(coachkit("new", "--store", store, "--customer", "x" * 25_000, "--title", "t"),
             "deal.customer (Customer)", "at most 20000 characters")
    one_line(coachkit("new", "--store", store, "--customer", "Acme\x07", "--title", "t"),
             "U+0007")
    one_line(coachkit("restore", "--store", store, "99999999999999999999999"),
             "no conflict 99999999999999999999999")
    line = one_line(coachkit("show", "--store", store, "evil\x1b[31mred"))
    assert "\x1b" not in line and "\\x1b[31m" in line  # echoed, never obeyed


# -- stores that cannot be used ----------------------------------------------------------------


def test_a_read_only_store_is_one_line(tmp_path: Path) -> None:
    """Run without privileges (as root: every capability dropped), so that CI runs it too."""
    store = tmp_path / "s.db"
    Store(str(store)).close()
    store.chmod(0o400)  # read-only, and private as every store is (nothing to tighten)
    argv = [sys.executable, "-m", "coachkit.cli", "new", "--store", str(store),
            "--customer", "A", "--title", "t"]
    one_line(subprocess.run(without_privileges(argv), capture_output=True, text=True,
                            timeout=120), "read-only")
    assert store.stat().st_mode & 0o777 == 0o400


def test_a_read_only_folder_is_one_line(tmp_path: Path) -> None:
    """As root (CI), permissions do not stop a write: a read-only mount does. Here the
    database file is made unwritable the way SQLite reports it: opened read-only."""
    store = tmp_path / "s.db"
    with Store(str(store)) as s:
        s.save(empty_deal("d1"), base_version=None, author="t")
    uri = f"sqlite:///file:{store}?mode=ro&uri=true"
    one_line(coachkit("new", "--store", uri, "--customer", "A", "--title", "t"), "read-only")


def test_a_damaged_store_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    with Store(str(store)) as s:
        for i in range(40):
            s.save(empty_deal(f"d{i}", customer="x" * 3000), base_version=None, author="t")
    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(store.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 20), page):
        data[offset:offset + 200] = b"\xff" * 200
    store.write_bytes(bytes(data))
    line = one_line(coachkit("list", "--store", str(store)))
    assert "damaged" in line or "not a coachkit store" in line


def test_not_a_store_and_not_a_url(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello " * 2000)
    one_line(coachkit("list", "--store", str(text)), "not a coachkit store")
    one_line(coachkit("list", "--store", "mysql+nodriver://u:sekret@h/db"))


# -- the size limit, judged the same way in and out ---------------------------------------------


def test_export_gives_what_import_accepts(tmp_path: Path, cli) -> None:
    """A workbook is judged on its file, as export writes it: a deal whose file would be
    over the limit is refused on the way in and never stored, so every export imports."""
    def deal_of(length: int) -> Deal:
        doc = empty_deal("big").to_json_dict()
        doc["risks"] = [{"description": "r" * length} for _ in range(500)]
        return Deal.model_validate(doc)

    def sizes(length: int) -> tuple[int, int]:
        deal = deal_of(length)
        return len(canonical(deal).encode()), len(dumps(deal).encode())

    base_compact, base_file = sizes(0)
    overhead = base_file - base_compact  # what indentation adds: about 100 bytes a risk
    length = (MAX_FILE_BYTES - overhead // 2 - base_compact) // 500
    compact, file = sizes(length)
    assert compact < MAX_FILE_BYTES < file  # small enough as given, too big as exported
    path = tmp_path / "big.coachkit.json"
    path.write_text(canonical(deal_of(length)))
    store = str(tmp_path / "s.db")
    refused = cli("import", "--store", store, str(path))
    assert refused.code == 1 and "the workbook is" in refused.err, refused.err
    fits = deal_of(length - 200)
    path.write_text(canonical(fits))
    assert cli("import", "--store", store, str(path)).code == 0
    out = tmp_path / "out.coachkit.json"
    assert cli("export", "--store", store, "big", "-o", str(out)).code == 0
    assert out.stat().st_size <= MAX_FILE_BYTES
    assert cli("import", "--store", str(tmp_path / "other.db"), str(out)).code == 0
    with Store(store) as s:  # an edit that would outgrow the limit is refused, not stored
        with pytest.raises(CoachkitError, match="the workbook is"):
            s.save(deal_of(length + 100), base_version=1, author="t")
        assert s.latest_version("big") == 1


# -- PostgreSQL: passwords, dropped connections, concurrent creation, all or nothing -----------


def test_no_password_is_ever_printed(postgres, tmp_path: Path) -> None:
    url = postgres.new_database()
    secret = postgres.password
    demo = coachkit("demo", "--store", url)
    assert demo.returncode == 0, demo.stderr
    assert secret not in demo.stdout + demo.stderr and ":***@" in demo.stderr
    wrong = url.replace(secret, "not-the-password")
    line = one_line(coachkit("list", "--store", wrong), "refused the login")
    assert "not-the-password" not in line
    as_query = url.replace(f":{secret}@", "@") + f"?password={secret}"
    ok = coachkit("list", "--store", as_query)
    assert ok.returncode == 0 and secret not in ok.stdout + ok.stderr
    down = url.replace(str(postgres.port), "1")
    line = one_line(coachkit("list", "--store", down), "lost the connection")
    assert secret not in line


def test_a_dropped_connection_imports_nothing(postgres, tmp_path: Path) -> None:
    """The connection is cut in the middle of an import: one line, and not one deal."""
    url = postgres.new_database()
    database = url.rsplit("/", 1)[1]
    files = []
    for i in range(60):
        path = tmp_path / f"d{i}.coachkit.json"
        path.write_text(dumps(empty_deal(f"d{i}", customer=f"Customer {i}")))
        files.append(str(path))
    killer = tmp_path / "killer.py"
    killer.write_text(f"""
import sys, sqlalchemy as sa
sys.path.insert(0, {str(Path(__file__).parent)!r})
from coachkit.cli import main
from coachkit.store import sql
seen = []
original = sql.Store._append
def append(self, conn, *args, **kw):
    seen.append(1)
    if len(seen) == 30:
        other = sa.create_engine({url!r}.rsplit("/", 1)[0] + "/postgres")
        with other.connect() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = '{database}' AND pid <> pg_backend_pid()"))
            c.commit()
    return original(self, conn, *args, **kw)
sql.Store._append = append
sys.exit(main(["import", "--store", {url!r}, *sys.argv[1:]]))
""")
    result = subprocess.run([sys.executable, str(killer), *files], capture_output=True,
                            text=True, timeout=120)
    one_line(result, "lost the connection", "nothing was half-saved")
    assert postgres.password not in result.stderr
    with Store(url) as s:
        assert s.list_deals() == []  # all or nothing


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_many_processes_open_a_new_store_at_once(kind: str, request: pytest.FixtureRequest,
                                                  tmp_path: Path) -> None:
    if kind == "sqlite":
        location = str(tmp_path / "new.db")
    else:
        location = request.getfixturevalue("postgres").new_database()
    procs = [subprocess.Popen([sys.executable, "-m", "coachkit.cli", "new", "--store", location,
                               "--customer", f"C{i}", "--title", "t"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(8)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read())  # type: ignore[union-attr]
               for p in procs]
    assert all(code == 0 for code, _, _ in results), results
    with Store(location) as s:
        assert len(s.list_deals()) == 8
        if kind == "postgresql":
            with s.engine.connect() as conn:
                tables = conn.execute(sa.text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema='public'"))
                assert tables.scalar() == len(metadata.tables)  # each made once


def test_pool_survives_a_restarted_connection(postgres) -> None:
    """A long-lived process (the app's kernel) keeps working after its connection is cut."""
    url = postgres.new_database()
    with Store(url) as s:
        s.save(empty_deal("d1"), base_version=None, author="t")
        postgres.kill_connections(url.rsplit("/", 1)[1])
        assert s.get("d1").version == 1  # pool_pre_ping: a fresh connection, no error


def test_terminal_tables_line_up_and_stay_on_one_line(tmp_path: Path, cli) -> None:
    from coachkit.views.text import width

    store = str(tmp_path / "s.db")
    with Store(store) as s:
        s.save(empty_deal("cjk", customer="北京建材集团", title="Zwei\nZeilen"),
               base_version=None, author="t")
        s.save(empty_deal("plain", customer="Plain Ltd", title="Tab\there"),
               base_version=None, author="t")
    out = cli("list", "--store", store).out.splitlines()
    assert len(out) == 4 and "\x1b" not in "".join(out)
    header, rule = out[0], out[1]
    for line in out[2:]:  # every column starts where the header's column starts
        assert width(line[:line.index("  ") if "  " in line else len(line)]) <= width(rule)
    positions = {width(header[:header.index("TITLE")])}
    for line in out[2:]:
        title = "Zwei Zeilen" if "Zwei" in line else "Tab\\there"
        positions.add(width(line[:line.index(title)]))
    assert len(positions) == 1, out


def test_a_password_in_the_url_stays_out_of_reports(postgres, tmp_path: Path) -> None:
    """A store password (in the URL or as ?password=) reaches the report's kernel through its
    environment only: not in the kept notebook, not in the report, not on the terminal."""
    url = postgres.new_database()
    secret = postgres.password
    assert coachkit("demo", "--store", url).returncode == 0
    as_query = url.replace(f":{secret}@", "@") + f"?password={secret}"
    for location in (url, as_query):
        out = tmp_path / ("q" if "?" in location else "u")
        result = coachkit("report", "northwind-plant-maintenance", "--store", location,
                          "--out", str(out), "--keep-notebook", timeout=300)
        assert result.returncode == 0, result.stderr
        assert secret not in result.stdout + result.stderr
        for path in out.iterdir():
            assert secret not in path.read_text(encoding="utf-8"), path.name
        assert "Northwind" in (out / "northwind-plant-maintenance.html").read_text("utf-8")
