"""One command writes the demo deals and the scenario workbooks back in canonical form
(``python -m coachkit.training.canonical``); the committed files are what it writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from coachkit.shipped import folder
from coachkit.training.canonical import canonical_files, canonical_text, main, stale


def test_the_ten_committed_files_are_what_the_command_writes() -> None:
    files = canonical_files()
    assert len(files) == 10, files  # 4 demo deals, 3 scenarios x (start, reference)
    assert stale() == [], "run `python -m coachkit.training.canonical` (make canonical)"
    assert main(["--check"]) == 0


def test_the_command_rewrites_what_is_not_canonical(tmp_path: Path) -> None:
    root = tmp_path / "training"
    for part in ("demo", "scenarios"):
        shutil.copytree(folder("coachkit.training") / part, root / part)
    files = canonical_files(root)
    demo, scenario = files[0], next(f for f in files if f.name.endswith(".coachkit.json"))
    doc = json.loads(demo.read_text("utf-8"))
    del doc["problem"]["statement"]  # a field with a default, as an older file lacks one
    demo.write_text(json.dumps(doc), encoding="utf-8")  # and on one line, keys unsorted
    scenario.write_bytes(scenario.read_bytes().replace(b"\n", b"\r\n"))  # Windows line ends
    command = [sys.executable, "-m", "coachkit.training.canonical", "--root", str(root)]
    check = subprocess.run([*command, "--check"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 1
    assert check.stdout.splitlines() == [f"not canonical: {demo}", f"not canonical: {scenario}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"rewrote: {demo}", f"rewrote: {scenario}"]
    assert stale(root) == []
    assert demo.read_text("utf-8") == canonical_text(demo)
    assert json.loads(demo.read_text("utf-8"))["problem"]["statement"] == ""
    assert b"\r" not in scenario.read_bytes()
