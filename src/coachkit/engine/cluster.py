"""Reports on a dask.distributed cluster: ``coachkit report --team T --scheduler ADDRESS``.

The batch is the same as on local worker processes (:func:`coachkit.engine.batch.render_all`
with the cluster's ``Client.get_executor()``): one task per report, the team report last,
failures kept as results. What a cluster adds:

- :class:`ReportKernelPlugin`, a worker plugin: each worker makes its renderer and starts its
  warm kernel as it joins (off the worker's event loop, so its heartbeats go on), and shuts
  the kernel down when it leaves. It is registered idempotently: two commands against one
  cluster share the workers' kernels, and a worker keeps its kernel between commands. A
  worker that is killed takes its kernel with it (ipykernel's parent poller).
- Workers read the store themselves and write to the output folder themselves, so both must
  be the same for every worker (a database URL, a shared file system). A store URL with a
  password is never sent: each worker reads ``$COACHKIT_STORE`` from its own environment,
  and :func:`connect` checks that every worker has one.
- :func:`subprocess_cluster` starts ``dask scheduler`` and ``dask worker`` processes on
  127.0.0.1 for the tests and the benchmark.

Run workers with ``--nthreads 1``: a worker renders one report at a time in its one kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from coachkit.errors import CoachkitError
from coachkit.processes import free_port
from coachkit.store.location import ENV_VAR

try:
    from distributed import Client, WorkerPlugin
except ImportError:  # pragma: no cover - the optional extra is missing
    raise CoachkitError("--scheduler needs dask.distributed: pip install 'coachkit[dask]'") \
        from None

PLUGIN_NAME = "coachkit-report-kernel"
CONNECT_TIMEOUT = 30.0
WORKERS_TIMEOUT = 60.0


class ReportKernelPlugin(WorkerPlugin):
    """Every worker's renderer with its warm kernel, made as the worker joins."""

    name = PLUGIN_NAME
    idempotent = True

    async def setup(self, worker: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(None, _start_renderer)

    async def teardown(self, worker: Any) -> None:
        from coachkit.engine.batch import forget_worker_renderer

        await asyncio.get_running_loop().run_in_executor(None, forget_worker_renderer)


def _start_renderer() -> None:
    """Never fails: if it cannot be made now, each report says why when it tries again."""
    from coachkit.engine.batch import worker_renderer

    with contextlib.suppress(Exception):
        worker_renderer().kernel.ready()


def _has_store() -> bool:
    return bool(os.environ.get(ENV_VAR))


@contextlib.contextmanager
def connect(address: str, *, store_from_workers: bool = False) -> Iterator[Any]:
    """A client of the scheduler at ``address`` with at least one worker, each worker's
    kernel starting; one-line errors when the cluster cannot be used.
    ``store_from_workers``: every worker must have ``$COACHKIT_STORE``."""
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise CoachkitError(f"cannot reach the dask scheduler at {address} ({exc}); is "
                            "`dask scheduler` running there?") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            raise CoachkitError(f"the dask scheduler at {address} has no workers (start "
                                f"them with `dask worker {address} --nthreads 1`)") from None
        if store_from_workers:
            missing = [w for w, has in client.run(_has_store).items() if not has]
            if missing:
                raise CoachkitError(
                    f"the store URL has a password, which is not sent to the cluster, and "
                    f"{len(missing)} worker(s) have no {ENV_VAR} (e.g. {missing[0]}): "
                    "set it in every worker's environment")
        client.register_plugin(ReportKernelPlugin())
        yield client


# -- a cluster of local processes, for the tests and the benchmark ------------------------------


@contextlib.contextmanager
def subprocess_cluster(workers: int = 2, *, env: Mapping[str, str] | None = None,
                       logs: Path | None = None, timeout: float = 120) -> Iterator[str]:
    """``dask scheduler`` and ``workers`` single-thread ``dask worker`` processes on
    127.0.0.1 (each in its own session, ``env`` added to theirs); yields the scheduler's
    address. On exit every process group gets SIGTERM (SIGKILL after 20 s)."""
    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    procs: list[subprocess.Popen[bytes]] = []
    environ = {**os.environ, **(env or {})}

    def spawn(name: str, *args: str) -> None:
        log: Any = open(logs / f"{name}.log", "wb") if logs else subprocess.DEVNULL  # noqa: SIM115
        try:
            procs.append(subprocess.Popen([dask, *args], stdout=log, stderr=subprocess.STDOUT,
                                          env=environ, start_new_session=True))
        finally:
            if logs:
                log.close()

    try:
        spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":")[-1],
              "--no-dashboard", "--no-show")
        for i in range(workers):
            spawn(f"worker{i}", "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                  "--no-dashboard", "--name", f"worker-{i}")
        with Client(address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=timeout)
        yield address
    finally:
        for proc in reversed(procs):  # workers first: their nannies end the worker processes
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in reversed(procs):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
