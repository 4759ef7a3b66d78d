"""nbconvert's HTML exporter without its accessibility pass over the finished page.

``HTMLExporter.from_notebook_node`` (nbconvert 7) ends by parsing the whole page with
BeautifulSoup to give ``alt`` to images without one and ``tabindex`` to JupyterLab's cells,
then printing it again: 70% of a report's export. coachkit's template has no JupyterLab cells
and gives every image an ``alt``, so the pass changes only the serialization (an apostrophe
stays ``&#x27;``); the DOM is the same. nbconvert has no switch for it (a pull request to make
it optional, jupyter/nbconvert#2137, is open), so :func:`exporter_class` repeats the method
without its last step, which needs two private names of nbconvert's exporters:
``_init_resources`` (the resources the template reads: ``include_css``, ``theme``...) and
``_nb_metadata`` (each notebook's metadata, for the widget filter).
"""

from __future__ import annotations

from typing import Any

PRIVATE = ("_init_resources", "_nb_metadata")
"""The private names of ``nbconvert.exporters.HTMLExporter`` used here."""


def exporter_class() -> type:
    """An ``HTMLExporter`` whose ``from_notebook_node`` is nbconvert's without the
    BeautifulSoup pass (nbconvert imported now: it is heavy)."""
    from nbconvert.exporters.html import Highlight2HTML, HTMLExporter, WidgetsDataTypeFilter
    from nbconvert.exporters.templateexporter import TemplateExporter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(  # type: ignore[override]  # as HTMLExporter's own
                self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, dict[str, Any]]:
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name", None))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter
