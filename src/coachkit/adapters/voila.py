"""Voila's preheated kernels: which running kernels are waiting in a pool.

coachkit counts the pages a server holds (``--max-pages``) and ends kernels no page uses;
a preheated kernel waiting for its page must count as neither. Voila's kernel manager
(``voila_kernel_manager_factory``, 0.5) keeps its pools in the private ``_pools``
(notebook name -> list of asyncio tasks, each giving ``{"kernel_id": ...}`` when the
kernel is ready) and says publicly only how many there are (``get_pool_size``), not which
kernels. So this module is the one place that reads ``_pools``.
"""

from __future__ import annotations

import asyncio
from typing import Any

POOLS = "_pools"
"""The private attribute of Voila's preheating kernel manager read here."""


def pool_tasks(kernel_manager: Any, notebook: str | None = None) -> list[asyncio.Task[Any]]:
    """The preheated kernels of ``notebook`` (of every notebook when None), ready or
    starting, as Voila's tasks. None when kernels are not preheated (Voila's plain kernel
    manager has no pools)."""
    pools: dict[str, list[asyncio.Task[Any]]] = getattr(kernel_manager, POOLS, {})
    if notebook is not None:
        return list(pools.get(notebook, []))
    return [task for pool in pools.values() for task in pool]
