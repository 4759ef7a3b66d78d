"""``coachkit report --team T --scheduler ADDRESS`` against a real dask.distributed cluster: a
``dask scheduler`` and two single-thread ``dask worker`` processes on 127.0.0.1, started
here, shared by the module. And a store password, which must appear in no process's
arguments, no kept notebook, no report and no output, on a cluster as on local workers."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coachkit.engine.cluster import subprocess_cluster
from coachkit.model import Deal
from coachkit.store import Store
from coachkit.training.demo import demo_deals
from support.helpers import TODAY, coachkit
from support.procs import alive, cmdline, tree_of
from support.reporting import corrupt

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report-cluster")]

TEAM = "nordics-services"


def processes() -> dict[int, str]:
    return {int(e.name): cmdline(int(e.name)) for e in Path("/proc").iterdir() if e.name.isdigit()}


def cluster_processes(address: str) -> dict[int, str]:
    """The workers of the cluster at ``address`` (nannies, worker processes, their kernels)."""
    nannies = [pid for pid, cmd in processes().items() if address in cmd and "worker" in cmd]
    return {pid: cmd for n in nannies for pid, cmd in {n: "", **tree_of(n)}.items()}


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The cluster's address; its workers have no COACHKIT_STORE of their own. When it
    stops, its workers and their kernels stop too."""
    logs = tmp_path_factory.mktemp("dask-logs")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COACHKIT_STORE", raising=False)
        with subprocess_cluster(2, logs=logs) as address:
            yield address
            workers = cluster_processes(address)
    time.sleep(1)
    assert workers and not [pid for pid in workers if alive(pid)]


@pytest.fixture(scope="module")
def team_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo deals, six more of the team, and one of them corrupt."""
    location = str(tmp_path_factory.mktemp("cluster-store") / "store.db")
    with Store(location) as store:
        deals = demo_deals(TODAY)
        for deal in deals:
            store.put(deal, author="seller")
        for n in range(6):
            doc = deals[n % len(deals)].to_json_dict()
            doc["deal"].update(id=f"more-{n}", team=TEAM)
            store.put(Deal.model_validate(doc), author="seller")
        corrupt(store, "more-5")
    return location


def test_a_team_renders_on_the_cluster_and_a_failing_deal_is_listed(
        scheduler: str, team_store: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Store(team_store) as store:
        team = [s.id for s in store.list_deals(team=TEAM)]
    assert len(team) == 8
    result = coachkit("report", "--team", TEAM, "--store", team_store, "--out", str(out),
                      "--scheduler", scheduler)
    assert result.returncode == 1, result.stderr
    rendered = sorted(d for d in team if d != "more-5")
    assert sorted(p.stem for p in out.glob("*.html") if not p.stem.startswith("team-")) == \
        rendered
    assert sorted(result.stdout.split()) == sorted(str(p) for p in out.iterdir())
    lines = result.stderr.strip().splitlines()
    assert lines[-2] == "coachkit: 1 of 9 reports failed:"
    assert re.fullmatch(r"  more-5: deal 'more-5' version 2: the stored document is not a "
                        r"valid deal .*", lines[-1])
    page = (out / f"team-{TEAM}.html").read_text(encoding="utf-8")
    for deal_id in rendered:
        assert f'href="{deal_id}.html"' in page
    assert 'href="more-5.html"' not in page
    assert "Fjordbank" in (out / "fjordbank-onboarding.html").read_text(encoding="utf-8")
    kernels = [cmd for cmd in cluster_processes(scheduler).values()
               if "ipykernel_launcher" in cmd]
    assert len(kernels) == 2, kernels  # one warm kernel per worker, kept for the next batch


def test_scheduler_mistakes_are_one_line(scheduler: str, team_store: str,
                                         tmp_path: Path) -> None:
    for args, message in (
            (["fjordbank-onboarding", "--scheduler", scheduler],
             "--scheduler runs a batch: use it with --team T or --all"),
            (["--all", "--scheduler", scheduler, "--workers", "2"], "not allowed with"),
    ):
        result = coachkit("report", *args, "--store", team_store, "--out", str(tmp_path))
        assert result.returncode in (1, 2) and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not list(tmp_path.iterdir())


# -- a store password --------------------------------------------------------------------------


class ArgvWatch:
    """Reads every process's command line, over and over, while a command runs."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.seen.update(processes().values())
            time.sleep(0.05)

    def stop(self) -> set[str]:
        self._stop.set()
        self._thread.join()
        return self.seen


def test_a_store_password_stays_out_of_arguments_notebooks_and_outputs(
        postgres: Any, scheduler: str, tmp_path: Path) -> None:
    url, secret = postgres.new_database(), postgres.password
    with Store(url) as store:
        for deal in demo_deals(TODAY):
            store.put(deal, author="seller")
    env = {"COACHKIT_STORE": url}  # never on a command line

    refused = coachkit("report", "--team", TEAM, "--out", str(tmp_path / "refused"),
                       "--scheduler", scheduler, env=env)
    assert refused.returncode == 1
    line, = refused.stderr.strip().splitlines()
    assert line.startswith("coachkit: the store URL has a password, which is not sent to the "
                           "cluster, and 2 worker(s) have no COACHKIT_STORE (e.g. tcp://")
    assert line.endswith("set it in every worker's environment") and secret not in line

    watch = ArgvWatch()
    try:
        local = coachkit("report", "--team", TEAM, "--out", str(tmp_path / "local"),
                         "--keep-notebook", "--workers", "2", env=env)
        with subprocess_cluster(2, env=env) as own:
            remote = coachkit("report", "--team", TEAM, "--out", str(tmp_path / "remote"),
                              "--keep-notebook", "--scheduler", own, env=env)
            workers = cluster_processes(own)
        one = coachkit("report", "fjordbank-onboarding", "--out", str(tmp_path / "one"),
                       "--keep-notebook", env=env)
    finally:
        seen = watch.stop()
    for result in (local, remote, one):
        assert result.returncode == 0, result.stderr
        assert secret not in result.stdout + result.stderr
    assert any("ipykernel_launcher" in cmd for cmd in seen)  # the kernels were watched too
    assert any("dask" in cmd and "worker" in cmd for cmd in seen)
    assert not [cmd for cmd in seen if secret in cmd]
    files = list(tmp_path.glob("*/*"))
    assert len([f for f in files if f.suffix == ".ipynb"]) == 2 * 3 + 1
    for path in files:
        assert secret not in path.read_text(encoding="utf-8", errors="replace"), path
    assert "Fjordbank" in (tmp_path / "remote" / "fjordbank-onboarding.html").read_text("utf-8")
    time.sleep(1)
    assert workers and not [pid for pid in workers if alive(pid)]
