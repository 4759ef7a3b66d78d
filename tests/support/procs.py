"""The tests' own walk of /proc (not coachkit's, so a bug there cannot hide itself): what
runs below a process, its command line, whether it still lives."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def as_a_terminals_job() -> Iterator[None]:
    """Processes started inside get Ctrl-C as a terminal's foreground job has it (SIGINT
    at its default), whatever this test process inherited: a shell starts a script's
    background job (``cmd &``) with SIGINT ignored, its children keep it ignored, and a
    command that respects that (as ``coachkit report`` does) would then run on after a
    Ctrl-C sent by the test. A handler here (not SIG_IGN) becomes the default at exec."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def descendants(root: int) -> set[int]:
    """Live processes below ``root``."""
    parents = {}
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError, ValueError):
            state, ppid = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[:2]
            if state != "Z":
                parents[int(entry)] = int(ppid)
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running, and not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def tree_of(root: int) -> dict[int, str]:
    """Every live process under ``root`` (kernels too: their worker's children), with its
    command line."""
    return {pid: cmdline(pid) for pid in descendants(root)}
