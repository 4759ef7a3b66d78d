"""Ending every process a supervisor started, however deep: ``coachkit app`` (Voila and its
kernels) and ``coachkit hub`` (JupyterHub, its proxy, services, user servers, their kernels).

jupyter_client starts each kernel in a session of its own, and JupyterHub starts everything in
new sessions, so signalling a process group never reaches them, and a parent that dies leaves
them running, holding memory, ports and the store. The supervisor therefore makes itself a
child subreaper (Linux): whatever its children leave behind is re-parented to it, and it ends
those processes when its child has gone.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from contextlib import suppress

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    if sys.platform != "linux":
        return  # elsewhere orphans go to init, as they always did
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option})")


def become_subreaper() -> None:
    """Orphaned descendants (kernels of a Voila that died) become this process's children."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def stop_with_parent() -> None:
    """For ``preexec_fn``: the child gets SIGTERM if its parent dies, even by SIGKILL, so a
    killed ``coachkit app`` still stops Voila (which then shuts its kernels down)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def descendants(root: int) -> set[int]:
    """Live (not zombie) processes below ``root``, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue  # ended meanwhile
        if state != "Z":
            parents[int(entry)] = int(ppid)
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def reap() -> None:
    """Collect the exit status of ended children (re-parented orphans included)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_descendants(grace: float = 5.0) -> list[int]:
    """SIGTERM every process below this one, SIGKILL those still there after ``grace``;
    returns the processes there were."""
    pids = left = descendants(os.getpid())
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        reap()
        pids = descendants(os.getpid())
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    reap()
    return sorted(left)
