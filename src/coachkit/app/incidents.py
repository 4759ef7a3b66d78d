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


def log_interrupt(exc: KeyboardInterrupt) -> None:
    """A page kernel is interrupted only by its server, just before it shuts it down
    (jupyter_client sends SIGINT first): one line, no traceback, on Ctrl-C too. Nothing at all
    for a preheated kernel still waiting for its page: it held nothing."""
    from coachkit.app.page_request import StoppedBeforePage

    if not isinstance(exc, StoppedBeforePage):
        print(f"coachkit: the page kernel {os.getpid()} was interrupted by its server "
              "(it is being shut down)", file=sys.__stderr__, flush=True)


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
        exc_info = exc_tuple or sys.exc_info()
        if isinstance(exc_info[1], KeyboardInterrupt):
            log_interrupt(exc_info[1])
            return
        reference = log_error(exc_info)
        with contextlib.suppress(Exception):  # the page is told if it can be
            show(reference)

    shell.showtraceback = showtraceback
    return True
