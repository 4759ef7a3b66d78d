"""The errors coachkit reports to a person: one line each, never a traceback."""

from __future__ import annotations


def shown(text: str) -> str:
    """Text safe for a terminal, on one line: escape sequences, newlines and other control
    characters a user typed (an id, a name) are shown as ``\x1b``, never obeyed."""
    return "".join(ch if ch.isprintable() or ch == " " else
                   ch.encode("unicode_escape").decode("ascii") for ch in text)


class CoachkitError(Exception):
    """Anything the user can fix; the CLI prints its message on one line and exits 1."""


class InvalidWorkbook(CoachkitError):
    """A file or document that is not a valid workbook; names the file and the field."""


class NotFound(CoachkitError):
    """A deal, version or conflict that the store does not hold."""


class ConflictError(CoachkitError):
    """A save based on an old version: someone saved in between. The edit is kept."""

    def __init__(self, deal_id: str, base_version: int | None, latest: int, conflict_id: int):
        self.deal_id = deal_id
        self.base_version = base_version
        self.latest = latest
        self.conflict_id = conflict_id
        super().__init__(
            f"deal {deal_id} was saved by someone else (version {latest}) since you opened "
            f"version {base_version}; your edit is kept as conflict {conflict_id} "
            f"(coachkit conflicts {deal_id}; coachkit restore {conflict_id})"
        )


class StaleError(CoachkitError):
    """Deals that changed between reading them and saving them; nothing was saved (and,
    unlike :class:`ConflictError`, nothing kept): read again and redo the work."""

    def __init__(self, deal_id: str):
        self.deal_id = deal_id
        super().__init__(f"deal {deal_id} was saved by someone else in the meantime; nothing "
                         "was saved, try again")


class Refused(CoachkitError):
    """A change the signed-in user may not make (a deal outside their teams)."""
