"""``coachkit report --all`` interrupted and failing, for real: the command runs as its own
process with its worker processes and their kernels; real signals stop it.

Interrupted (Ctrl-C to the terminal's process group, or SIGTERM to the command), a batch
stops its workers and their kernels, prints every file it wrote (and nothing else is in the
folder), writes no team report, and exits 130 or 143. A team report that could not be made
never leaves an older one behind that links reports which do not exist.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from coachkit.engine.batch import WorkerPool
from coachkit.model import Deal
from coachkit.store import Store
from coachkit.store.tables import reviews_table
from coachkit.training.demo import demo_deals
from support.helpers import TODAY
from support.procs import alive, as_a_terminals_job, tree_of

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report-batches")]

DEALS = 24


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store of DEALS deals (copies of the demo deals)."""
    location = str(tmp_path_factory.mktemp("many") / "store.db")
    docs = [d.to_json_dict() for d in demo_deals(TODAY)]
    with Store(location) as store:
        for n in range(DEALS):
            doc = docs[n % len(docs)]
            doc["deal"]["id"] = f"deal-{n:02d}"
            store.put(Deal.model_validate(doc), author="seller")
    return location


def start(*args: str) -> subprocess.Popen[str]:
    with as_a_terminals_job():
        return subprocess.Popen([sys.executable, "-m", "coachkit.cli", "report", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)  # its own process group, like a terminal's


def wait_for(condition: object, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def stop_leftovers() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.parametrize(("how", "code"), [("ctrl-c", 130), ("sigterm", 143)])
def test_an_interrupted_batch_lists_what_it_wrote_and_leaves_nothing_running(
        many: str, tmp_path: Path, how: str, code: int,
        stop_leftovers: list[subprocess.Popen[str]]) -> None:
    out = tmp_path / "out"
    proc = start("--all", "--store", many, "--out", str(out), "--workers", "2")
    stop_leftovers.append(proc)
    wait_for(lambda: len(list(out.glob("*.html"))) >= 3 or proc.poll() is not None)
    tree = tree_of(proc.pid)
    kernels = [pid for pid, cmd in tree.items() if "ipykernel_launcher" in cmd]
    assert proc.poll() is None and len(kernels) == 2, tree  # two workers, a kernel each
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: the whole group
    else:
        os.kill(proc.pid, signal.SIGTERM)  # a service manager, a JupyterHub service
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    listed = stdout.split()
    on_disk = sorted(str(p) for p in out.iterdir())
    assert sorted(listed) == on_disk and len(listed) >= 3  # no temporary file left either
    for path in listed:
        assert Path(path).read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not list(out.glob("team-*"))  # the team report comes last: none yet
    last = stderr.strip().splitlines()[-1]
    assert last == (f"coachkit: interrupted: {len(listed)} of {DEALS + 1} reports written "
                    "(listed above); run the same command again for the rest")
    assert "Traceback" not in stderr
    time.sleep(0.5)
    assert not [pid for pid in tree if alive(pid)], tree_of(proc.pid)


def test_a_stopped_pool_has_no_thread_left_to_race_the_exit() -> None:
    """Why an interrupted batch once ended with ``OSError: [Errno 9] Bad file descriptor``
    after its last line: the stopped pool's manager thread was still tidying up (closing
    its wake-up pipe) while the interpreter's exit hook wrote to that pipe, unlocked. Once
    ``stop()`` returns, no thread of the pool is left."""
    before = set(threading.enumerate())
    pool = WorkerPool(1)
    job = pool.submit(time.sleep, 120)
    manager = [t for t in threading.enumerate() if t not in before]
    assert manager  # the pool's manager thread (and its queue feeder)
    wait_for(job.running)
    pool.stop()
    assert [t for t in manager if t.is_alive()] == []
    assert job.exception() is not None  # failed (BrokenProcessPool), not left pending


# -- a team report that cannot be made ---------------------------------------------------------


def corrupt_review(location: str, deal_id: str) -> None:
    """A review whose stored document is not JSON: the deal's report and the team's fail."""
    with Store(location) as store:
        store.add_review(deal_id, version=1, by="maria", note="first")
        with store.engine.begin() as conn:
            conn.execute(sa.update(reviews_table).where(reviews_table.c.deal_id == deal_id)
                         .values(document="{"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "coachkit.cli", "report", *args],
                          capture_output=True, text=True, timeout=600)


def test_a_failed_team_report_leaves_no_older_one_with_broken_links(tmp_path: Path) -> None:
    location, out = str(tmp_path / "store.db"), tmp_path / "out"
    with Store(location) as store:
        for deal in demo_deals(TODAY):
            store.put(deal, author="seller")
    team = ["--team", "nordics-services", "--store", location, "--out", str(out),
            "--workers", "2"]
    first = run(*team)
    assert first.returncode == 0, first.stderr
    old = out / "team-nordics-services.html"
    assert 'href="tallis-early-discovery.html"' in old.read_text(encoding="utf-8")

    corrupt_review(location, "tallis-early-discovery")
    kept = run(*team)  # the team report fails; the old one's links all still exist: kept
    assert kept.returncode == 1
    assert "tallis-early-discovery: JSONDecodeError" in kept.stderr
    assert "team report (nordics-services): JSONDecodeError" in kept.stderr
    assert "removed" not in kept.stderr and old.exists()

    (out / "tallis-early-discovery.html").unlink()  # now the old one links a missing report
    dropped = run(*team)
    assert dropped.returncode == 1
    assert dropped.stderr.strip().splitlines()[-1] == (
        "coachkit: removed the older team report (team-nordics-services.html, "
        "team-nordics-services.csv): it linked reports that do not exist")
    assert sorted(p.name for p in out.iterdir()) == ["fjordbank-onboarding.html"]
