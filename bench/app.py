"""Benchmark: page request to the first step being interactive, in Chromium.

    python bench/app.py [--runs 5]

Three Voila servers on 127.0.0.1:
- floor: plain ``voila`` (its own lab template, no token) on a bare notebook with one Text
  widget, no preheating: the floor, cold;
- app cold: the coachkit workbook in coachkit's Voila (token, coachkit template, heartbeat),
  no preheating;
- app default: the same as ``coachkit app`` runs it (one preheated kernel).
Each run opens a new browser context (nothing cached, no cookie: the app's runs include the
token's redirect, as a first visit does) on ``?deal_id=...`` and waits until the first input of
the Deal step (or the floor's Text) is visible and enabled. Prints the medians and the ratios
against the floor.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import nbformat
from playwright.sync_api import sync_playwright

from coachkit.app.server import APP_NOTEBOOK, voila_command, workbooks_dir
from coachkit.processes import free_port
from coachkit.store import Store
from coachkit.training.demo import demo_deals

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


TOKEN = "bench-token"


def start(command: list[str], cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "voila/static/voila.js", timeout=5):
                return proc
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)


def measure(browser, url: str, selector: str) -> float:
    context = browser.new_context()
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.locator(selector).first.wait_for(state="visible", timeout=120_000)
    page.wait_for_function(f"!document.querySelector({selector!r}).disabled")
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def demo_store(folder: Path) -> Path:
    """A SQLite store of the demo deals in ``folder``."""
    store = folder / "coachkit.db"
    with Store(str(store)) as s:
        for deal in demo_deals():
            s.put(deal, author="bench")
    return store


def floor_notebook(folder: Path) -> Path:
    """The floor: a bare notebook with one Text widget, for plain Voila."""
    path = folder / "floor.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\nw.Text(value='floor')")]
    nbformat.write(nb, path)
    return path


def plain_voila(notebook: Path, port: int) -> list[str]:
    """The floor's server: plain Voila on loopback, cold (no preheated kernel)."""
    return [sys.executable, "-m", "voila", str(notebook), "--Voila.ip=127.0.0.1",
            f"--port={port}", "--no-browser"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="coachkit-bench-app-"))
    store, floor_nb = demo_store(tmp), floor_notebook(tmp)
    app_nb = workbooks_dir() / APP_NOTEBOOK
    env = {**os.environ, "COACHKIT_STORE": str(store), "JUPYTER_TOKEN": TOKEN}
    deal = "deal_id=northwind-plant-maintenance"

    def app(pool: int) -> Callable[[int], list[str]]:
        return lambda port: voila_command(app_nb, port, pool_size=pool)

    query = f"?{deal}&token={TOKEN}"
    app_input = ".ck-field-deal-customer input"
    setups: dict[str, tuple[Callable[[int], list[str]], int, str, str]] = {
        "floor (bare Text, cold)": (lambda port: plain_voila(floor_nb, port), 0, "",
                                    ".widget-text input"),
        "app cold": (app(0), 0, query, app_input),
        "app default (preheated)": (app(1), 1, query, app_input),
    }
    results: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        for name, (command, pool, page_query, selector) in setups.items():
            port = free_port()
            argv = command(port)
            proc = start(argv, tmp, env, port)
            url = f"http://127.0.0.1:{port}/"
            try:
                time.sleep(6 if pool else 1)  # let the pool fill
                times = []
                for _ in range(args.runs):
                    times.append(measure(browser, url + page_query, selector))
                    time.sleep(6 if pool else 1)  # the pool refills between pages
                results[name] = times
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
        browser.close()
    floor = statistics.median(results["floor (bare Text, cold)"])
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:28s} median {median:5.2f} s  (runs: "
              f"{', '.join(f'{t:.2f}' for t in times)})  ratio {median / floor:.2f}x")


if __name__ == "__main__":
    main()
