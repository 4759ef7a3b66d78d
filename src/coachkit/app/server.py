"""``coachkit app``: the workbook notebook served by Voila on 127.0.0.1.

The notebook ships in the package (``coachkit.workbooks``); Voila runs it with a preheated kernel so
a page opens without waiting for Python to start, and culls kernels of closed tabs.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

from coachkit.shipped import APP_NOTEBOOK, workbooks_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def voila_command(notebook: Path, port: int, *, pool_size: int = 1,
                  open_browser: bool = False) -> list[str]:
    """The Voila command line: loopback only, no tracebacks, preheated kernels, culling."""
    command = [
        sys.executable, "-m", "voila", str(notebook),
        "--Voila.ip=127.0.0.1", f"--port={port}",
        "--VoilaConfiguration.show_tracebacks=False",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_idle_timeout=1800",
        "--MappingKernelManager.cull_connected=False",
    ]
    if pool_size > 0:
        command += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if not open_browser:
        command.append("--no-browser")
    return command


def run_app(args: argparse.Namespace) -> int:
    """Start Voila on the workbook and wait until it is stopped (Ctrl-C)."""
    from coachkit.store import Store, default_location

    location = args.store or default_location()
    with Store(location) as store:  # a bad store fails here, with one line, not in every page
        name = store.name
    notebook = workbooks_dir() / APP_NOTEBOOK
    port = args.port or free_port()
    env = {**os.environ, "COACHKIT_STORE": location}
    print(f"coachkit app: http://127.0.0.1:{port}/  (store: {name}; Ctrl-C stops)",
          flush=True)
    proc = subprocess.Popen(
        voila_command(notebook, port, pool_size=args.pool_size,
                      open_browser=not args.no_browser),
        env=env, cwd=notebook.parent)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=20)
        return 0
