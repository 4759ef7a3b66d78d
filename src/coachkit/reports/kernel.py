"""The kernel report notebooks run in: an ipykernel on the interpreter that runs coachkit.

A kernelspec named ``python3`` may point anywhere (a user-level spec in ``~/.local`` wins over
the virtual environment's), but the report kernel must import this very coachkit. So the
kernel manager gets its own :class:`~jupyter_client.kernelspec.KernelSpecManager` (the
documented way to provide kernelspecs), whose only spec starts ``sys.executable -m
ipykernel_launcher``; values that must not be written into a notebook (a database password)
travel in the spec's ``env``, which jupyter_client adds to the kernel's environment.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, ClassVar

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

KERNEL_NAME = "python3"
"""The name papermill and the notebooks' metadata use (it selects the Python translator)."""


def this_python_spec(env: Mapping[str, str] | None = None) -> KernelSpec:
    return KernelSpec(
        # ERROR: no start-up chatter (ipykernel warns about unencrypted local TCP) on the
        # terminal of someone rendering fifty reports; cell errors come back as messages.
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
              "--IPKernelApp.log_level=ERROR"],
        display_name="Python 3 (coachkit)",
        language="python",
        metadata={"debugger": False},
        env=dict(env or {}),
    )


class ThisPythonKernelSpecManager(KernelSpecManager):
    """Knows one kernel, whatever name is asked for: this interpreter's ipykernel."""

    extra_env: Mapping[str, str] = {}

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return this_python_spec(self.extra_env)

    def find_kernel_specs(self) -> dict[str, str]:
        return {KERNEL_NAME: sys.prefix}


class ThisPythonKernelManager(AsyncKernelManager):
    """An :class:`AsyncKernelManager` whose kernel is always ``sys.executable``'s ipykernel,
    with :attr:`extra_env` added to its environment."""

    extra_env: ClassVar[Mapping[str, str]] = {}

    @default("kernel_spec_manager")
    def _this_python(self) -> KernelSpecManager:
        manager = ThisPythonKernelSpecManager()
        manager.extra_env = dict(self.extra_env)
        return manager


def manager_with_env(env: Mapping[str, str]) -> type[ThisPythonKernelManager]:
    """A kernel manager class whose kernels also get ``env`` (for what must not be written
    into a notebook's parameters, such as a database password)."""
    if not env:
        return ThisPythonKernelManager
    extra: dict[str, Any] = {"extra_env": dict(env)}
    return type("ThisPythonKernelManagerWithEnv", (ThisPythonKernelManager,), extra)
