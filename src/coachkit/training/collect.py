"""Collecting a workshop's workbooks into the store under a cohort: ``coachkit collect``.

The trainer hands in a folder (searched recursively for ``*.json``) or a ``.zip`` of the files
participants downloaded, the way nbgrader collects submissions. Every file goes through
:func:`coachkit.model.files.parse_workbook`, so it is refused in the same words as everywhere else;
one bad file never stops the others.

**Who.** The participant comes from the workbook (``training.participant``), else from the
file name the app gives downloads (``<participant>__<scenario>.coachkit.json``, see
:func:`coachkit.training.scenarios.download_name`), else from ``deal.seller`` (a participant's live
deal, exported from their store). A workbook with none of these is refused.

**Where.** A collected workbook is saved under its own id,
``<cohort>--<participant>--<scenario>`` (or ``--<original deal id>`` for a workbook outside any
scenario), never under the id in the file:

- two participants' files often carry the same deal id (both started from the same file, or
  a live deal shared by a team); a cohort-scoped id keeps one from overwriting the other;
- a live deal brought to a workshop stays untouched in the team's store: the cohort gets a
  copy, with ``training.cohort`` set on the copy only;
- the id depends only on cohort, participant and scenario, so collecting the same files again
  finds the same deals and adds nothing (``Store.put`` is idempotent), and a participant who
  hands in an improved workbook later adds a new version of the same deal.

Ids longer than the 80 characters a deal id may have are cut and end in a short hash of the
whole, so two long names never end up as one id.

**Clashes within one collection.** Two different files that would become the same deal (a
participant who downloaded twice, or two people with the same name) are not both saved: that
would make the result depend on the order and a second run would add versions. The newest
file (modification time, then name) is collected; the others are refused, naming the one kept.
Byte-for-byte duplicates are simply "unchanged".

**Zips** are read in memory, never extracted: at most :data:`MAX_ENTRIES` entries and
:data:`MAX_TOTAL_BYTES` of workbooks in all (checked on the declared sizes before anything is
read, and again while reading); a member declared larger than a workbook can be is refused
unread; names that point outside the archive (``../x``, ``/etc/x``, ``C:\\x``) are refused.
Hidden files and folders and ``__MACOSX`` are skipped, as are files that are not ``*.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from coachkit.errors import CoachkitError, InvalidWorkbook
from coachkit.fs import read_regular
from coachkit.model import Deal, Training
from coachkit.model.files import (
    MAX_FILE_BYTES,
    SUFFIX,
    dumps,
    parse_workbook,
)
from coachkit.model.ids import slug
from coachkit.model.messages import describe_validation_error
from coachkit.store import Store

MAX_ENTRIES = 500
"""Entries in one zip, or workbook files under one folder: far above any workshop."""

MAX_TOTAL_BYTES = 100 * 1024 * 1024
"""Uncompressed bytes of all workbooks in one zip: more means a zip bomb or the wrong file."""

MAX_ID = 80
"""Deal ids are at most 80 characters (``coachkit.model.DEAL_ID_PATTERN``)."""


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectedFile:
    """A workbook saved in the store (or found already there, unchanged)."""

    source: str
    deal_id: str
    participant: str
    scenario: str
    version: int
    changed: bool


@dataclass(frozen=True)
class RefusedFile:
    """A file left out, and why, in one line."""

    source: str
    reason: str

    @property
    def line(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True)
class CollectReport:
    """What one collection did: every file is either collected or refused."""

    cohort: str
    collected: tuple[CollectedFile, ...] = ()
    refused: tuple[RefusedFile, ...] = ()

    @property
    def imported(self) -> tuple[CollectedFile, ...]:
        return tuple(c for c in self.collected if c.changed)

    @property
    def unchanged(self) -> tuple[CollectedFile, ...]:
        return tuple(c for c in self.collected if not c.changed)

    @property
    def ok(self) -> bool:
        return not self.refused

    def summary(self) -> str:
        """``"5 imported, 1 unchanged, 2 refused"``."""
        return (f"{len(self.imported)} imported, {len(self.unchanged)} unchanged, "
                f"{len(self.refused)} refused")


# -- ids and names -------------------------------------------------------------------------------


def _digest(text: str, length: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def collected_id(cohort: str, participant: str, key: str) -> str:
    """``<cohort>--<participant>--<key>``: the id a collected workbook is saved under.

    ``key`` is the scenario id, or the workbook's own deal id outside any scenario (kept as it
    is: it is already a valid id). Cut to 80 characters with a hash of the whole when longer.
    """
    tail = key if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", key) else slug(key, 200,
                                                                           fallback="d-")
    full = f"{slug(cohort, 200, fallback='c-')}--{slug(participant, 200, fallback='p-')}--{tail}"
    if len(full) <= MAX_ID:
        return full
    return full[: MAX_ID - 9].rstrip("-_") + "-" + _digest(full)


def _shown(name: str) -> str:
    """A file or member name safe to print: no control characters reach the terminal."""
    return "".join(c if c.isprintable() else "?" for c in name) or "?"


def name_parts(file_name: str) -> tuple[str, str]:
    """``"anna-schmidt__paper-mill.coachkit.json"`` -> ``("anna-schmidt", "paper-mill")``;
    ``("", "")`` when the name does not follow the pattern. A browser's `` (1)`` is ignored."""
    base = re.split(r"[/\\]", file_name)[-1]
    lower = base.lower()
    stem = base[: -len(SUFFIX)] if lower.endswith(SUFFIX) else (
        base[: -len(".json")] if lower.endswith(".json") else base)
    participant, sep, scenario = stem.partition("__")
    if not sep or not participant.strip():
        return "", ""
    scenario = re.sub(r"\s*\(\d+\)$", "", scenario).strip()
    return participant.strip(), scenario


# -- reading the input ---------------------------------------------------------------------------


def _skipped(part: str) -> bool:
    """Hidden files and folders, macOS resource forks: never a participant's workbook."""
    return part.startswith(".") or part == "__MACOSX"


def _unsafe(name: str) -> bool:
    """A zip member name that points outside the archive if it were ever extracted."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts


def _size_line(size: int) -> str:
    return (f"file is {size / 1e6:.1f} MB; a workbook is at most "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB")


@dataclass(frozen=True)
class _Entry:
    """One candidate workbook: where it is, how new, and how to read it (bounded)."""

    source: str
    mtime: float
    read: Callable[[], bytes]


@contextmanager
def _folder_entries(root: Path) -> Iterator[list[_Entry | RefusedFile]]:
    found: list[_Entry | RefusedFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        for name in sorted(filenames):
            if _skipped(name) or not name.lower().endswith(".json"):
                continue
            path = Path(dirpath) / name
            source = _shown(path.relative_to(root).as_posix())
            try:
                stat = path.stat()
            except OSError as exc:
                found.append(RefusedFile(source, f"cannot read ({exc.strerror})"))
                continue
            if stat.st_size > MAX_FILE_BYTES:
                found.append(RefusedFile(source, _size_line(stat.st_size)))
                continue
            found.append(_Entry(source, stat.st_mtime, _file_reader(path)))
            if len(found) > MAX_ENTRIES:
                raise CoachkitError(f"{root}: more than {MAX_ENTRIES} workbook files; is this "
                                    "the folder of one cohort?")
    yield found


def _file_reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return read_regular(path, MAX_FILE_BYTES, "workbook")
        except CoachkitError as exc:  # a FIFO, a device, a file that grew
            raise _Unreadable(str(exc).removeprefix(f"{path}: ")) from None

    return read


@contextmanager
def _zip_entries(path: Path) -> Iterator[list[_Entry | RefusedFile]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError) as exc:
        raise CoachkitError(f"{path}: not a valid zip file ({exc})") from None
    except OSError as exc:
        raise CoachkitError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise CoachkitError(f"{path}: {len(infos)} entries in the zip; a cohort's zip has "
                                f"at most {MAX_ENTRIES} (is this the right file?)")
        found: list[_Entry | RefusedFile] = []
        wanted: list[zipfile.ZipInfo] = []
        for info in infos:
            name = info.filename
            source = _shown(name)
            if _unsafe(name):
                found.append(RefusedFile(source, "name points outside the zip (unsafe path), "
                                                 "left out"))
                continue
            parts = [p for p in name.replace("\\", "/").split("/") if p]
            if info.is_dir() or not parts or any(_skipped(p) for p in parts) \
                    or not parts[-1].lower().endswith(".json"):
                continue
            if info.file_size > MAX_FILE_BYTES:
                found.append(RefusedFile(source, _size_line(info.file_size)
                                         + " (declared in the zip; not read)"))
                continue
            wanted.append(info)
        total = sum(i.file_size for i in wanted)
        if total > MAX_TOTAL_BYTES:
            raise CoachkitError(
                f"{path}: its workbooks would unpack to {total / 1e6:.0f} MB; at most "
                f"{MAX_TOTAL_BYTES / 1e6:.0f} MB is read from one zip (is this a zip bomb?)")
        budget = [MAX_TOTAL_BYTES]
        for info in wanted:
            found.append(_Entry(_shown(info.filename), _zip_time(info),
                                _member_reader(archive, info, budget)))
        found.sort(key=lambda e: e.source)
        yield found


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return dt.datetime(*info.date_time).timestamp()
    except (ValueError, OverflowError):
        return 0.0


class _Unreadable(Exception):
    """A zip member that cannot be read; the message says why."""


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                   budget: list[int]) -> Callable[[], bytes]:
    """Reads at most the declared size (+1 to notice a lie), within the zip's total budget."""

    def read() -> bytes:
        limit = min(MAX_FILE_BYTES, info.file_size) + 1
        try:
            with archive.open(info) as fh:
                data = fh.read(limit)
        except RuntimeError as exc:  # encrypted members
            raise _Unreadable(f"cannot be read ({exc})") from None
        except NotImplementedError:
            raise _Unreadable("compressed with a method Python cannot read") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise _Unreadable(f"damaged in the zip ({exc})") from None
        budget[0] -= len(data)
        if len(data) > info.file_size or budget[0] < 0:
            raise _Unreadable("larger than the zip says (is this a zip bomb?)")
        return data

    return read


@contextmanager
def _entries(path: Path) -> Iterator[list[_Entry | RefusedFile]]:
    if path.is_dir():
        with _folder_entries(path) as found:
            yield found
    elif path.is_file():
        if path.suffix.lower() != ".zip" and not zipfile.is_zipfile(path):
            raise CoachkitError(f"{path}: not a folder or a .zip of workbook files")
        with _zip_entries(path) as found:
            yield found
    elif path.exists():
        raise CoachkitError(f"{path}: not a folder or a .zip of workbook files")
    else:
        raise CoachkitError(f"{path}: no such file or folder")


# -- collecting ----------------------------------------------------------------------------------


@dataclass
class _Candidate:
    index: int
    source: str
    mtime: float
    deal: Deal
    participant: str
    scenario: str
    document: str = field(default="", repr=False)


def _prepare(index: int, entry: _Entry, deal: Deal, cohort: str, scenario: str | None,
             known_scenarios: set[str]) -> _Candidate | RefusedFile:
    """Who and which scenario the workbook is for; the copy to save under the cohort."""
    name_participant, name_scenario = name_parts(entry.source)
    training = deal.training
    participant = " ".join((training.participant or name_participant
                            or deal.deal.seller).split())
    if not participant:
        return RefusedFile(entry.source, "no participant: the workbook names none (training."
                           "participant or deal.seller) and its file name is not "
                           f"<participant>__<scenario>{SUFFIX}")
    their_scenario = training.scenario.strip() or (
        name_scenario if name_scenario in known_scenarios else "")
    if scenario is not None and their_scenario != scenario:
        return RefusedFile(entry.source, f"another scenario ({their_scenario or 'none'}), "
                                         "left out")
    doc = deal.to_json_dict()
    doc["deal"]["id"] = collected_id(cohort, participant, their_scenario or deal.id)
    doc["training"] = {"scenario": their_scenario, "participant": participant,
                       "cohort": cohort}
    try:
        copy = Deal.model_validate(doc)
    except ValidationError as exc:
        return RefusedFile(entry.source, describe_validation_error(exc))
    return _Candidate(index, entry.source, entry.mtime, copy, participant, their_scenario,
                      dumps(copy))


def _one_per_deal(
    candidates: list[_Candidate],
) -> tuple[list[_Candidate], list[tuple[int, RefusedFile]]]:
    """Different files that would become one deal: the newest is kept, the others refused."""
    by_id: dict[str, list[_Candidate]] = {}
    for c in candidates:
        by_id.setdefault(c.deal.id, []).append(c)
    refused: dict[int, RefusedFile] = {}
    for group in by_id.values():
        if len({c.document for c in group}) < 2:
            continue
        newest = max(group, key=lambda c: (c.mtime, c.source, c.index))
        for c in group:
            if c.document != newest.document:
                what = f"{c.participant}'s workbook" + (f" for {c.scenario}" if c.scenario
                                                        else f" {c.deal.id}")
                refused[c.index] = RefusedFile(
                    c.source, f"another copy of {what}; kept the newer {newest.source}, "
                              "left this one out")
    return [c for c in candidates if c.index not in refused], list(refused.items())


def _check_cohort(cohort: str) -> str:
    name = " ".join(cohort.split())
    if not name:
        raise CoachkitError("--cohort: a cohort needs a name")
    try:
        Training(cohort=name)
    except ValidationError as exc:
        raise CoachkitError(f"--cohort: {describe_validation_error(exc)}") from None
    return name


def collect(
    path: str | os.PathLike[str], store: Store, cohort: str, scenario: str | None = None,
    author: str = "coachkit collect",
) -> CollectReport:
    """Import a folder or zip of workbooks into ``store`` under ``cohort``; see the module.

    Raises :class:`CoachkitError` only for the input as a whole (no such path, not a folder or
    zip, a zip bomb, nothing to collect); every single file is either collected or refused.
    """
    from coachkit.training.scenarios import scenario_ids

    cohort = _check_cohort(cohort)
    scenario = scenario.strip() if scenario is not None else None
    known = set(scenario_ids())
    refused: list[tuple[int, RefusedFile]] = []
    candidates: list[_Candidate] = []
    with _entries(Path(path)) as entries:
        if not entries:
            raise CoachkitError(f"{path}: no workbook files (*.json) to collect")
        for i, entry in enumerate(entries):
            if isinstance(entry, RefusedFile):
                refused.append((i, entry))
                continue
            try:
                deal = parse_workbook(entry.read(), entry.source)
            except _Unreadable as exc:
                refused.append((i, RefusedFile(entry.source, str(exc))))
                continue
            except OSError as exc:
                refused.append((i, RefusedFile(entry.source,
                                               f"cannot read ({exc.strerror or exc})")))
                continue
            except InvalidWorkbook as exc:
                reason = str(exc).removeprefix(f"{entry.source}: ")
                refused.append((i, RefusedFile(entry.source, reason)))
                continue
            prepared = _prepare(i, entry, deal, cohort, scenario, known)
            if isinstance(prepared, RefusedFile):
                refused.append((i, prepared))
            else:
                candidates.append(prepared)
    keep, clashes = _one_per_deal(candidates)
    refused += clashes
    collected: list[CollectedFile] = []
    for c in keep:
        try:
            version, changed = store.put(c.deal, author=author)
        except CoachkitError as exc:
            refused.append((c.index, RefusedFile(c.source, f"not saved: {exc}")))
            continue
        collected.append(CollectedFile(c.source, c.deal.id, c.participant, c.scenario,
                                       version, changed))
    refused.sort(key=lambda item: item[0])
    return CollectReport(cohort, tuple(collected), tuple(r for _, r in refused))
