"""Benchmark: page request to the first step being interactive, in Chromium.

    python bench/app.py [--runs 5]

Three Voila servers on 127.0.0.1, started with the same flags as ``coachkit app``:
- floor: a bare notebook with one Text widget, no preheating (the floor, cold);
- app cold: the coachkit workbook, no preheating;
- app default: the coachkit workbook as ``coachkit app`` runs it (one preheated kernel).
Each run opens a new browser context (nothing cached) on ``?deal_id=...`` and waits until
the first input of the Deal step (or the floor's Text) is visible and enabled. Prints the
medians and the ratios against the floor.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
from playwright.sync_api import sync_playwright

from coachkit.app.server import APP_NOTEBOOK, free_port, voila_command, workbooks_dir
from coachkit.store import Store
from coachkit.training.demo import demo_deals

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def start(notebook: Path, pool_size: int, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(voila_command(notebook, port, pool_size=pool_size), env=env,
                            cwd=notebook.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "voila/static/voila.js", timeout=5):
                return proc, url
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="coachkit-bench-app-"))
    store = tmp / "coachkit.db"
    with Store(str(store)) as s:
        for deal in demo_deals():
            s.put(deal, author="bench")
    floor_nb = tmp / "floor.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\nw.Text(value='floor')")]
    nbformat.write(nb, floor_nb)
    app_nb = workbooks_dir() / APP_NOTEBOOK
    env = {**os.environ, "COACHKIT_STORE": str(store)}
    deal = "?deal_id=northwind-plant-maintenance"
    setups = {
        "floor (bare Text, cold)": (floor_nb, 0, "", ".widget-text input"),
        "app cold": (app_nb, 0, deal, ".ck-field-deal-customer input"),
        "app default (preheated)": (app_nb, 1, deal, ".ck-field-deal-customer input"),
    }
    results: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        for name, (notebook, pool, query, selector) in setups.items():
            proc, url = start(notebook, pool, env)
            try:
                time.sleep(6 if pool else 1)  # let the pool fill
                times = []
                for _ in range(args.runs):
                    times.append(measure(browser, url + query, selector))
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
