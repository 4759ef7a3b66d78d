"""``coachkit collect``: a cohort's workbooks from a folder or zip into the store."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from coachkit.errors import CoachkitError
from coachkit.model import DEAL_ID_PATTERN, Deal
from coachkit.model.files import dumps
from coachkit.store import Store
from coachkit.training import collect as collect_module
from coachkit.training.collect import collect, collected_id, name_parts
from coachkit.training.scenarios import download_name, load_scenario
from support.helpers import TODAY

MILL = "paper-mill-were-different"
CARE = "home-care-buying-group"


def workbook(participant: str, scenario: str = MILL, **problem: object) -> str:
    deal = load_scenario(scenario).start(participant, today=TODAY)
    if problem:
        doc = deal.to_json_dict()
        doc["problem"].update(problem)
        deal = Deal.model_validate(doc)
    return dumps(deal)


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def cohort_ids(cli, store_path: Path, cohort: str) -> list[str]:
    result = cli("list", "--cohort", cohort, "--json", "--store", str(store_path))
    assert result.code == 0, result.err
    return sorted(d["id"] for d in json.loads(result.out))


@pytest.fixture
def hand_in(tmp_path: Path) -> Path:
    """Three participants of the mill scenario, a corrupt file, a file of another scenario,
    an exact duplicate in a sub-folder, and the junk a Mac adds to a zip."""
    return make_zip(tmp_path / "hand-in.zip", {
        download_name("Anna Schmidt", MILL): workbook("Anna Schmidt"),
        download_name("Ben Okafor", MILL): workbook("Ben Okafor"),
        download_name("Chloé Martin", MILL): workbook("Chloé Martin"),
        "broken__paper-mill-were-different.coachkit.json": '{"schema_version": 1, "deal": {',
        download_name("Dan Reyes", CARE): workbook("Dan Reyes", CARE),
        "second try/" + download_name("Anna Schmidt", MILL): workbook("Anna Schmidt"),
        "__MACOSX/._anna.json": b"\x00\x05\x16\x07",
        ".DS_Store": b"junk",
        "README.txt": "not a workbook",
    })


def test_collect_zip_imports_the_good_and_reports_the_rest(cli, hand_in, store_path) -> None:
    run = cli("collect", str(hand_in), "--cohort", "Leeds Nov", "--scenario", MILL,
              "--store", str(store_path), "--author", "trainer")
    assert run.code == 1  # something was refused ...
    assert "cohort Leeds Nov: 3 imported, 1 unchanged, 2 refused" in run.out
    err = run.err.splitlines()
    assert len(err) == 2
    assert err[0].startswith("coachkit: refused broken__paper-mill-were-different.coachkit.json:")
    assert "not valid JSON" in err[0]
    assert err[1] == (f"coachkit: refused {download_name('Dan Reyes', CARE)}: another scenario "
                      f"({CARE}), left out")
    # ... but every good file is in, each participant once, under the cohort
    ids = cohort_ids(cli, store_path, "Leeds Nov")
    assert ids == [f"leeds-nov--{p}--{MILL}" for p in ("anna-schmidt", "ben-okafor",
                                                       "chloe-martin")]
    with Store(str(store_path)) as store:
        anna = store.get(ids[0])
        assert anna.author == "trainer" and anna.version == 1
        assert anna.deal.training.cohort == "Leeds Nov"
        assert anna.deal.training.participant == "Anna Schmidt"
        assert anna.deal.training.scenario == MILL
        assert store.list_deals(cohort="Leeds Nov")[0].cohort == "Leeds Nov"


def test_second_collect_changes_nothing(cli, hand_in, store_path) -> None:
    args = ("collect", str(hand_in), "--cohort", "Leeds Nov", "--scenario", MILL,
            "--store", str(store_path))
    cli(*args)
    again = cli(*args)
    assert "0 imported, 4 unchanged, 2 refused" in again.out
    with Store(str(store_path)) as store:
        assert all(d.version == 1 for d in store.list_deals())
        assert len(store.list_deals()) == 3


def test_without_scenario_every_valid_workbook_is_collected(cli, hand_in, store_path) -> None:
    run = cli("collect", str(hand_in), "--cohort", "Leeds Nov", "--store", str(store_path))
    assert "4 imported, 1 unchanged, 1 refused" in run.out
    assert f"leeds-nov--dan-reyes--{CARE}" in cohort_ids(cli, store_path, "Leeds Nov")


def test_folder_input_recurses_and_skips_hidden_files(cli, tmp_path, store_path) -> None:
    root = tmp_path / "hand-in"
    (root / "group a").mkdir(parents=True)
    (root / ".ipynb_checkpoints").mkdir()
    (root / "__MACOSX").mkdir()
    (root / "group a" / download_name("Anna", MILL)).write_text(workbook("Anna"), "utf-8")
    (root / download_name("Ben", CARE)).write_text(workbook("Ben", CARE), "utf-8")
    (root / ".ipynb_checkpoints" / "x.json").write_text("{", "utf-8")
    (root / "__MACOSX" / "y.json").write_text("{", "utf-8")
    (root / ".hidden.json").write_text("{", "utf-8")
    (root / "notes.txt").write_text("hello", "utf-8")
    run = cli("collect", str(root), "--cohort", "Oslo", "--store", str(store_path))
    assert run.code == 0, run.err
    assert run.err == ""
    assert "2 imported, 0 unchanged, 0 refused" in run.out
    assert f"group a/{download_name('Anna', MILL)} -> oslo--anna--{MILL}" in run.out
    assert cohort_ids(cli, store_path, "Oslo") == [f"oslo--anna--{MILL}", f"oslo--ben--{CARE}"]


def test_participant_from_the_file_name(tmp_path, store) -> None:
    doc = json.loads(workbook("Placeholder"))
    doc["training"]["participant"] = ""
    doc["training"]["scenario"] = ""
    doc["deal"]["seller"] = ""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"erin-ng__{MILL} (1).coachkit.json").write_text(json.dumps(doc))
    report = collect(tmp_path / "in", store, "Leeds Nov", scenario=MILL)
    assert report.ok and len(report.imported) == 1
    deal = store.get(f"leeds-nov--erin-ng--{MILL}").deal
    assert deal.training.participant == "erin-ng"
    assert deal.training.scenario == MILL  # a known scenario id in the name counts too
    assert deal.training.cohort == "Leeds Nov"


def test_participant_from_seller_else_refused(tmp_path, store, demo) -> None:
    live = demo["northwind-plant-maintenance"]  # a participant's live deal: no training
    anonymous = live.to_json_dict()
    anonymous["deal"]["seller"] = ""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "northwind.coachkit.json").write_text(dumps(live))
    (folder / "nobody.json").write_text(json.dumps(anonymous))
    store.put(live, author="seller")
    report = collect(folder, store, "Live deals")
    assert [c.deal_id for c in report.collected] == [
        "live-deals--lena-hartmann--northwind-plant-maintenance"]
    assert report.collected[0].participant == "Lena Hartmann"
    assert [r.source for r in report.refused] == ["nobody.json"]
    assert report.refused[0].reason.startswith("no participant")
    # the live deal itself is untouched: the cohort gets a copy
    assert store.get(live.id).deal == live and store.get(live.id).version == 1


def test_same_deal_id_different_participants_are_kept_apart(tmp_path, store) -> None:
    docs = []
    for who in ("Anna", "Ben"):
        doc = json.loads(workbook(who))
        doc["deal"]["id"] = "shared-id"  # e.g. both edited the same exported file
        docs.append(doc)
    docs[1]["problem"]["statement"] = "Ben's own words"
    path = make_zip(tmp_path / "z.zip", {"a.json": json.dumps(docs[0]),
                                         "b.json": json.dumps(docs[1])})
    report = collect(path, store, "C1")
    assert report.ok and len(report.imported) == 2
    ids = {c.participant: c.deal_id for c in report.collected}
    assert ids == {"Anna": f"c1--anna--{MILL}", "Ben": f"c1--ben--{MILL}"}
    assert store.get(ids["Ben"]).deal.problem.statement == "Ben's own words"
    assert store.get(ids["Anna"]).deal.problem.statement != "Ben's own words"


def test_two_different_copies_of_one_workbook_keep_the_newer(tmp_path, store) -> None:
    old, new = workbook("Anna"), workbook("Anna", why_now="Their capex decision.")
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as z:
        z.writestr(zipfile.ZipInfo("anna (new).json", (2026, 11, 23, 15, 0, 0)), new)
        z.writestr(zipfile.ZipInfo("anna.json", (2026, 11, 23, 9, 0, 0)), old)
    for _ in range(2):  # and the same verdict, with nothing added, the second time
        report = collect(tmp_path / "z.zip", store, "C1")
        assert [c.source for c in report.collected] == ["anna (new).json"]
        assert [r.source for r in report.refused] == ["anna.json"]
        assert "kept the newer anna (new).json" in report.refused[0].reason
    deal_id = f"c1--anna--{MILL}"
    assert store.get(deal_id).deal.problem.why_now == "Their capex decision."
    assert len(store.history(deal_id)) == 1


def test_a_later_hand_in_adds_a_version(tmp_path, store) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    file = folder / download_name("Anna", MILL)
    file.write_text(workbook("Anna"))
    collect(folder, store, "C1")
    file.write_text(workbook("Anna", why_now="Their capex decision."))
    report = collect(folder, store, "C1")
    assert report.summary() == "1 imported, 0 unchanged, 0 refused"
    assert report.collected[0].version == 2


@pytest.mark.parametrize("name", ["../evil.json", "../../x.coachkit.json", "/etc/abs.json",
                                  "ok/../../up.json", "C:\\windows.json", "..\\win.json"])
def test_zip_path_traversal_is_refused_and_nothing_extracted(tmp_path, store, name) -> None:
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    path = make_zip(work / "z.zip", {name: workbook("Eve"), "good.json": workbook("Anna")})
    before = sorted(p for p in tmp_path.rglob("*") if "store.db" not in p.name)
    report = collect(path, store, "C1")
    assert [r.source for r in report.refused] == [name]
    assert "outside the zip" in report.refused[0].reason
    assert [c.participant for c in report.collected] == ["Anna"]
    after = sorted(p for p in tmp_path.rglob("*") if "store.db" not in p.name)
    assert after == before


def test_zip_member_too_large_is_refused_unread(tmp_path, store) -> None:
    big = b"{" + b" " * (6 * 1024 * 1024) + b"}"  # compresses to a few KB
    path = make_zip(tmp_path / "z.zip", {"big.json": big, "good.json": workbook("Anna")})
    assert path.stat().st_size < 100_000
    report = collect(path, store, "C1")
    assert [r.source for r in report.refused] == ["big.json"]
    assert "a workbook is at most 5 MB" in report.refused[0].reason
    assert "not read" in report.refused[0].reason
    assert len(report.imported) == 1


def test_zip_bomb_total_size_refuses_the_whole_zip(cli, tmp_path, store_path,
                                                   monkeypatch) -> None:
    monkeypatch.setattr(collect_module, "MAX_TOTAL_BYTES", 8_000)
    path = make_zip(tmp_path / "z.zip", {f"p{i}.json": workbook(f"P{i}") for i in range(8)})
    run = cli("collect", str(path), "--cohort", "C1", "--store", str(store_path))
    assert run.code == 1 and run.out == ""
    assert run.err.count("\n") == 1 and "zip bomb" in run.err
    assert cohort_ids(cli, store_path, "C1") == []


def test_zip_with_too_many_entries_is_refused(tmp_path, store, monkeypatch) -> None:
    monkeypatch.setattr(collect_module, "MAX_ENTRIES", 3)
    path = make_zip(tmp_path / "z.zip", {f"p{i}.json": "{}" for i in range(4)})
    with pytest.raises(CoachkitError, match="4 entries"):
        collect(path, store, "C1")


def test_damaged_and_encrypted_members_are_refused(tmp_path, store) -> None:
    path = make_zip(tmp_path / "z.zip", {"a.json": workbook("Anna"), "b.json": workbook("Ben")})
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("b.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10] ^= 0xFF  # corrupt b.json's compressed bytes
    path.write_bytes(bytes(data))
    report = collect(path, store, "C1")
    assert [r.source for r in report.refused] == ["b.json"]
    assert [c.participant for c in report.collected] == ["Anna"]


@pytest.mark.parametrize("kind", ["missing", "text", "fake zip", "json file"])
def test_not_a_folder_or_zip_is_one_clear_error(cli, tmp_path, store_path, kind) -> None:
    target = {
        "missing": tmp_path / "nowhere",
        "text": tmp_path / "notes.txt",
        "fake zip": tmp_path / "hand-in.zip",
        "json file": tmp_path / "anna.coachkit.json",
    }[kind]
    if kind != "missing":
        target.write_text("not a zip" if kind != "json file" else workbook("Anna"))
    run = cli("collect", str(target), "--cohort", "C1", "--store", str(store_path))
    assert run.code == 1 and run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"coachkit: {target}: ")
    expected = {"missing": "no such file or folder", "text": "not a folder or a .zip",
                "fake zip": "not a valid zip file", "json file": "not a folder or a .zip"}
    assert expected[kind] in lines[0]


def test_empty_folder_and_blank_cohort_are_errors(cli, tmp_path, store_path) -> None:
    (tmp_path / "empty").mkdir()
    run = cli("collect", str(tmp_path / "empty"), "--cohort", "C1", "--store", str(store_path))
    assert run.code == 1 and "no workbook files" in run.err
    run = cli("collect", str(tmp_path / "empty"), "--cohort", " ", "--store", str(store_path))
    assert run.code == 1 and "--cohort" in run.err


def test_list_cohort_lists_exactly_the_cohort(cli, tmp_path, store_path, demo) -> None:
    with Store(str(store_path)) as store:
        for deal in demo.values():
            store.put(deal, author="demo")
    a = make_zip(tmp_path / "a.zip", {"1.json": workbook("Anna"), "2.json": workbook("Ben")})
    b = make_zip(tmp_path / "b.zip", {"1.json": workbook("Anna")})
    assert cli("collect", str(a), "--cohort", "Leeds", "--store", str(store_path)).code == 0
    assert cli("collect", str(b), "--cohort", "Leeds 2", "--store", str(store_path)).code == 0
    result = cli("list", "--cohort", "Leeds", "--json", "--store", str(store_path))
    listed = json.loads(result.out)
    assert sorted(d["id"] for d in listed) == [f"leeds--anna--{MILL}", f"leeds--ben--{MILL}"]
    assert {d["cohort"] for d in listed} == {"Leeds"}
    assert {d["participant"] for d in listed} == {"Anna", "Ben"}
    assert {d["scenario"] for d in listed} == {MILL}
    assert cohort_ids(cli, store_path, "Leeds 2") == [f"leeds-2--anna--{MILL}"]


def test_collected_ids_are_valid_short_and_distinct() -> None:
    long_a, long_b = "A" * 60 + " one", "A" * 60 + " two"
    ids = {collected_id("Workshop " * 10, who, MILL) for who in (long_a, long_b)}
    assert len(ids) == 2
    assert all(len(i) <= 80 and re.fullmatch(DEAL_ID_PATTERN, i) for i in ids)
    assert collected_id("Leeds Nov", "Anna Schmidt", MILL) == f"leeds-nov--anna-schmidt--{MILL}"
    assert collected_id("研修", "李雷", "Deal_X-1").endswith("--Deal_X-1")
    assert re.fullmatch(DEAL_ID_PATTERN, collected_id("研修", "李雷", "Deal_X-1"))
    assert collected_id("研修", "李雷", MILL) != collected_id("研修", "王芳", MILL)


@pytest.mark.parametrize(("name", "parts"), [
    (f"anna-schmidt__{MILL}.coachkit.json", ("anna-schmidt", MILL)),
    (f"sub/dir/anna__{MILL} (2).coachkit.json", ("anna", MILL)),
    ("anna__x.json", ("anna", "x")),
    ("anna.coachkit.json", ("", "")),
    ("__x.json", ("", "")),
])
def test_name_parts(name: str, parts: tuple[str, str]) -> None:
    assert name_parts(name) == parts


def test_run_collect_prints_a_line_per_file(cli, hand_in, store_path) -> None:
    run = cli("collect", str(hand_in), "--cohort", "Leeds Nov", "--scenario", MILL,
              "--store", str(store_path))
    out = run.out.splitlines()
    assert len(out) == 5  # four collected (one of them unchanged) and the summary
    assert sum("(unchanged)" in line for line in out) == 1
    assert all(line.startswith("coachkit: refused ") for line in run.err.splitlines())
