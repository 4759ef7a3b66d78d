"""The store under a killed writer and under two writers at once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coachkit.errors import ConflictError
from coachkit.model import Deal, empty_deal
from coachkit.store import Store
from support.helpers import REPO
from support.saver_process import statement

KILLS = int(os.environ.get("COACHKIT_KILLS", "25"))


@pytest.mark.slow
def test_sigkill_mid_save_loses_no_committed_version(tmp_path: Path) -> None:
    location = str(tmp_path / "killed.db")
    Store(location).close()
    rng = random.Random(20261123)
    reported: set[int] = set()
    saver = REPO / "tests" / "support" / "saver_process.py"
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(saver), location],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        reported.update(int(line) for line in out.split())
        # after every kill the store opens and holds every version reported saved
        with Store(location) as store:
            if reported:
                versions = {v.version: v for v in store.history("killed")}
                for number in reported:
                    assert versions[number].deal.problem.statement == statement(number)
                assert store.latest_version("killed") == max(versions)
    assert len(reported) > KILLS, "the saver should commit several versions between kills"
    with sqlite3.connect(location) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store(location) as store:
        numbers = [v.version for v in store.history("killed")]
        assert numbers == list(range(1, len(numbers) + 1)), "versions have no gaps"


def test_two_writers_one_wins_the_other_is_kept(tmp_path: Path) -> None:
    location = str(tmp_path / "two.db")
    with Store(location) as setup:
        setup.save(empty_deal("shared"), base_version=None, author="setup")
    rounds = 15
    for round_no in range(rounds):
        barrier = threading.Barrier(2)
        outcome: dict[str, object] = {}

        def write(who: str, base: int, round_no: int = round_no,
                  barrier: threading.Barrier = barrier, outcome: dict = outcome) -> None:
            doc = empty_deal("shared").to_json_dict()
            doc["problem"]["statement"] = f"{who} in round {round_no}"
            deal = Deal.model_validate(doc)
            with Store(location) as store:
                barrier.wait()
                try:
                    outcome[who] = store.save(deal, base_version=base, author=who)
                except ConflictError as exc:
                    outcome[who] = exc

        base = round_no + 1
        threads = [threading.Thread(target=write, args=(w, base)) for w in ("tab-a", "tab-b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        winners = [w for w, r in outcome.items() if isinstance(r, int)]
        losers = [w for w, r in outcome.items() if isinstance(r, ConflictError)]
        assert len(winners) == 1 and len(losers) == 1, outcome
        with Store(location) as store:
            assert store.get("shared").deal.problem.statement == f"{winners[0]} in round {round_no}"
            kept = store.conflicts("shared")[-1]
            assert kept.author == losers[0]
            assert kept.deal.problem.statement == f"{losers[0]} in round {round_no}"
    with Store(location) as store:
        assert store.latest_version("shared") == rounds + 1
        assert len(store.conflicts("shared")) == rounds
