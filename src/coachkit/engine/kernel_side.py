"""What runs inside a report kernel: a baseline taken once, and a reset back to it before
every notebook, so that one kernel serves many deals and no deal sees another's state.

The kernel keeps what it imported (that is the point: the stack is imported once) and forgets
everything a notebook did that the next one could see:

- the user namespace, ``In``/``Out``, ``_``, the history and the execution count
  (``InteractiveShell.reset(new_session=True)``; ``%reset -f`` keeps counting, so the next
  deal's outputs would carry the last one's numbers, and it restores none of the below);
- ``os.environ`` (then this notebook's own extra variables, e.g. a store URL with a password,
  which must not be a notebook parameter), the working directory, ``sys.path``, ``sys.argv``;
- the warning filters, and the "already shown once" registries;
- matplotlib's ``rcParams`` (the charts set theirs) and any open pyplot figure;
- IPython's display formatters' printers, event callbacks and input transformers;
- the root logger's level and handlers.

An import stays (a fresh kernel would have made it too), and so do the warning filters and
environment variables a module sets while it is imported (numpy adds filters): the baseline
grows with them, so the next notebook sees what a fresh kernel that imported the same module
would see. What a reset cannot undo (a thread a notebook left running) makes :func:`reset`
raise, and the host replaces the kernel. The host sends ``reset(...)`` as a silent execute
request: nothing of it reaches a notebook's outputs or history.
"""

from __future__ import annotations

import builtins
import gc
import logging
import os
import sys
import threading
import warnings
from typing import Any, cast

_BASE: dict[str, Any] | None = None
_DEPTH = 0


class KernelDirty(RuntimeError):
    """A notebook left behind state a reset cannot undo: the kernel must be replaced."""


def _shell() -> Any:
    from IPython import get_ipython

    return get_ipython()


def _formatters(ip: Any) -> dict[str, tuple[dict[Any, Any], dict[Any, Any]]]:
    return {name: (dict(f.type_printers), dict(f.deferred_printers))
            for name, f in ip.display_formatter.formatters.items()}


def _rc(params: Any) -> dict[str, Any]:
    return {k: v for k, v in dict.items(params) if k != "backend"}


def snapshot() -> None:
    """Remember the state every notebook starts from (once, after the preloaded imports)."""
    global _BASE
    ip = _shell()
    mpl = sys.modules.get("matplotlib")
    _BASE = {
        "environ": dict(os.environ),
        "cwd": os.getcwd(),
        "path": list(sys.path),
        "argv": list(sys.argv),
        "filters": list(warnings.filters),
        "rc": _rc(mpl.rcParams) if mpl else None,
        "formatters": _formatters(ip),
        "events": {k: list(v) for k, v in ip.events.callbacks.items()},
        "transformers": list(ip.input_transformers_post),
        "threads": {t.ident for t in threading.enumerate()},
        "log_level": logging.root.level,
        "log_handlers": list(logging.root.handlers),
    }
    builtins.__import__ = _tracking(builtins.__import__)
    _freeze()


def _tracking(real_import: Any) -> Any:
    """``__import__`` that adds to the baseline what a new module's import itself does to the
    warning filters and the environment (not what the notebook does between imports).

    Python documents ``builtins.__import__`` as replaceable: no library's private name. An
    import hook (``sys.meta_path``) sees a module's import begin, but its end only by
    wrapping every loader, which importlib.resources and friends inspect; this wrapper sees
    both. (``importlib.import_module`` bypasses it: what such an import does is reset.)"""

    def tracked(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                level: int = 0) -> Any:
        global _DEPTH
        if _BASE is None or _DEPTH or (not level and not fromlist and name in sys.modules):
            return real_import(name, globals, locals, fromlist, level)
        modules, filters, environ = len(sys.modules), list(warnings.filters), dict(os.environ)
        _DEPTH += 1
        try:
            return real_import(name, globals, locals, fromlist, level)
        finally:
            _DEPTH -= 1
            if len(sys.modules) != modules:
                _BASE["filters"][:0] = [f for f in warnings.filters if f not in filters]
                _BASE["environ"].update({k: v for k, v in os.environ.items()
                                         if environ.get(k) != v})

    return tracked


def _freeze() -> None:
    """Move what survives a collection out of the collector's sight: the imported stack is
    permanent, and without this every reset's collection scans all of pydantic's and
    SQLAlchemy's objects again (about 0.1 s each time)."""
    gc.collect()
    gc.freeze()


def reset(env: dict[str, str] | None = None) -> None:
    """Back to the snapshot, then ``env`` added to the environment (this notebook's own)."""
    if _BASE is None:
        snapshot()
    base = _BASE
    assert base is not None
    ip = _shell()
    ip.reset(new_session=True)
    if os.environ != base["environ"]:
        os.environ.clear()
        os.environ.update(base["environ"])
    os.environ.update(env or {})
    if os.getcwd() != base["cwd"]:
        os.chdir(base["cwd"])
    sys.path[:] = base["path"]
    sys.argv[:] = base["argv"]
    cast(list[Any], warnings.filters)[:] = base["filters"]
    warnings._filters_mutated()  # type: ignore[attr-defined]  # forget "shown once"
    _reset_matplotlib(base)
    for name, (types, deferred) in base["formatters"].items():
        formatter = ip.display_formatter.formatters.get(name)
        if formatter is not None:
            formatter.type_printers.clear()
            formatter.type_printers.update(types)
            formatter.deferred_printers.clear()
            formatter.deferred_printers.update(deferred)
    for event, callbacks in base["events"].items():
        ip.events.callbacks[event][:] = callbacks
    ip.input_transformers_post[:] = base["transformers"]
    logging.root.setLevel(base["log_level"])
    logging.root.handlers[:] = base["log_handlers"]
    left = [t.name for t in threading.enumerate()
            if t.ident not in base["threads"] and t.is_alive() and not t.daemon]
    if left:
        raise KernelDirty(f"a notebook left threads running: {', '.join(left)}")
    _freeze()  # what the last notebook imported (pandas for a team report) is permanent too


def _reset_matplotlib(base: dict[str, Any]) -> None:
    mpl = sys.modules.get("matplotlib")
    if mpl is None:
        return
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    if base["rc"] is None:  # first imported by a notebook: its import-time defaults
        base["rc"] = _rc(mpl.rcParamsOrig)
    with warnings.catch_warnings():  # deprecated keys warn when set, even to themselves
        warnings.simplefilter("ignore")
        mpl.rcParams.update(base["rc"])
