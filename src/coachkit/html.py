"""HTML escaped by construction for the app, its sign-in page, the maps and the team server's
reports service, on markupsafe (as Jinja2, Voila and JupyterHub's templates are).

A template is code, a literal; every value put into it is escaped unless it is already
:class:`Markup` (made here, from escaped parts). A seller's ``<script>`` shows as text.
Nothing else escapes by hand. (The reports build theirs with :mod:`coachkit.reports.markup`,
the same rule on its own ``Safe`` type.)

Beware: ``"<b>" + html(...)`` is escaped whole (Markup escapes a plain str added to it), so
the tags show as text; put the tags in the template instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape


def html(template: str, /, *args: object, **kwargs: object) -> Markup:
    """``html("<b title='{}'>{}</b>", tip, name)``: the values escaped (quotes too), the
    template kept; format specs work on the values (``{:.1f}``)."""
    return Markup(template).format(*args, **kwargs)


def join(parts: Iterable[object], sep: str = "") -> Markup:
    """The parts, each escaped unless Markup, joined by ``sep`` (a literal)."""
    return Markup(sep).join(escape(p) for p in parts)


__all__ = ["Markup", "escape", "html", "join"]
