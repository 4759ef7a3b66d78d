"""Ports and processes of the servers coachkit starts: a free port, whether a port can be
listened on, and ending every process a supervisor started, however deep: ``coachkit app``
(Voila and its kernels) and ``coachkit hub`` (JupyterHub, its proxy, services, user servers,
their kernels).

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
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import psutil

LOCALHOST = "127.0.0.1"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
"""What asks a supervisor to stop: a service manager, Ctrl-C, a closed terminal."""
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_DUMPABLE = 4


def free_port(ip: str = LOCALHOST) -> int:
    """A port nothing listens on now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind((ip, 0))
        return int(sock.getsockname()[1])


def bind_error(port: int, ip: str = LOCALHOST) -> OSError | None:
    """Why a server could not listen on ``ip:port``, or None if it could. Bound as Voila and
    the proxy bind (SO_REUSEADDR): a closed connection still waiting (TIME_WAIT) is no
    obstacle."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, port))
        except OSError as exc:
            return exc
    return None


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


def not_dumpable() -> None:
    """This process's memory and ``/proc/<pid>/environ`` become unreadable to other processes
    of the same Unix user (a kernel running attacker code): only a process with
    ``CAP_SYS_PTRACE`` reads them. Programs it starts with exec are dumpable again."""
    _prctl(_PR_SET_DUMPABLE, 0)


def _below(root: int) -> list[psutil.Process]:
    """Live (not zombie) processes below ``root``."""
    try:
        children = psutil.Process(root).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        with suppress(psutil.NoSuchProcess):  # ended meanwhile
            if child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
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
    found = _below(os.getpid())
    for process in found:
        with suppress(psutil.NoSuchProcess):
            process.terminate()
    deadline = time.monotonic() + grace
    left = found
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        reap()  # our own children only end once collected
        left = _below(os.getpid())  # orphans re-parented to us meanwhile count too
    for process in left:
        with suppress(psutil.NoSuchProcess):
            process.kill()
    time.sleep(0.1)
    reap()
    return sorted(p.pid for p in found)


@dataclass(frozen=True)
class Ended:
    """How a supervised server ended."""

    code: int
    stopped: bool
    """A stop signal reached the supervisor (the server did not just exit)."""
    ready: bool
    """The server had said it was ready."""


def supervise(start: Callable[[], subprocess.Popen[Any]], *, ready: Callable[[], bool],
              on_ready: Callable[[], None] = lambda: None, stop_grace: float,
              hold_stop_for: float = 0.0, poll: float = 0.2) -> Ended:
    """Start a server and wait for it; the one loop of ``coachkit app`` and ``coachkit hub``.

    ``on_ready`` is called once ``ready()`` says the server answers (an address printed
    before then would be refused). A stop signal (:data:`STOP_SIGNALS`; handled from before
    the start, so none is lost) becomes one SIGTERM to the server, and SIGKILL
    ``stop_grace`` seconds later; until the server is ready that SIGTERM waits up to
    ``hold_stop_for`` seconds (JupyterHub stopped before its own handlers are set leaves
    everything it started running). Then every process left below this one is ended."""
    stop = threading.Event()

    def ask_stop(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, ask_stop) for sig in STOP_SIGNALS}
    is_ready = False
    signalled: float | None = None
    try:
        proc = start()
        started = time.monotonic()
        while True:
            try:
                code = proc.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                pass
            if not is_ready and ready():
                is_ready = True
                on_ready()
            now = time.monotonic()
            if signalled is None:
                if stop.is_set() and (is_ready or now - started >= hold_stop_for):
                    signalled = now
                    with suppress(ProcessLookupError):
                        proc.send_signal(signal.SIGTERM)
            elif now - signalled > stop_grace:
                proc.kill()
    finally:
        end_descendants()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return Ended(code, stop.is_set(), is_ready)
