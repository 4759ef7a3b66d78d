"""Warm report kernels: one kernel renders report after report with nothing carried over from
one to the next; a kernel that dies or hangs is replaced and the report tried once more.

Real kernels, real signals. One renderer (one kernel) serves the whole module; its templates
are coachkit's own, with one extra cell in the deal report that obeys a control file per deal
(``die``: SIGKILL its own kernel, ``hang``: sleep past the time limit, ``wait``: sleep until
the test kills the kernel from outside), one step per attempt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from coachkit.engine import batch
from coachkit.engine.batch import Job, Output, StoreRef
from coachkit.engine.render import Renderer
from coachkit.reports.kinds import KINDS
from coachkit.shipped import templates_dir
from coachkit.store import Store
from coachkit.training.demo import demo_deals
from support.helpers import TODAY
from support.procs import alive

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report-kernels")]

CONTROL_CELL = """\
import os as _os, pathlib as _pl, time as _time
_do = _pl.Path({control!r}) / f"{{deal_id}}.do"
_steps = _do.read_text().split() if _do.exists() else []
if _steps:
    _do.write_text(" ".join(_steps[1:]))
    (_pl.Path({control!r}) / f"{{deal_id}}.pid").write_text(str(_os.getpid()))
    if _steps[0] == "die":
        _os.kill(_os.getpid(), 9)
    _time.sleep(600)  # hang, or wait to be killed
"""

POLLUTE = [
    "secret_a = 'A-ONLY'\nimport os, sys, warnings, logging, threading",
    "os.environ['LEAK_A'] = '1'\nos.chdir('/tmp')\nsys.path.append('/leak-a')",
    "import matplotlib\nmatplotlib.rcParams['font.size'] = 33",
    "warnings.warn('ck-once', UserWarning)",
    "warnings.simplefilter('ignore', DeprecationWarning)\n"
    "logging.basicConfig(level=logging.DEBUG)",
    "ip = get_ipython()\n"
    "ip.display_formatter.formatters['text/plain'].for_type(int, lambda o, p, c: p.text('A'))\n"
    "ip.events.register('post_run_cell', lambda *a: print('HOOK-A'))",
    "42",
    "import ckwarn\nckwarn.f()",
]
PROBE = [
    "import os, sys, warnings, logging, json, matplotlib\n"
    "ip = get_ipython()\n"
    "print(json.dumps({\n"
    "    'names': sorted(k for k in globals() if not k.startswith('_')),\n"
    "    'out': len(Out), 'last': repr(globals().get('_', '')),\n"
    "    'env': os.environ.get('LEAK_A'), 'cwd': os.getcwd(),\n"
    "    'path': '/leak-a' in sys.path, 'rc': matplotlib.rcParams['font.size'],\n"
    "    'filters': len(warnings.filters), 'level': logging.root.level,\n"
    "    'handlers': len(logging.root.handlers),\n"
    "    'hooks': len(ip.events.callbacks['post_run_cell']),\n"
    "    'printers': len(ip.display_formatter.formatters['text/plain'].type_printers),\n"
    "    'count': ip.execution_count,\n"
    "}, sort_keys=True))",
    "warnings.warn('ck-once', UserWarning)",  # a fresh kernel shows it
    "7",
    "import ckwarn\nckwarn.f()",  # a library's warning, shown once per kernel... or reset
]
THREAD = ["import threading, time\n"
          "threading.Thread(target=time.sleep, args=(600,), name='left-behind').start()"]


def notebook(path: Path, sources: list[str]) -> None:
    cells = [nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]}),
             *(nbformat.v4.new_code_cell(s) for s in sources)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}), path)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kernels")
    shutil.copytree(templates_dir(), root / "templates")
    (root / "control").mkdir()
    (root / "lib").mkdir()
    (root / "lib" / "ckwarn.py").write_text(
        "import warnings\n\ndef f():\n    warnings.warn('lib-once', UserWarning)\n")
    deal = nbformat.read(root / "templates" / KINDS["deal"].notebook, as_version=4)
    at = next(i for i, c in enumerate(deal.cells) if "parameters" in c.metadata.get("tags", []))
    deal.cells.insert(at + 1, nbformat.v4.new_code_cell(
        CONTROL_CELL.format(control=str(root / "control")), metadata={"tags": ["remove-cell"]}))
    nbformat.write(deal, root / "templates" / KINDS["deal"].notebook)
    lib = f"import sys\nsys.path.insert(0, {str(root / 'lib')!r})\n"
    notebook(root / "templates" / "pollute.ipynb", [lib + POLLUTE[0], *POLLUTE[1:]])
    notebook(root / "templates" / "probe.ipynb", [lib + PROBE[0], *PROBE[1:]])
    notebook(root / "templates" / "thread.ipynb", THREAD)
    with Store(str(root / "store.db")) as store:
        for d in demo_deals(TODAY):
            store.put(d, author="seller")
    return root


@pytest.fixture(scope="module")
def renderer(place: Path) -> Iterator[Renderer]:
    """The module's one renderer; at the end no kernel it started may be left running."""
    with Renderer(place / "templates") as shared:
        shared.kernel.ready()
        yield shared
    pids = [int(p.read_text()) for p in (place / "control").glob("*.pid")]
    assert not [pid for pid in pids if alive(pid)]


def job(place: Path, deal_id: str, out: Path) -> Job:
    return Job("deal", deal_id, StoreRef.of(str(place / "store.db")), Output(str(out)),
               heading=deal_id)


def control(place: Path, deal_id: str, *steps: str) -> None:
    (place / "control" / f"{deal_id}.do").write_text(" ".join(steps))


def outputs(nb: Any) -> list[tuple[Any, ...]]:
    """Every output of every code cell, with its execution count; kernel pids made equal."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            text = out.get("text") or json.dumps(out.get("data", {}), sort_keys=True)
            found.append((cell.execution_count, out.output_type, out.get("name"),
                          re.sub(r"ipykernel_\d+", "ipykernel_N", text)))
    return found


# -- nothing carries over ------------------------------------------------------------------------


def test_a_notebook_sees_nothing_of_the_one_before(renderer: Renderer, place: Path) -> None:
    renderer.execute("pollute.ipynb", {})
    after = outputs(renderer.execute("probe.ipynb", {}))
    with Renderer(place / "templates") as fresh:
        alone = outputs(fresh.execute("probe.ipynb", {}))
    assert after == alone
    state = json.loads(alone[0][3])
    assert state["env"] is None and state["rc"] == 10.0 and not state["path"]
    assert "secret_a" not in state["names"] and state["hooks"] == 0
    shown = " ".join(o[3] for o in after)
    assert "ck-once" in shown and "lib-once" in shown  # each warning shown again


def test_deal_b_after_deal_a_equals_deal_b_alone(renderer: Renderer, place: Path,
                                                tmp_path: Path) -> None:
    for deal_id in ("fjordbank-onboarding", "tallis-early-discovery"):
        job(place, deal_id, tmp_path / "shared").run(renderer)
    with Renderer(place / "templates") as fresh:
        job(place, "tallis-early-discovery", tmp_path / "fresh").run(fresh)
    after = (tmp_path / "shared" / "tallis-early-discovery.html").read_text(encoding="utf-8")
    alone = (tmp_path / "fresh" / "tallis-early-discovery.html").read_text(encoding="utf-8")
    assert "Tallis" in after
    assert "Fjordbank" not in after and "fjordbank" not in after.lower()
    assert after == alone


def test_a_store_password_reaches_the_kernel_only_through_its_environment(
        renderer: Renderer) -> None:
    """The reset's environment is the notebook's: set for one, gone for the next."""
    probe = ["import os\nprint(os.environ.get('COACHKIT_STORE'))"]
    notebook(renderer.templates / "env.ipynb", probe)
    url = "postgresql://me:s3cret@db/x"
    seen = renderer.execute("env.ipynb", {}, env={"COACHKIT_STORE": url})
    assert outputs(seen)[0][3].strip() == url
    later = outputs(renderer.execute("env.ipynb", {}))[0][3]
    assert "s3cret" not in later


def test_a_thread_left_running_gets_the_next_notebook_a_new_kernel(renderer: Renderer
                                                                   ) -> None:
    before = renderer.kernel.kernel.pid
    renderer.execute("thread.ipynb", {})
    renderer.execute("probe.ipynb", {})
    assert before is not None and renderer.kernel.kernel.pid != before
    assert not alive(before)


# -- kernels that die or hang --------------------------------------------------------------------


def test_a_kernel_killed_mid_report_is_replaced_and_the_report_tried_again(
        renderer: Renderer, place: Path, tmp_path: Path) -> None:
    control(place, "fjordbank-onboarding", "wait")
    retries = renderer.kernel.kernel.retries
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(
        job(place, "fjordbank-onboarding", tmp_path).run(renderer)))
    worker.start()
    pid_file = place / "control" / "fjordbank-onboarding.pid"
    deadline = time.monotonic() + 120
    while not pid_file.exists():
        assert time.monotonic() < deadline and worker.is_alive()
        time.sleep(0.05)
    killed = int(pid_file.read_text())
    os.kill(killed, signal.SIGKILL)  # the OOM killer, say
    worker.join(120)
    assert done == [[tmp_path / "fjordbank-onboarding.html"]]
    assert renderer.kernel.kernel.retries == retries + 1
    assert renderer.kernel.kernel.pid != killed and not alive(killed)
    assert "Fjordbank" in (tmp_path / "fjordbank-onboarding.html").read_text(encoding="utf-8")


def test_a_kernel_that_dies_twice_fails_that_deal_and_the_next_renders(
        renderer: Renderer, place: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "_RENDERER", renderer)  # this process as a pool worker
    control(place, "tallis-early-discovery", "die", "die")
    failed = batch.run_job(job(place, "tallis-early-discovery", tmp_path))
    assert failed.error == ("the kernel died (killed, or out of memory?) (tried 2 times, in a "
                            "new kernel each time)")
    assert not (tmp_path / "tallis-early-discovery.html").exists()
    after = batch.run_job(job(place, "northwind-plant-maintenance", tmp_path))
    assert after.ok and after.written == (str(tmp_path / "northwind-plant-maintenance.html"),)


def test_a_cell_past_the_time_limit_gets_a_new_kernel_and_one_more_try(
        renderer: Renderer, place: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(renderer, "timeout", 5)
    monkeypatch.setattr(batch, "_RENDERER", renderer)
    control(place, "harbourline-crm-replacement", "hang")
    start = time.monotonic()
    assert batch.run_job(job(place, "harbourline-crm-replacement", tmp_path)).ok
    assert time.monotonic() - start >= 5
    control(place, "harbourline-crm-replacement", "hang", "hang")
    failed = batch.run_job(job(place, "harbourline-crm-replacement", tmp_path / "again"))
    assert failed.error is not None and failed.error.startswith(
        "a cell ran past the time limit") and "tried 2 times" in failed.error


def test_a_failing_cell_is_the_reports_error_and_is_not_retried(
        renderer: Renderer, place: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "_RENDERER", renderer)
    renderer.kernel.ready()
    pid, retries = renderer.kernel.kernel.pid, renderer.kernel.kernel.retries
    failed = batch.run_job(job(place, "no-such-deal", tmp_path))
    assert failed.error == "no deal 'no-such-deal' in the store"
    assert (renderer.kernel.kernel.pid, renderer.kernel.kernel.retries) == (pid, retries)
    assert batch.run_job(job(place, "tallis-early-discovery", tmp_path)).ok
    assert renderer.kernel.kernel.pid == pid
