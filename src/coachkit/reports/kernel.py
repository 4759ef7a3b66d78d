"""The kernel report notebooks run in: an ipykernel on the interpreter that runs coachkit.

A kernelspec named ``python3`` may point anywhere (a user-level spec in ``~/.local`` wins over
the virtual environment's), but the report kernel must import this very coachkit. So the
kernel manager ignores kernelspec files and starts ``sys.executable -m ipykernel_launcher``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, ClassVar

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

KERNEL_NAME = "python3"
"""The name papermill and the notebooks' metadata use (it selects the Python translator)."""


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


class ThisPythonKernelManager(AsyncKernelManager):
    """An :class:`AsyncKernelManager` whose kernel is always ``sys.executable``'s ipykernel,
    with :attr:`extra_env` added to its environment."""

    extra_env: ClassVar[Mapping[str, str]] = {}

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            self._kernel_spec = this_python_spec()
        return self._kernel_spec

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if self.extra_env:
            kw["env"] = {**(kw.get("env") or os.environ), **self.extra_env}
        return await super()._async_pre_start_kernel(**kw)


def manager_with_env(env: Mapping[str, str]) -> type[ThisPythonKernelManager]:
    """A kernel manager class whose kernels also get ``env`` (for what must not be written
    into a notebook's parameters, such as a database password)."""
    if not env:
        return ThisPythonKernelManager
    return type("ThisPythonKernelManagerWithEnv", (ThisPythonKernelManager,),
                {"extra_env": dict(env)})


class StartedKernel:
    """A kernel started ahead of its notebook, for one report.

    It boots, and imports what the notebook will import (``preload``, run silently: nothing
    of the deal is in it), while coachkit loads papermill and nbconvert and reads the store.
    Pass it to :meth:`coachkit.reports.render.Renderer.execute`; shut it down afterwards.
    """

    def __init__(self, km: ThisPythonKernelManager, kc: Any = None):
        self.km = km
        self.kc = kc

    @classmethod
    def start(cls, env: Mapping[str, str] | None = None, preload: str = "") -> StartedKernel:
        """Start it; raises RuntimeError inside a running event loop (then papermill would
        talk to it from another loop than the one it was started on: no head start)."""
        import asyncio

        from jupyter_core.utils import run_sync

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("an event loop is running in this thread")

        km = manager_with_env(env or {})(kernel_name=KERNEL_NAME)
        # as nbclient starts its kernels: IPython's history in memory, not in a shared file
        run_sync(km.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"])
        kc = None
        if preload:
            kc = km.client()
            kc.start_channels()
            kc.execute(preload, silent=True, store_history=False)
        return cls(km, kc)

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        finally:
            run_sync(self.km.cleanup_resources)()
