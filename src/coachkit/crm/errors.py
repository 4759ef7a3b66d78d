"""The crm package's two errors: a file or mapping that cannot be imported, and one bad cell
(caught per row, so that every bad cell of a file is named at once)."""

from __future__ import annotations

from collections.abc import Sequence

from coachkit.errors import CoachkitError


class CrmImportError(CoachkitError):
    """An export (or mapping) that cannot be imported; nothing of it was.

    ``str(exc)`` is one line for the CLI; :attr:`problems` holds every problem, one line each,
    rows named as a spreadsheet shows them.
    """

    def __init__(self, summary: str, problems: Sequence[str] | None = None):
        self.problems: list[str] = list(problems) if problems else [summary]
        super().__init__(summary)


class BadCell(Exception):
    """A cell that is not what its column needs; the message says why."""
