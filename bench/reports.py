"""Benchmark: ``coachkit report`` against the naive ways to run the same stack.

    python bench/reports.py [--runs 5] [--deals 50] [--batch-runs 1] [--workers 2]
                            [--big 400] [--no-dask]

(a) One demo deal to HTML with ``coachkit report DEAL_ID``, against the naive floor: the
    papermill CLI, then the nbconvert CLI, on a one-cell notebook. Goal: <= 0.3x.
(b) A team of DEALS deals to HTML with ``coachkit report --team T --workers 2`` (the whole
    command: worker start-up, every deal report, the team report and its CSV), against the
    floor of DEALS in-process papermill executions, 2 at a time (two warm worker processes),
    of a notebook that imports pandas and matplotlib. Goal: <= 0.5x.
(c) The same team with ``coachkit report --team T --scheduler ADDRESS`` on a local
    dask.distributed cluster (``dask scheduler`` + 2 single-thread ``dask worker`` processes,
    started before the clock runs; the command's time includes connecting and the workers'
    kernels starting), against the same floor. Goal: <= 0.6x.
(d) A team of BIG deals with ``--workers 2``: deals per second. Goal: >= 4.

Runs of the floor and of coachkit alternate, so that a busy machine slows both alike.
Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from coachkit.engine.cluster import subprocess_cluster
from coachkit.model import Deal
from coachkit.store import Store
from coachkit.training.demo import demo_deals

BIN = Path(sys.executable).parent
TEAM = "bench-team"


def notebook(path: Path, *sources: str) -> Path:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
              "outputs": [], "source": s} for i, s in enumerate(sources)]
    path.write_text(json.dumps({
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
    }), encoding="utf-8")
    return path


def build_store(path: Path, deals: int) -> str:
    docs = [d.to_json_dict() for d in demo_deals()]
    with Store(str(path)) as store:
        for d in demo_deals():
            store.put(d, author="bench")
        for n in range(deals):
            doc = json.loads(json.dumps(docs[n % len(docs)]))
            doc["deal"]["id"] = f"bench-{n:03d}"
            doc["deal"]["team"] = TEAM
            store.put(Deal.model_validate(doc), author="bench")
    return str(path)


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"failed: {' '.join(args)}\n{proc.stderr[-2000:]}")
    return took


# -- (b) floor: warm processes running papermill in-process ------------------------------------


def _floor_init() -> None:
    import os

    import papermill  # noqa: F401  (the stack, once per process)

    devnull = os.open(os.devnull, os.O_WRONLY)  # the floor's kernels' start-up warnings
    os.dup2(devnull, 2)


def _floor_run(path: str) -> tuple[float, int]:
    """One execution; a kernel that fails to start is retried once, as coachkit does (the
    known failure of parallel runs). Returns the time and the retries."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        papermill.execute_notebook(path, None, kernel_name="python3", progress_bar=False)
    except PapermillExecutionError:
        raise
    except RuntimeError:
        papermill.execute_notebook(path, None, kernel_name="python3", progress_bar=False)
        return time.perf_counter() - start, 1
    return time.perf_counter() - start, 0


def floor_batch(nb: Path, count: int, workers: int) -> tuple[float, int]:
    """Wall time of ``count`` runs on ``workers`` warm processes, and the retries needed."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_floor_init) as pool:
        list(pool.map(_floor_run, [str(nb)] * workers))  # warm: imports and IPython set-up
        start = time.perf_counter()
        runs = list(pool.map(_floor_run, [str(nb)] * count))
        return time.perf_counter() - start, sum(r for _, r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of (a), each side")
    parser.add_argument("--deals", type=int, default=50)
    parser.add_argument("--batch-runs", type=int, default=1, help="runs of (b), each side")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--big", type=int, default=400, help="deals of (d); 0 skips it")
    parser.add_argument("--no-dask", action="store_true", help="skip (c)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coachkit-bench-") as tmp:
        work = Path(tmp)
        store = build_store(work / "store.db", args.deals)
        one = notebook(work / "one.ipynb", "1 + 1")
        heavy = notebook(work / "heavy.ipynb", "import pandas\nimport matplotlib.pyplot")
        coachkit = str(BIN / "coachkit")

        floors, ours = [], []
        for i in range(args.runs):
            executed = work / f"one-out-{i}.ipynb"
            floors.append(timed([str(BIN / "papermill"), str(one), str(executed)])
                          + timed([str(BIN / "jupyter-nbconvert"), "--to", "html",
                                   str(executed)]))
            ours.append(timed([coachkit, "report", "fjordbank-onboarding", "--store", store,
                               "--out", str(work / f"single-{i}")]))
        f, o = statistics.median(floors), statistics.median(ours)
        print(f"(a) one deal to HTML: coachkit report median {o:.2f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in ours)})")
        print(f"    floor, papermill CLI + nbconvert CLI on a one-cell notebook: median "
              f"{f:.2f} s (runs {', '.join(f'{t:.2f}' for t in floors)})")
        print(f"    ratio {o / f:.2f}x (goal <= 0.3x)")

        floors, ours, clustered, retries = [], [], [], 0
        with contextlib.ExitStack() as stack:
            address = None if args.no_dask else stack.enter_context(
                subprocess_cluster(args.workers, logs=work))
            for i in range(args.batch_runs):
                took, retried = floor_batch(heavy, args.deals, args.workers)
                floors.append(took)
                retries += retried
                ours.append(timed([coachkit, "report", "--team", TEAM, "--store", store,
                                   "--workers", str(args.workers),
                                   "--out", str(work / f"batch-{i}")]))
                if address:
                    clustered.append(timed([coachkit, "report", "--team", TEAM, "--store",
                                            store, "--scheduler", address,
                                            "--out", str(work / f"dask-{i}")]))
        made = len(list((work / "batch-0").glob("bench-*.html")))
        f, o = statistics.median(floors), statistics.median(ours)
        print(f"(b) {args.deals}-deal team to HTML with {args.workers} workers ({made} deal "
              f"reports + team report + CSV): coachkit report median {o:.1f} s "
              f"({o / args.deals:.2f} s per deal)")
        print(f"    floor, {args.deals} warm in-process papermill runs {args.workers} at a "
              f"time of a pandas + matplotlib notebook: median {f:.1f} s"
              f"{f' ({retries} kernel start retried)' if retries else ''}")
        print(f"    ratio {o / f:.2f}x (goal <= 0.5x)")
        if clustered:
            made = len(list((work / "dask-0").glob("bench-*.html")))
            d = statistics.median(clustered)
            print(f"(c) the same team on a local dask cluster (scheduler + {args.workers} "
                  f"single-thread workers; {made} deal reports + team report + CSV): median "
                  f"{d:.1f} s (runs {', '.join(f'{t:.1f}' for t in clustered)})")
            print(f"    ratio {d / f:.2f}x against the same floor (goal <= 0.6x)")

        if args.big:
            big = build_store(work / "big.db", args.big)
            took = timed([coachkit, "report", "--team", TEAM, "--store", big,
                          "--workers", str(args.workers), "--out", str(work / "big")])
            made = len(list((work / "big").glob("bench-*.html")))
            print(f"(d) {args.big}-deal team with {args.workers} workers: {took:.1f} s for "
                  f"{made} deal reports + team report + CSV, {made / took:.2f} deals/s "
                  f"(goal >= 4)")


if __name__ == "__main__":
    main()
