"""Every way a workbook file can be bad: one line naming the file and the field, nothing
written to the store, a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coachkit.errors import InvalidWorkbook
from coachkit.model import SCHEMA_VERSION, empty_deal
from coachkit.model.files import MAX_FILE_BYTES, parse_workbook
from coachkit.store import Store


def _good() -> dict:
    return empty_deal("good-deal", customer="Acme").to_json_dict()


def _with(path: list, value: object) -> dict:
    doc = _good()
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


BAD_FILES: dict[str, tuple[bytes, str]] = {
    # name: (content, a fragment the one line must contain besides the file name)
    "malformed": (b'{"schema_version": 1, "deal": {"id": "x",}', "not valid JSON (line 1"),
    "truncated": (json.dumps(_good()).encode()[:-20], "not valid JSON"),
    "array": (b"[1, 2, 3]", "not a coachkit workbook"),
    "other-json": (b'{"name": "package.json", "version": "1.0"}', "schema_version: missing"),
    "empty": (b"", "file is empty"),
    "whitespace": (b"  \n\t ", "file is empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8"),
    "newer": (json.dumps({**_good(), "schema_version": SCHEMA_VERSION + 1}).encode(),
              "made by a newer coachkit"),
    "version-text": (json.dumps({**_good(), "schema_version": "1"}).encode(), "schema_version"),
    "version-negative": (json.dumps({**_good(), "schema_version": -1}).encode(),
                         "schema_version"),
    "likelihood-range": (json.dumps(_with(["risks"], [{"likelihood": 9}])).encode(),
                         "risks[0].likelihood"),
    "stance-range": (json.dumps(_with(["stakeholders"], [{"name": "A", "stance": 7}])).encode(),
                     "stakeholders[0].stance"),
    "value-type": (json.dumps(_with(["deal", "value"], "a lot")).encode(), "deal.value"),
    "bool-type": (json.dumps(_with(["problem", "in_customer_words"], "perhaps")).encode(),
                  "problem.in_customer_words"),
    "list-type": (json.dumps(_with(["risks"], {"description": "x"})).encode(), "risks"),
    "unknown-key": (json.dumps(_with(["problem", "pain"], "x")).encode(),
                    "problem.pain: unknown field"),
    "unknown-top": (json.dumps({**_good(), "extra": 1}).encode(), "extra: unknown field"),
    "stranger": (json.dumps({**_good(), "stakeholders": [{"name": "Ann"}],
                             "disagreements": [{"between": ["Ann", "Bob"]}]}).encode(),
                 "disagreements[0].between[1]: 'Bob' is not a stakeholder"),
    "id-dotdot": (json.dumps(_with(["deal", "id"], "../../etc/passwd")).encode(), "deal.id"),
    "id-slash": (json.dumps(_with(["deal", "id"], "team/deal")).encode(), "deal.id"),
    "id-script": (json.dumps(_with(["deal", "id"], "<script>")).encode(), "deal.id"),
    "lone-surrogate": (b'{"schema_version": 1, "deal": {"id": "x", "customer": "\\ud800"}}',
                       "deal.customer"),
    "nul-char": (json.dumps(_with(["problem", "statement"], "a\x00b")).encode(),
                 "problem.statement"),
    "deep-nesting": (b"[" * 100_000 + b"]" * 100_000, "good"),
    "nan": (b'{"schema_version": 1, "deal": {"id": "x", "value": NaN}}', "deal.value"),
    "huge-text": (json.dumps(_with(["problem", "statement"], "x" * 30_000)).encode(),
                  "problem.statement"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_one_line_nothing_written(name: str, tmp_path: Path, cli) -> None:
    content, fragment = BAD_FILES[name]
    path = tmp_path / f"{name}.coachkit.json"
    path.write_bytes(content)
    store = tmp_path / "s.db"
    result = cli("import", "--store", str(store), str(path))
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert lines[-1] == "coachkit: nothing imported"
    assert len(lines) == 2, result.err
    assert str(path) in lines[0]
    if name != "deep-nesting":
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.err
    assert result.out == ""
    with Store(str(store)) as s:
        assert s.list_deals() == []
    # validate says the same thing
    checked = cli("validate", str(path))
    assert checked.code != 0 and checked.err.strip() == lines[0]


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path: Path, cli) -> None:
    path = tmp_path / "big.coachkit.json"
    with path.open("wb") as fh:
        fh.write(b'{"schema_version": 1, "deal": {"id": "big", "customer": "')
        fh.write(b"x" * 50_000_000)
        fh.write(b'"}}')
    result = cli("import", "--store", str(tmp_path / "s.db"), str(path))
    assert result.code == 1
    assert f"{path}: file is 50.0 MB; a workbook is at most 5 MB" in result.err
    with Store(str(tmp_path / "s.db")) as s:
        assert s.list_deals() == []


def test_in_memory_size_limit() -> None:
    with pytest.raises(InvalidWorkbook, match=r"upload\.json: file is"):
        parse_workbook(b" " * (MAX_FILE_BYTES + 1), "upload.json")


def test_one_bad_file_means_nothing_imported(tmp_path: Path, cli) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_good()))
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = cli("import", "--store", str(tmp_path / "s.db"), str(good), str(bad))
    assert result.code == 1 and "bad.json" in result.err and "good.json" not in result.err
    with Store(str(tmp_path / "s.db")) as s:
        assert s.list_deals() == []


def test_missing_file_and_folder(tmp_path: Path, cli) -> None:
    assert "cannot read" in cli("validate", str(tmp_path / "nope.json")).err
    assert "is a folder" in cli("validate", str(tmp_path)).err


def test_older_version_is_migrated(tmp_path: Path, cli) -> None:
    old = {
        "schema_version": 0,
        "deal": {"id": "old-deal", "customer": "Old Co"},
        "risks": [{"description": "budget freeze", "probability": 3, "impact": 4}],
        "stakeholders": [{"name": "Ann", "support": -2}],
        "fit": {"good_for_customer": True, "reason": "saves them money"},
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    store = tmp_path / "s.db"
    assert cli("import", "--store", str(store), str(path)).code == 0
    with Store(str(store)) as s:
        deal = s.get("old-deal").deal
    assert deal.schema_version == SCHEMA_VERSION
    assert deal.risks[0].likelihood == 3
    assert deal.stakeholders[0].stance == -2
    assert deal.fit.good_for_customer == "yes"


HOSTILE_TEXT = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE versions; --",
    "Ünïcödé — “quotes” ‘single’ ½ ß ø 日本語の顧客 中文 한국어 العربية עברית",
    "emoji 🚀👩🏽‍💻🇳🇴 and combining e\u0301 and RTL \u202eoverride",
    "zero\u200bwidth and non\u00a0breaking",
    "{{ jinja }} {% raw %} $(rm -rf /) `backticks`",
    "line one\nline two\r\n\ttabbed",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_is_kept_verbatim_as_text(text: str, tmp_path: Path, cli) -> None:
    """HTML and odd Unicode in text fields are the seller's words: stored exactly as typed,
    and only ever shown escaped (the app and reports test the showing)."""
    doc = _good()
    doc["problem"]["statement"] = text
    doc["stakeholders"] = [{"name": text.strip().splitlines()[0][:200]}]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    store = tmp_path / "s.db"
    assert cli("import", "--store", str(store), str(path)).code == 0
    exported = cli("export", "--store", str(store), "good-deal")
    back = json.loads(exported.out)
    assert back["problem"]["statement"] == text
    assert back["stakeholders"][0]["name"] == doc["stakeholders"][0]["name"]
    with Store(str(store)) as s:
        assert len(s.history("good-deal")) == 1  # the SQL text did nothing


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "deal": {"id": "x", "stage": "won"}}')
    proc = subprocess.run(
        [sys.executable, "-m", "coachkit.cli", "import", "--store", str(tmp_path / "s.db"),
         str(bad)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0].startswith(
        f"coachkit: {bad}: deal.stage (Stage): Input should be")


def test_a_pattern_is_said_in_words(tmp_path: Path, cli) -> None:
    """A refused currency or id reads as what it should be, never as a regular expression."""
    bad = tmp_path / "bad.coachkit.json"
    bad.write_text('{"schema_version": 3, "deal": {"id": "x", "currency": "eu"}}')
    result = cli("validate", str(bad))
    assert result.code != 0
    assert "deal.currency (Currency): three capital letters, like EUR (got 'eu')" in result.err
    assert "should match pattern" not in result.err and "^[A-Z]" not in result.err
