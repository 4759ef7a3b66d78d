"""``coachkit app``: the workbook notebook served by coachkit's Voila on 127.0.0.1.

The notebook ships in the package (``coachkit.workbooks``). Voila runs it with a preheated
kernel so a page opens without waiting for Python; :mod:`coachkit.app.voila` adds the token,
the Host check, the page cap and the ending of kernels whose page is gone. This process
prints the URL, with a fresh token and secret path, once Voila answers, then supervises
Voila: SIGTERM, SIGINT (Ctrl-C) and SIGHUP (a closed terminal) stop it, and whatever it leaves
behind is ended too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

from coachkit.errors import CoachkitError
from coachkit.processes import (
    become_subreaper,
    bind_error,
    free_port,
    stop_with_parent,
    supervise,
)
from coachkit.shipped import APP_NOTEBOOK, workbooks_dir

PREFIX_VARIABLE = "COACHKIT_APP_PREFIX"
"""The secret first path segment of every URL the app serves (``coachkit app`` draws it):
browsers send a host's cookies to all its ports, but only under the cookie's path, which is
this prefix, so another local server never receives the login cookie. An environment
variable, not ``--base_url``, because every user can read a command line."""

STOP_WAIT = 20.0
"""Seconds Voila gets to shut its kernels down (each saves what is pending) before SIGKILL."""


def check_port(port: int) -> None:
    """Voila would move to the next free port and the printed URL would be wrong."""
    if bind_error(port):
        raise CoachkitError(f"port {port} is in use (another coachkit app?); pass --port N, "
                            "or --port 0 for a free one")


def voila_command(notebook: Path, port: int, *, pool_size: int = 1,
                  max_pages: int | None = None, open_browser: bool = False) -> list[str]:
    """coachkit's Voila on loopback with preheated kernels. The token goes in the environment
    (``JUPYTER_TOKEN``), never here: every user on the machine can read a command line."""
    command = [sys.executable, "-m", "coachkit.app.voila", str(notebook),
               "--Voila.ip=127.0.0.1", f"--port={port}", "--Voila.port_retries=0",
               # kernels talk over Unix sockets in Voila's private (0700) connection folder:
               # a ZeroMQ PUB socket on a loopback port takes any local user as subscriber
               "--KernelManager.transport=ipc"]
    if pool_size > 0:
        command += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if max_pages is not None:
        command.append(f"--CoachkitVoila.max_pages={max_pages}")
    if not open_browser:
        command.append("--no-browser")
    return command


def run_app(args: argparse.Namespace) -> int:
    """Start Voila on the workbook and wait until it is stopped."""
    from coachkit.store import ENV_VAR as STORE_VAR
    from coachkit.store import Store, default_location

    location = args.store or default_location()
    with Store(location) as store:  # a bad store fails here, with one line, not in every page
        name = store.name
    notebook = workbooks_dir() / APP_NOTEBOOK
    port = args.port or free_port()
    check_port(port)
    token = secrets.token_urlsafe(32)
    prefix = secrets.token_urlsafe(12)
    env = {**os.environ, STORE_VAR: location, "JUPYTER_TOKEN": token,
           PREFIX_VARIABLE: prefix}
    become_subreaper()
    url = f"http://127.0.0.1:{port}/{prefix}/"
    ended = supervise(
        lambda: subprocess.Popen(
            voila_command(notebook, port, pool_size=args.pool_size, max_pages=args.max_pages,
                          open_browser=not args.no_browser),
            env=env, cwd=notebook.parent, preexec_fn=stop_with_parent),
        ready=lambda: answers(url + STATIC_PROBE), stop_grace=STOP_WAIT, poll=0.1,
        on_ready=lambda: print(
            f"coachkit app: {url}?token={token}\n"
            f"  (store: {name}; the address is new on every start; Ctrl-C stops)", flush=True))
    return 0 if ended.stopped else ended.code


STATIC_PROBE = "voila/static/voila.js"
"""A file Voila serves without a page or a kernel: answered means the app is up."""


def answers(url: str) -> bool:
    """Whether the server answers ``url`` (a static file, no sign-in needed)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
