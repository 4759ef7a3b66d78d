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
