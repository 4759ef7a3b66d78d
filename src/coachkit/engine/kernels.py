"""The kernels report notebooks run in: this interpreter's ipykernel, started once and reused.

Starting a kernel and importing the stack is most of what a report costs, so a process that
renders reports keeps one :class:`WarmKernel` and runs notebook after notebook in it, reset
in between (:mod:`coachkit.engine.kernel_side`): a deal never sees the one before.

Three rules make this work:

- **This interpreter.** A kernelspec named ``python3`` may point anywhere (a user-level spec
  wins over the virtual environment's), but the kernel must import this very coachkit: the
  kernel manager gets its own spec manager, whose one spec starts ``sys.executable -m
  ipykernel_launcher``.
- **One client per kernel.** The kernel's one :class:`~jupyter_client.AsyncKernelClient` is
  handed to nbclient for every notebook. Two clients of one kernel share one ZMQ identity,
  and replies go astray (that hung the first attempt at a head start).
- **One loop.** The manager, the client's sockets and nbclient's polling all live on one
  asyncio loop, on one thread: :class:`KernelThread`. (jupyter's synchronous wrappers run a
  coroutine on the calling thread's loop, or on a second loop when one is already running:
  a kernel started one way and driven the other is on two loops.)

A kernel that dies, hangs past the cell timeout, or fails to start or reset is replaced, and
the notebook runs once more; a cell that raises is the notebook's own error and is not
retried. A kernel ends with its process: ipykernel's parent poller (``JPY_PARENT_PID``)
stops it within a second of its parent's death, and :meth:`WarmKernel.kill_now` at once.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from queue import Empty
from typing import Any, TypeVar

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

KERNEL_NAME = "python3"
"""The name the notebooks' metadata use (it selects papermill's Python translator)."""
START_TIMEOUT = 60.0
"""Seconds a kernel may take to start and import its preloads."""
RESET_TIMEOUT = 60.0
PRELOAD = ("coachkit.reports.deal",)
"""What a kernel imports while it starts, before its baseline: the deal report's modules
(the team report's pandas and matplotlib come with the first team report)."""
_KERNEL_SIDE = "coachkit.engine.kernel_side"
_HISTORY_IN_MEMORY = "--HistoryManager.hist_file=:memory:"
"""No history database: nothing to create on first use, nothing for parallel kernels to race
on, nothing of a notebook's code left on disk."""

T = TypeVar("T")


def this_python_spec() -> KernelSpec:
    return KernelSpec(
        # ERROR: no start-up chatter (ipykernel warns about unencrypted local TCP) on the
        # terminal of someone rendering fifty reports; cell errors come back as messages.
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
              "--IPKernelApp.log_level=ERROR"],
        display_name="Python 3 (coachkit)",
        language="python",
        metadata={"debugger": False},
    )


class ThisPythonKernelSpecManager(KernelSpecManager):
    """Knows one kernel, whatever name is asked for: this interpreter's ipykernel."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return this_python_spec()

    def find_kernel_specs(self) -> dict[str, str]:
        return {KERNEL_NAME: sys.prefix}


class ThisPythonKernelManager(AsyncKernelManager):
    """An :class:`AsyncKernelManager` whose kernel is always ``sys.executable``'s ipykernel."""

    @default("kernel_spec_manager")
    def _this_python(self) -> KernelSpecManager:
        return ThisPythonKernelSpecManager()


class KernelGone(RuntimeError):
    """The kernel died, hung, or would not start or reset."""


def kernel_trouble() -> tuple[type[BaseException], ...]:
    """What replaces the kernel and runs the notebook again (nbclient imported late: the
    one-deal path launches its kernel before anything heavy is imported)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    return (DeadKernelError, CellTimeoutError, KernelGone)


def _what_happened(exc: BaseException) -> str:
    from nbclient.exceptions import CellTimeoutError

    if isinstance(exc, CellTimeoutError):
        return "a cell ran past the time limit (an endless loop? a database not answering?)"
    if isinstance(exc, KernelGone):
        return str(exc)
    return "the kernel died (killed, or out of memory?)"


class WarmKernel:
    """One kernel process reused for many notebooks; replaced when it fails.

    Use it from one event loop only (:class:`KernelThread` gives it one). ``preload``: modules
    the kernel imports while it starts (``IPKernelApp.exec_lines``: it answers only once
    they are imported), before its baseline is taken.
    """

    def __init__(self, preload: Sequence[str] = PRELOAD, *,
                 startup_timeout: float = START_TIMEOUT):
        self.preload = tuple(preload)
        self.startup_timeout = startup_timeout
        self.km: Any = None
        self.kc: Any = None
        self.starts = 0
        """Kernels launched so far (1 + the replacements)."""
        self.retries = 0
        """Notebooks run a second time after kernel trouble."""
        self._launching: asyncio.Task[None] | None = None
        self._ready = False
        self._busy = False
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The kernel's process id while it runs."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return None if process is None else int(process.pid)

    # -- life --------------------------------------------------------------------------------

    async def launch(self) -> None:
        """Start the kernel process (it then boots and imports on its own); both callers of
        a launch under way wait for that one."""
        if self.km is not None:
            return
        task = self._launching
        if task is None:
            task = self._launching = asyncio.ensure_future(self._start())
        try:
            await task
        finally:
            if self._launching is task:
                self._launching = None

    async def _start(self) -> None:
        if self._closed:
            raise KernelGone("the renderer was closed")
        lines = [f"__import__({name!r})" for name in self.preload]
        lines.append(f"__import__({_KERNEL_SIDE!r}, fromlist=['snapshot']).snapshot()")
        km = ThisPythonKernelManager(kernel_name=KERNEL_NAME)
        try:
            await km.start_kernel(extra_arguments=[
                _HISTORY_IN_MEMORY, f"--IPKernelApp.exec_lines={json.dumps(lines)}"])
        except Exception as exc:  # a port taken meanwhile, no ipykernel...
            raise KernelGone(f"the kernel did not start ({type(exc).__name__}: {exc})") \
                from exc
        self.km, self.kc = km, km.client()
        self.kc.start_channels()
        self.starts += 1
        self._ready = False

    async def ready(self) -> None:
        """Launched and answering (at most ``startup_timeout`` seconds)."""
        await self.launch()
        if self._ready:
            return
        # kc.wait_for_ready() but without its final 0.2 s of listening for IOPub silence:
        # a kernel_info reply on shell, then any IOPub message (IOPub is connected)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            msg_id = self.kc.kernel_info()
            try:
                while (await self.kc.shell_channel.get_msg(timeout=1))[
                        "parent_header"].get("msg_id") != msg_id:
                    pass
                await self.kc.iopub_channel.get_msg(timeout=0.5)
                self._ready = True
                return
            except Empty:
                pass
            if not await self.km.is_alive():
                raise KernelGone("the kernel died while starting")
            if time.monotonic() > deadline:
                raise KernelGone(f"the kernel did not start in {self.startup_timeout:.0f} s")

    async def discard(self) -> None:
        """Stop the kernel (a dead or busy one too); the next notebook launches another."""
        km, kc, self.km, self.kc = self.km, self.kc, None, None
        self._ready = self._busy = False
        if km is None:
            return
        kc.stop_channels()
        try:
            await km.shutdown_kernel(now=True)  # kill: it has nothing to save
        finally:
            await km.cleanup_resources()

    async def close(self) -> None:
        self._closed = True
        await self.discard()

    def kill_now(self) -> None:
        """Kill the kernel from any thread, without its loop (a signal handler, exit)."""
        km, self.km, self.kc, self._closed = self.km, None, None, True
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is None:
            return
        if process.poll() is None:
            process.kill()
            process.wait(5)
        km.cleanup_connection_file()

    # -- notebooks ---------------------------------------------------------------------------

    async def reset(self, env: Mapping[str, str] | None = None) -> None:
        """Back to the baseline, ``env`` added to the environment (see kernel_side)."""
        if not await self.km.is_alive():
            raise KernelGone("the kernel died between two reports")
        code = f"__import__({_KERNEL_SIDE!r}, fromlist=['reset']).reset({dict(env or {})!r})"
        msg_id = self.kc.execute(code, silent=True, store_history=False, stop_on_error=False)
        deadline = time.monotonic() + RESET_TIMEOUT
        while True:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=1)
            except Empty:
                if not await self.km.is_alive():
                    raise KernelGone("the kernel died while resetting") from None
                if time.monotonic() > deadline:
                    raise KernelGone("the kernel did not answer a reset") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                content = msg["content"]
                if content.get("status") != "ok":
                    raise KernelGone(f"the kernel could not be reset ({content.get('ename')}: "
                                     f"{content.get('evalue')})")
                return

    async def prepare(self, env: Mapping[str, str] | None = None) -> None:
        """A started, answering, reset kernel; one that cannot be reset is replaced first."""
        if self._busy:  # the last notebook was cancelled mid-cell: its kernel is busy
            await self.discard()
        await self.ready()
        try:
            await self.reset(env)
        except KernelGone:  # died since the last notebook, or left dirty by it
            await self.discard()
            await self.ready()
            await self.reset(env)

    async def run(self, execute: Callable[[Any, Any], Awaitable[T]], *,
                  env: Mapping[str, str] | None = None, retries: int = 1) -> T:
        """``await execute(km, kc)`` (one notebook) in this kernel, reset first. Kernel
        trouble replaces the kernel and runs the notebook again, ``retries`` times; then
        :class:`KernelGone` says what happened."""
        attempt = 0
        while True:
            try:
                await self.prepare(env)
                self._busy = True
                result = await execute(self.km, self.kc)
            except kernel_trouble() as exc:
                await self.discard()
                if self._closed:
                    raise
                if attempt >= retries:
                    tries = f" (tried {attempt + 1} times, in a new kernel each time)" \
                        if attempt else ""
                    raise KernelGone(_what_happened(exc) + tries) from exc
                attempt += 1
                self.retries += 1
            except Exception:  # the notebook's own error: the kernel is idle and reusable
                self._busy = False
                raise
            else:
                self._busy = False
                return result


class KernelThread:
    """A :class:`WarmKernel` with a thread and an event loop of its own, callable from any
    thread (the main thread, a pool worker, a dask task). It launches the kernel at once."""

    def __init__(self, kernel: WarmKernel | None = None, *, launch: bool = True):
        self.kernel = kernel or WarmKernel()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="report-kernel",
                                        daemon=True)
        self._thread.start()
        if launch:  # a failed launch is retried by the first notebook, which says why
            self.submit(self.kernel.launch())

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the kernel's loop and wait for its result."""
        future = self.submit(coroutine)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # interrupted: stop the notebook too
            raise

    def ready(self) -> None:
        self.call(self.kernel.ready())

    def close(self, timeout: float = 10) -> None:
        """Stop whatever runs, shut the kernel down, end the thread."""
        if self.loop.is_closed():
            return
        try:
            self.submit(self._stop()).result(timeout)
        except Exception:  # a stuck loop, or the interpreter is exiting
            self.kernel.kill_now()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()

    async def _stop(self) -> None:
        this = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not this]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await self.kernel.close()

    def kill(self) -> None:
        """Kill the kernel now, from a signal handler (no loop, no waiting on the thread)."""
        self.kernel.kill_now()
