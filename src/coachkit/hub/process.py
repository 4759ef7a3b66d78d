"""Running JupyterHub so that nothing it starts outlives it.

JupyterHub starts its proxy, services, user servers and their kernels in new sessions, so
ending its process group is not enough, and a hub stopped before it has installed its
signal handlers (before "JupyterHub is now running"), or killed, leaves them all running.
:func:`run_hub` therefore:

- makes this process a child subreaper (Linux), so whatever the hub leaves is re-parented
  here and can be found and ended;
- starts the hub in its own session with SIGINT at its default (a job started in the
  background of a script inherits SIGINT ignored, and services would ignore the hub's stop);
- forwards Ctrl-C and SIGTERM to the hub only once it says it is running, then ends what is
  left over: SIGTERM, and SIGKILL after a grace period.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

from coachkit import processes
from coachkit.errors import CoachkitError

RUNNING_LINE = "JupyterHub is now running"
START_TIMEOUT = 180.0
STOP_GRACE = 60.0
LEFTOVER_GRACE = 5.0


def become_subreaper() -> None:
    """The hub's leftovers come back here to be ended (Linux only: say so elsewhere)."""
    if sys.platform != "linux":
        raise CoachkitError("coachkit hub: cannot become a child subreaper; it needs Linux")
    try:
        processes.become_subreaper()
    except OSError as exc:
        raise CoachkitError(f"coachkit hub: cannot become a child subreaper ({exc.strerror})"
                            ) from None


def end_leftovers(grace: float = LEFTOVER_GRACE) -> list[int]:
    """SIGTERM every descendant, SIGKILL those still there after ``grace``; returns them."""
    return processes.end_descendants(grace)


def run_hub(command: list[str], *, env: dict[str, str], cwd: str, log: IO[str],
            on_running: Callable[[], None]) -> int:
    """Run the hub until it exits or this process is asked to stop; returns its exit code.

    Every line the hub prints goes to ``log``; ``on_running`` is called once the hub says
    it is running."""
    become_subreaper()
    stop = threading.Event()
    running = threading.Event()

    def ask_stop(_signum: int, _frame: object) -> None:
        stop.set()

    old = {sig: signal.signal(sig, ask_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # the hub inherits SIGINT at its default: this process handles it (not ignores it)
        hub = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace",
                               start_new_session=True)
        assert hub.stdout is not None
        reader = threading.Thread(target=_copy, args=(hub.stdout, log, running), daemon=True)
        reader.start()
        started = time.monotonic()
        announced = signalled = False
        while hub.poll() is None:
            if running.is_set() and not announced:
                announced = True
                on_running()
            if not signalled and stop.is_set() and (
                    running.is_set() or time.monotonic() - started > START_TIMEOUT):
                signalled, stopping = True, time.monotonic()
                hub.send_signal(signal.SIGTERM)
            if signalled and time.monotonic() - stopping > STOP_GRACE:
                hub.kill()
            stop.wait(0.2) if not stop.is_set() else time.sleep(0.2)
        reader.join(timeout=5)
        code = hub.returncode
    finally:
        end_leftovers()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if not running.is_set() and not stop.is_set():
        raise CoachkitError(f"the hub stopped before it was running (exit code {code}); "
                            "its last lines are above")
    return 0 if stop.is_set() and code in (0, -signal.SIGTERM, 128 + signal.SIGTERM) else code


def _copy(stream: IO[str], log: IO[str], running: threading.Event) -> None:
    for line in stream:
        log.write(line)
        log.flush()
        if RUNNING_LINE in line:
            running.set()


__all__ = ["end_leftovers", "run_hub"]
