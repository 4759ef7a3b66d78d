"""A report as sections in order: the one home of each report's order."""

from __future__ import annotations

from typing import ClassVar

from coachkit.reports.markup import Safe


class Sections:
    """A report made of sections: the methods :attr:`SECTIONS` names, top to bottom. That
    tuple is the report's one order: its notebook shows :meth:`sections`, and so does every
    other host (the app's preview, the tests)."""

    SECTIONS: ClassVar[tuple[str, ...]] = ()

    def sections(self) -> list[Safe]:
        """The sections in order; those with nothing to show are left out."""
        parts = (getattr(self, name)() for name in self.SECTIONS)
        return [p for p in parts if p]

    def all_sections(self) -> Safe:
        """The whole report in one piece."""
        return Safe("".join(self.sections()))
