"""Errors in a page's kernel: the traceback goes to the server's log, the page gets a short
reference to quote.

ipywidgets reports an exception raised by a widget message (a crafted one too) through
IPython's ``showtraceback``, which sends the whole traceback, source lines and server paths
included, to the page, whatever Voila's ``show_tracebacks`` says. In Voila, coachkit replaces
it: the traceback is written with its reference to the kernel's own stderr (the terminal of
``coachkit app``, the user server's log on the team server), and the page shows the reference.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

ExcInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]


def new_reference() -> str:
    """Six hex digits: short enough to read out, enough to find one line in a log."""
    return secrets.token_hex(3)


def log_error(exc_info: ExcInfo) -> str:
    """Write the traceback to the server's log (never the page); returns its reference."""
    reference = new_reference()
    text = "".join(traceback.format_exception(*exc_info)) if exc_info[1] else "(no exception)\n"
    print(f"coachkit: error {reference} in the page kernel {os.getpid()}:\n{text}",
          file=sys.__stderr__, end="", flush=True)
    return reference


def in_voila() -> bool:
    """Whether this kernel serves a Voila page (Voila sets these for its kernels)."""
    return "VOILA_BASE_URL" in os.environ or "VOILA_KERNEL_ID" in os.environ


def install(show: Callable[[str], None]) -> bool:
    """In a Voila kernel, route IPython's tracebacks to :func:`log_error` and ``show(ref)``.
    Elsewhere (JupyterLab, tests) tracebacks stay where a developer expects them."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not in_voila():
        return False

    def showtraceback(exc_tuple: ExcInfo | None = None, *args: Any, **kwargs: Any) -> None:
        reference = log_error(exc_tuple or sys.exc_info())
        with contextlib.suppress(Exception):  # the page is told if it can be
            show(reference)

    shell.showtraceback = showtraceback
    return True
