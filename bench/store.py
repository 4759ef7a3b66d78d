"""Benchmark: one save into a big store, and the start-up of ``coachkit --help``.

    python bench/store.py [--deals 10000] [--versions 20] [--runs 50] [--path FILE]

Builds a store of DEALS x VERSIONS versions (the demo documents, cycled) with bulk SQL, then
times ``Store.save`` of one more version against the floor: the same document committed by
bare sqlite3 with the same durability settings (WAL, synchronous=FULL). Also times
``coachkit --help`` against ``python -c pass``. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coachkit.model import Deal
from coachkit.store import Store
from coachkit.store.tables import deals_table, versions_table
from coachkit.training.demo import demo_deals


def build(path: Path, deals: int, versions: int) -> list[Deal]:
    docs = demo_deals()
    texts = [json.dumps(d.to_json_dict(), ensure_ascii=False, separators=(",", ":")) for d in docs]
    store = Store(str(path))
    now = dt.datetime(2026, 1, 1)
    with store.engine.begin() as conn:
        for start in range(0, deals, 500):
            deal_rows, version_rows = [], []
            for n in range(start, min(start + 500, deals)):
                deal_id = f"bench-{n:05d}"
                deal_rows.append({
                    "id": deal_id, "customer": f"Customer {n}", "title": "t", "seller": "s",
                    "team": f"team-{n % 20}", "stage": "proposal", "value": 1000.0 * n,
                    "currency": "EUR", "close_date": None, "cohort": "", "participant": "",
                    "scenario": "", "latest_version": versions, "created_at": now,
                    "updated_at": now, "updated_by": "bench",
                })
                for v in range(1, versions + 1):
                    text = texts[(n + v) % len(texts)].replace(
                        json.dumps(docs[(n + v) % len(docs)].id), json.dumps(deal_id), 1)
                    version_rows.append({"deal_id": deal_id, "version": v,
                                         "saved_at": now + dt.timedelta(minutes=v),
                                         "author": "bench", "document": text})
            conn.execute(deals_table.insert(), deal_rows)
            conn.execute(versions_table.insert(), version_rows)
    store.close()
    return docs


def time_saves(path: Path, deals: int, runs: int, doc: Deal) -> list[float]:
    times = []
    with Store(str(path)) as store:
        for i in range(runs):
            deal_id = f"bench-{(i * 7919) % deals:05d}"
            data = doc.to_json_dict()
            data["deal"]["id"] = deal_id
            data["problem"]["why_now"] = f"bench run {i}"
            deal = Deal.model_validate(data)
            base = store.latest_version(deal_id)
            start = time.perf_counter()
            store.save(deal, base_version=base, author="bench")
            times.append(time.perf_counter() - start)
    return times


def time_floor(runs: int, doc: Deal) -> list[float]:
    text = json.dumps(doc.to_json_dict(), ensure_ascii=False, separators=(",", ":"))
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE v (id TEXT, version INT, document TEXT, "
                     "PRIMARY KEY (id, version))")
        times = []
        for i in range(runs):
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO v VALUES (?, ?, ?)", ("d", i, text))
            conn.execute("COMMIT")
            times.append(time.perf_counter() - start)
        conn.close()
    return times


def time_command(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--path", type=Path, help="store file to build (reused if it exists)")
    args = parser.parse_args()
    path = args.path or Path(tempfile.gettempdir()) / (
        f"coachkit-bench-{args.deals}x{args.versions}.db")
    if not path.exists():
        start = time.perf_counter()
        build(path, args.deals, args.versions)
        print(f"built {args.deals} deals x {args.versions} versions in "
              f"{time.perf_counter() - start:.0f} s: {path.stat().st_size / 1e9:.2f} GB")
    doc = demo_deals()[0]
    saves = time_saves(path, args.deals, args.runs, doc)
    floor = time_floor(args.runs, doc)
    ms = statistics.median(saves) * 1e3
    floor_ms = statistics.median(floor) * 1e3
    print(f"save, {args.deals} x {args.versions} in store: median {ms:.2f} ms, "
          f"p95 {sorted(saves)[int(0.95 * len(saves)) - 1] * 1e3:.2f} ms")
    print(f"floor (bare sqlite3 insert+commit, same durability): median {floor_ms:.2f} ms")
    print(f"ratio save/floor: {ms / floor_ms:.2f}x")
    exe = str(Path(sys.executable).with_name("coachkit"))
    env_runs = 15
    help_times = time_command([exe, "--help"], env_runs)
    bare = time_command([sys.executable, "-c", "pass"], env_runs)
    h, b = statistics.median(help_times) * 1e3, statistics.median(bare) * 1e3
    print(f"coachkit --help: median {h:.0f} ms; python -c pass: {b:.0f} ms; ratio {h / b:.2f}x")
    if os.environ.get("COACHKIT_BENCH_CLEANUP"):
        path.unlink()


if __name__ == "__main__":
    main()
