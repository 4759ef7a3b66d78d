"""``coachkit app``: the workbook notebook served by coachkit's Voila on 127.0.0.1.

The notebook ships in the package (``coachkit.workbooks``). Voila runs it with a preheated
kernel so a page opens without waiting for Python; :mod:`coachkit.app.voila` adds the token,
the Host check, the page cap and the ending of kernels whose page is gone. This process
prints the URL with a fresh token, then supervises Voila: SIGTERM, SIGINT (Ctrl-C) and SIGHUP
(a closed terminal) stop it, and whatever it leaves behind is ended too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

from coachkit.errors import CoachkitError
from coachkit.processes import become_subreaper, end_descendants, stop_with_parent
from coachkit.shipped import APP_NOTEBOOK, workbooks_dir

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

STOP_WAIT = 20.0
"""Seconds Voila gets to shut its kernels down (each saves what is pending) before SIGKILL."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_port(port: int) -> None:
    """Voila would move to the next free port and the printed URL would be wrong."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Voila binds it
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise CoachkitError(f"port {port} is in use (another coachkit app?); pass --port N, "
                                "or --port 0 for a free one") from None


def voila_command(notebook: Path, port: int, *, pool_size: int = 1,
                  max_pages: int | None = None, open_browser: bool = False) -> list[str]:
    """coachkit's Voila on loopback with preheated kernels. The token goes in the environment
    (``JUPYTER_TOKEN``), never here: every user on the machine can read a command line."""
    command = [sys.executable, "-m", "coachkit.app.voila", str(notebook),
               "--Voila.ip=127.0.0.1", f"--port={port}", "--Voila.port_retries=0"]
    if pool_size > 0:
        command += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if max_pages is not None:
        command.append(f"--CoachkitVoila.max_pages={max_pages}")
    if not open_browser:
        command.append("--no-browser")
    return command


def run_app(args: argparse.Namespace) -> int:
    """Start Voila on the workbook and wait until it is stopped."""
    from coachkit.store import Store, default_location

    location = args.store or default_location()
    with Store(location) as store:  # a bad store fails here, with one line, not in every page
        name = store.name
    notebook = workbooks_dir() / APP_NOTEBOOK
    port = args.port or free_port()
    check_port(port)
    token = secrets.token_urlsafe(32)
    env = {**os.environ, "COACHKIT_STORE": location, "JUPYTER_TOKEN": token}
    print(f"coachkit app: http://127.0.0.1:{port}/?token={token}\n"
          f"  (store: {name}; the token is new on every start; Ctrl-C stops)", flush=True)
    become_subreaper()
    proc = subprocess.Popen(
        voila_command(notebook, port, pool_size=args.pool_size, max_pages=args.max_pages,
                      open_browser=not args.no_browser),
        env=env, cwd=notebook.parent, preexec_fn=stop_with_parent)
    return supervise(proc)


def supervise(proc: subprocess.Popen[bytes]) -> int:
    """Wait for Voila. A stop signal is passed on as SIGTERM (once); Voila then gets
    :data:`STOP_WAIT` seconds before SIGKILL, and every process left below this one is ended."""
    stopped_at: list[float] = []

    def stop(signum: int, frame: object) -> None:
        if not stopped_at:
            stopped_at.append(time.monotonic())
            with suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        while True:
            try:
                code = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stopped_at and time.monotonic() - stopped_at[0] > STOP_WAIT:
                    proc.kill()
    finally:
        end_descendants()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopped_at else code
