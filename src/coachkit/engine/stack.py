"""papermill, nbconvert and nbformat, imported once per process and quickly.

Importing nbformat costs about two seconds in a fresh process, and almost all of it is not
nbformat: ``jsonschema`` imports ``rfc3987_syntax`` to offer the ``iri`` string format,
which builds a full Earley parser at import time. No notebook schema uses that format, so
:func:`load` imports jsonschema with ``rfc3987_syntax`` hidden (jsonschema then simply does
not register ``iri``/``iri-reference``), and puts it back afterwards: a later
``import rfc3987_syntax`` works as usual. Measured: papermill + nbconvert import in 0.6 s
instead of 2.3 s.
"""

from __future__ import annotations

import sys

SLOW_OPTIONAL = "rfc3987_syntax"


def import_jsonschema_quickly() -> None:
    """Import jsonschema without its optional ``iri`` format checker (see above)."""
    if "jsonschema" in sys.modules:
        return
    hide = SLOW_OPTIONAL not in sys.modules
    if hide:
        sys.modules[SLOW_OPTIONAL] = None  # type: ignore[assignment]  # "import" fails fast
    try:
        import jsonschema  # noqa: F401
    finally:
        if hide and sys.modules.get(SLOW_OPTIONAL, 0) is None:
            del sys.modules[SLOW_OPTIONAL]


def load(*, export: bool = True) -> None:
    """Import everything that renders reports (idempotent, cheap the second time); with
    ``export=False`` what executes them only (nbconvert can come while a kernel works)."""
    import_jsonschema_quickly()
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    if export:
        import nbconvert  # noqa: F401
