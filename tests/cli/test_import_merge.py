"""`coachkit import` of a workbook edited offline: merged with what was saved since the
export, never written over it."""

from __future__ import annotations

import json
from pathlib import Path

from coachkit.store import Store


def _exported(cli, store: str, deal_id: str, path: Path) -> dict:
    assert cli("export", "--store", store, deal_id, "-o", str(path)).code == 0
    return json.loads(path.read_text(encoding="utf-8"))


def _someone_saves(store: str, deal_id: str, why_now: str, author: str = "maria") -> int:
    with Store(store) as s:
        found = s.get(deal_id)
        deal = found.deal.model_copy(deep=True)
        deal.problem.why_now = why_now
        return s.save(deal, base_version=found.version, author=author)


def test_offline_edits_merge_with_a_save_made_since_the_export(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    path = tmp_path / "offline.coachkit.json"
    doc = _exported(cli, store, "northwind-plant-maintenance", path)
    doc["problem"]["root_cause"] = "edited on the train"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    theirs = _someone_saves(store, "northwind-plant-maintenance", "saved in the office")
    done = cli("import", "--store", store, "--author", "sam", str(path))
    assert done.code == 0 and done.out.strip() == "northwind-plant-maintenance"
    assert f"merged with maria's change to “Why now” (version {theirs})" in done.err
    with Store(store) as s:
        latest = s.get("northwind-plant-maintenance")
    assert latest.version == theirs + 1 and latest.author == "sam"
    assert latest.deal.problem.why_now == "saved in the office"  # not written over
    assert latest.deal.problem.root_cause == "edited on the train"
    again = cli("import", "--store", store, "-v", str(path))  # the same file once more
    assert again.code == 0 and "(unchanged)" in again.out  # its edits are in: nothing added
    with Store(store) as s:
        assert s.get("northwind-plant-maintenance").version == latest.version


def test_a_field_both_changed_stops_the_import_until_a_preference(tmp_path: Path,
                                                                 cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    path = tmp_path / "offline.coachkit.json"
    doc = _exported(cli, store, "fjordbank-onboarding", path)
    doc["problem"]["why_now"] = "the file's reason"
    doc["problem"]["root_cause"] = "the file's root cause"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    theirs = _someone_saves(store, "fjordbank-onboarding", "the office's reason")
    stopped = cli("import", "--store", store, str(path))
    assert stopped.code == 1
    assert (f"{path}: deal fjordbank-onboarding: maria saved version {theirs} since the "
            "export, and both changed “Why now”; use --prefer mine or --prefer theirs"
            ) in stopped.err
    assert "nothing imported" in stopped.err
    with Store(store) as s:
        assert s.latest_version("fjordbank-onboarding") == theirs
    kept = cli("import", "--store", store, "--prefer", "theirs", str(path))
    assert kept.code == 0
    with Store(store) as s:
        latest = s.get("fjordbank-onboarding").deal
    assert latest.problem.why_now == "the office's reason"
    assert latest.problem.root_cause == "the file's root cause"


def test_prefer_mine_takes_the_file_for_fields_both_changed(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    path = tmp_path / "offline.coachkit.json"
    doc = _exported(cli, store, "fjordbank-onboarding", path)
    doc["problem"]["why_now"] = "the file's reason"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _someone_saves(store, "fjordbank-onboarding", "the office's reason")
    assert cli("import", "--store", store, "--prefer", "mine", str(path)).code == 0
    with Store(store) as s:
        history = [v.deal.problem.why_now for v in s.history("fjordbank-onboarding")]
    assert history[-2:] == ["the office's reason", "the file's reason"]  # both kept


def test_a_file_without_its_origin_is_saved_on_top_as_before(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    path = tmp_path / "plain.coachkit.json"
    doc = _exported(cli, store, "tallis-early-discovery", path)
    del doc["edited_from"]
    doc["problem"]["root_cause"] = "from a file of unknown origin"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert cli("import", "--store", store, str(path)).code == 0
    with Store(store) as s:
        assert s.get("tallis-early-discovery").deal.problem.root_cause.startswith("from a")


def test_a_bad_origin_is_one_clear_line(tmp_path: Path, cli) -> None:
    store = str(tmp_path / "s.db")
    cli("demo", "--store", store)
    path = tmp_path / "bad.coachkit.json"
    doc = _exported(cli, store, "tallis-early-discovery", path)
    doc["edited_from"] = "yesterday"
    path.write_text(json.dumps(doc), encoding="utf-8")
    bad = cli("import", "--store", store, str(path))
    assert bad.code == 1 and "edited_from: not a version fingerprint" in bad.err
    assert "Traceback" not in bad.err
