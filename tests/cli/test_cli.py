"""The coachkit command: every subcommand, its help, and the demo round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coachkit.cli import build_parser
from coachkit.model.files import fingerprint, read_workbook
from coachkit.store import Store

SUBCOMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command: str, cli) -> None:
    result = cli(command, "--help")
    assert result.code == 0 and "usage: coachkit" in result.out


@pytest.mark.parametrize(("args", "says"), [
    (["bogus"], "coachkit: argument COMMAND: invalid choice: 'bogus'"),
    (["list", "--bogus"], "coachkit: unrecognized arguments: --bogus"),
    (["report", "--all", "--workers", "x"], "coachkit report: argument --workers: invalid int"),
    (["review", "some-deal"], "coachkit review: the following arguments are required: --by"),
])
def test_usage_mistakes_are_one_line(args: list[str], says: str, cli) -> None:
    result = cli(*args)
    assert result.code == 2 and result.out == ""
    line, = result.err.splitlines()
    assert line.startswith(says) and line.endswith("--help)"), line


def test_contracted_subcommands_exist() -> None:
    assert {"schema", "validate", "import", "export", "list", "show", "history", "new",
            "demo"} <= set(SUBCOMMANDS)


def test_help_does_not_import_the_heavy_stack() -> None:
    code = (
        "import sys\n"
        "from coachkit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'papermill', 'nbconvert', 'nbformat', 'ipywidgets',"
        " 'voila', 'sqlalchemy', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "HEAVY []" in proc.stderr


def test_no_command_prints_help(cli) -> None:
    result = cli()
    assert result.code == 2 and "COMMAND" in result.out


def test_demo_import_list_show_export_round_trip(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    loaded = cli("demo", "--store", store)
    assert loaded.code == 0
    ids = [line.split("\t")[0] for line in loaded.out.splitlines()]
    assert len(ids) >= 4
    assert "(unchanged)" in cli("demo", "--store", store).out  # loading twice adds nothing

    listed = json.loads(cli("list", "--store", store, "--json").out)
    assert {d["id"] for d in listed} == set(ids)
    assert all({"id", "customer", "title", "team", "stage", "value"} <= set(d) for d in listed)
    table = cli("list", "--store", store).out
    assert all(i in table for i in ids)

    for deal_id in ids:
        shown = cli("show", "--store", store, deal_id)
        assert shown.code == 0 and deal_id in shown.out
        out = tmp_path / f"{deal_id}.coachkit.json"
        assert cli("export", "--store", store, deal_id, "-o", str(out)).code == 0
        # a fresh store: import the export, export again, byte for byte the same
        other = str(tmp_path / "other.db")
        assert cli("import", "--store", other, str(out)).out.strip() == deal_id
        again = cli("export", "--store", other, deal_id)
        assert again.out == out.read_text(encoding="utf-8")
        exported = json.loads(again.out)
        exported.pop("reviews", None)  # they travel with the file; `show` is the deal alone
        with Store(store) as opened:  # the file names the version it was exported from
            assert exported.pop("edited_from") == fingerprint(opened.get(deal_id).deal)
        assert json.loads(cli("show", "--store", store, deal_id, "--json").out) == exported


def test_list_filters(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    teams = {d["team"] for d in json.loads(cli("list", "--store", store, "--json").out)}
    assert len(teams) >= 2
    team = sorted(teams)[0]
    only = json.loads(cli("list", "--store", store, "--team", team, "--json").out)
    assert only and all(d["team"] == team for d in only)
    assert json.loads(cli("list", "--store", store, "--cohort", "none", "--json").out) == []
    assert cli("list", "--store", str(tmp_path / "empty.db")).out.startswith("no deals")


def test_list_shows_whole_ids(tmp_path: Path, cli) -> None:
    """A workshop's ids are long (``<cohort>--<participant>--<scenario>``): the other commands
    need them whole, so `list` never cuts them."""
    from coachkit.model.files import write_workbook
    from coachkit.training.scenarios import download_name, load_scenario

    store = str(tmp_path / "s.db")
    folder = tmp_path / "hand-ins"
    folder.mkdir()
    scenario = load_scenario("paper-mill-were-different")
    name = "Robin Ashdown-Fairweather"
    write_workbook(scenario.start(name), folder / download_name(name, scenario.id))
    assert cli("collect", str(folder), "--cohort", "leeds-november-2026", "--store",
               store).code == 0
    deal_id = "leeds-november-2026--robin-ashdown-fairweather--paper-mill-were-different"
    listed = cli("list", "--store", store).out.splitlines()
    assert listed[2].split()[0] == deal_id
    assert cli("show", "--store", store, listed[2].split()[0]).code == 0


def test_scenarios_print_whole_links(cli) -> None:
    """Links anyone can open: the local app's and Binder's, each a whole URL."""
    from urllib.parse import parse_qs, unquote, urlsplit

    out = cli("scenarios", "--cohort", "leeds nov").out.splitlines()
    local = [line.split(": ", 1)[1] for line in out if line.startswith("  local app: ")]
    binder = [line.split(": ", 1)[1].strip() for line in out if line.startswith("  Binder: ")]
    assert len(local) == len(binder) == 3
    for link in local:
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc, parts.path) == ("http", "127.0.0.1:8866", "/")
        assert parse_qs(parts.query)["cohort"] == ["leeds nov"]
    for link in binder:
        parts = urlsplit(link)
        assert parts.scheme == "https" and parts.netloc == "mybinder.org"
        assert parts.path == "/v2/gh/coachkit/coachkit/HEAD"
        urlpath = parse_qs(parts.query)["urlpath"][0]
        path, _, query = urlpath.partition("?")
        assert path == "voila/render/workbooks/coachkit.ipynb"
        assert parse_qs(query)["cohort"] == ["leeds nov"] and "scenario" in parse_qs(query)
        assert unquote(link) != link  # the urlpath is encoded: it survives Binder's redirect
    other = cli("scenarios", "--binder", "trainer/workshop@main", "--app-url",
                "http://127.0.0.1:9000").out
    assert "https://mybinder.org/v2/gh/trainer/workshop/main?urlpath=" in other
    assert "http://127.0.0.1:9000/?scenario=" in other
    bad = cli("scenarios", "--binder", "not a repo")
    assert bad.code != 0 and bad.err.count("\n") == 1 and "--binder" in bad.err


def test_new_then_history_and_conflict_commands(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    new = cli("new", "--store", store, "--customer", "Ölwerke Nord AG", "--title", "Uptime",
              "--seller", "Sam", "--team", "north", "--author", "sam")
    deal_id = new.out.strip()
    assert new.code == 0 and deal_id.startswith("olwerke-nord-ag-")
    path = tmp_path / "d.json"
    cli("export", "--store", store, deal_id, "-o", str(path))
    doc = json.loads(path.read_text())
    doc["problem"]["why_now"] = "the audit in March"
    path.write_text(json.dumps(doc))
    assert cli("import", "--store", store, "--author", "ann", str(path)).code == 0
    history = cli("history", "--store", store, deal_id).out
    assert "created" in history and "problem" in history and "ann" in history
    assert cli("conflicts", "--store", store).out.strip() == "no conflicts"

    from coachkit.errors import ConflictError
    from coachkit.store import Store

    bobs = read_workbook(path).model_copy(deep=True)
    bobs.problem.why_now = "bob thinks: the budget cycle"
    with Store(store) as s, pytest.raises(ConflictError):
        s.save(bobs, base_version=1, author="bob")
    listed = cli("conflicts", "--store", store, deal_id).out
    assert listed.startswith("1\t") and "bob" in listed
    restored = cli("restore", "--store", store, "1")
    assert restored.code == 0 and restored.out.strip() == f"{deal_id}\tversion 3"
    assert "Kept conflicts" in cli("history", "--store", store, deal_id).out


def test_show_as_of_and_errors(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    assert cli("show", "--store", store, "nope").err.strip() == (
        "coachkit: no deal 'nope' in the store")
    old = cli("show", "--store", store, "tallis-early-discovery", "--as-of", "2001-01-01")
    assert old.code == 1 and "did not exist yet" in old.err
    bad = cli("show", "--store", store, "x", "--as-of", "soon")
    assert bad.code == 2 and "not a date" in bad.err


def test_schema_command_prints_json_schema(cli) -> None:
    result = cli("schema")
    schema = json.loads(result.out)
    assert result.code == 0 and "deal" in schema["properties"]


def test_unusable_store_is_one_line(tmp_path: Path, cli) -> None:
    result = cli("list", "--store", "nosuchdriver://x/y")
    assert result.code == 1 and result.err.startswith("coachkit: store:")
    assert "Traceback" not in result.err


def test_exported_files_have_the_usual_mode(tmp_path: Path, cli) -> None:
    """A workbook file is an ordinary file: 0644 under umask 022, 0600 under 077."""
    import os
    import stat

    store = str(tmp_path / "s.db")
    deal_id = cli("new", "--store", store, "--customer", "Acme", "--title", "t").out.strip()
    for umask, mode in ((0o022, 0o644), (0o077, 0o600)):
        old = os.umask(umask)
        try:
            out = tmp_path / f"out-{umask:o}.coachkit.json"
            assert cli("export", "--store", store, deal_id, "-o", str(out)).code == 0
        finally:
            os.umask(old)
        assert stat.S_IMODE(out.stat().st_mode) == mode
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind
