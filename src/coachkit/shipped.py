"""Folders shipped inside the package: report templates, workbook notebooks, the page template.

Voila and nbconvert take paths, so these are real folders on disk, found with
:mod:`importlib.resources` the same way in a wheel and in an editable checkout (where the
repository's top-level ``templates/`` and ``workbooks/`` are the package's own copies).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from coachkit.errors import CoachkitError

APP_NOTEBOOK = "coachkit.ipynb"
"""The seller's workbook app, in :func:`workbooks_dir`."""


def folder(package: str) -> Path:
    """A package's folder on disk (coachkit is never run from a zip)."""
    found = resources.files(package)
    if not isinstance(found, Path) or not found.is_dir():
        raise CoachkitError(f"{package} is not installed as files on disk; reinstall coachkit "
                            "with pip (a zipped install cannot serve notebooks)")
    return found


def templates_dir() -> Path:
    """The report notebooks and coachkit's nbconvert template (``coachkit.templates``)."""
    return folder("coachkit.templates")


def workbooks_dir() -> Path:
    """The notebooks sellers and trainers open (``coachkit.workbooks``)."""
    return folder("coachkit.workbooks")


def hub_templates_dir() -> Path:
    """coachkit's face on JupyterHub's pages (``c.JupyterHub.template_paths``): sign-in,
    the wait while a workbook starts, errors."""
    return folder("coachkit.hub") / "templates"


def app_pages_dir() -> Path:
    """The app server's own pages (Jinja2): sign-in, sign-out and errors, in place of
    Jupyter's."""
    return folder("coachkit.app") / "pages"


def jupyter_data_dir() -> Path:
    """A Jupyter data folder (``JUPYTER_PATH`` entry) holding the app's Voila page template,
    ``voila/templates/coachkit``; Binder's postBuild copies that template into the server's."""
    return folder("coachkit.app") / "jupyter"
