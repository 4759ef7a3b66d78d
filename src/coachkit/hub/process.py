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
  left over: SIGTERM, and SIGKILL after a grace period (:func:`coachkit.processes.supervise`,
  the loop ``coachkit app`` uses too).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
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
    running = threading.Event()
    readers: list[threading.Thread] = []

    def start() -> subprocess.Popen[str]:
        # the hub inherits SIGINT at its default: this process handles it (not ignores it)
        hub = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace",
                               start_new_session=True)
        assert hub.stdout is not None
        readers.append(threading.Thread(target=_copy, args=(hub.stdout, log, running),
                                        daemon=True))
        readers[0].start()
        return hub

    ended = processes.supervise(start, ready=running.is_set, on_ready=on_running,
                                stop_grace=STOP_GRACE, hold_stop_for=START_TIMEOUT)
    for reader in readers:
        reader.join(timeout=5)
    if not ended.ready and not ended.stopped:
        raise CoachkitError(f"the hub stopped before it was running (exit code {ended.code}); "
                            "its last lines are above")
    if ended.stopped and ended.code in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
        return 0
    return ended.code


def _copy(stream: IO[str], log: IO[str], running: threading.Event) -> None:
    for line in stream:
        log.write(line)
        log.flush()
        if RUNNING_LINE in line:
            running.set()


__all__ = ["end_leftovers", "run_hub"]
