"""The demo deals and the scenario workbooks, kept canonical: one command writes them back.

``python -m coachkit.training.canonical`` (or ``make canonical``) rewrites every demo deal
(``training/demo/*.json``) and every scenario's start and reference workbook
(``training/scenarios/*/*.coachkit.json``) as :func:`coachkit.model.files.dumps` writes
them: migrated to the current schema version, a new field's default filled in, keys in
order. Run it after a change to the model; ``--check`` only lists the files that would
change (and exits 1 if any would), which is what the tests hold the committed files to.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from coachkit.model.files import SUFFIX, dumps, load_workbook
from coachkit.shipped import folder


def canonical_files(root: Path | None = None) -> list[Path]:
    """The demo deals and the scenarios' workbooks under ``root`` (the installed
    ``coachkit.training`` folder, in a checkout the source tree), sorted."""
    root = root or folder("coachkit.training")
    return sorted([*(root / "demo").glob("*.json"), *(root / "scenarios").glob(f"*/*{SUFFIX}")])


def canonical_text(path: Path) -> str:
    """What the file should hold: its workbook (deal and reviews) as ``dumps`` writes it."""
    book = load_workbook(path.read_bytes(), str(path))
    return dumps(book.deal, book.reviews)


def stale(root: Path | None = None) -> list[Path]:
    """The files whose bytes are not their canonical text's (line ends included)."""
    return [p for p in canonical_files(root)
            if p.read_bytes() != canonical_text(p).encode("utf-8")]


def regenerate(root: Path | None = None) -> list[Path]:
    """Write every stale file back as its canonical text; the files written."""
    written = stale(root)
    for path in written:
        path.write_bytes(canonical_text(path).encode("utf-8"))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coachkit.training.canonical",
        description="Write the demo deals and scenario workbooks back in canonical form.")
    parser.add_argument("--check", action="store_true",
                        help="only list the files that are not canonical (exit 1 if any)")
    parser.add_argument("--root", type=Path, default=None,
                        help="a coachkit.training folder (default: this coachkit's)")
    args = parser.parse_args(argv)
    changed = stale(args.root) if args.check else regenerate(args.root)
    for path in changed:
        print(f"{'not canonical' if args.check else 'rewrote'}: {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
