"""One report from notebook to files: a warm kernel runs it, nbconvert makes the HTML,
WeasyPrint the PDF.

A :class:`Renderer` loads the stack once (see :mod:`coachkit.engine.stack`) and renders many
reports, each notebook in the same kernel, reset in between (:mod:`coachkit.engine.kernels`).
Each report's notebook is the template parsed once and copied, with papermill's parameter
cell injected, executed by nbclient. The kernel is made on first use, so a renderer that only
exports (the app's preview of the customer's page) never starts one; the one-deal command
passes in a kernel it launched before importing anything heavy.

The HTML uses coachkit's own nbconvert template (``templates/coachkit``), compiled once, while
the kernel runs the first notebook (the kernel works on the other core meanwhile):
inputs, prompts and stderr hidden, cells tagged ``remove-cell`` left out, no script or
stylesheet from anywhere, charts embedded. The PDF is made from that same HTML.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from coachkit.engine import stack
from coachkit.engine.kernels import KERNEL_NAME, KernelThread
from coachkit.fs import write_atomic
from coachkit.shipped import templates_dir

TEMPLATE_NAME = "coachkit"
REMOVE_TAG = "remove-cell"
PALETTE_TEMPLATE = "coachkit-palette.css"
"""The palette's CSS custom properties, as the report template includes them."""
EXECUTION_TIMEOUT = 600
"""Seconds one cell may run; past it the kernel is replaced and the report tried again."""


class Renderer:
    """Executes report notebooks in its kernel and exports them; one per process."""

    def __init__(self, templates: Path | None = None, *, kernel: KernelThread | None = None,
                 timeout: float = EXECUTION_TIMEOUT):
        self._kernel = kernel
        stack.load(export=False)
        self.templates = templates or templates_dir()
        self.timeout = timeout
        self._exporter: Any = None
        self._notebooks: dict[str, Any] = {}
        self._weasyprint: Any = None

    @property
    def exporter(self) -> Any:
        """The HTML exporter, made on first use (see :meth:`execute`)."""
        if self._exporter is None:
            stack.load()
            self._exporter = html_exporter(self.templates)
        return self._exporter

    @property
    def kernel(self) -> KernelThread:
        """This renderer's kernel, launched on first use."""
        if self._kernel is None:
            self._kernel = KernelThread()
        return self._kernel

    def close(self) -> None:
        """Shut the kernel down (if one was started)."""
        if self._kernel is not None:
            self._kernel.close()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- execution ---------------------------------------------------------------------------

    def notebook(self, name: str, parameters: Mapping[str, Any]) -> Any:
        """``templates/<name>`` with its parameters injected (papermill's ``parameters``
        cell convention), a copy of the template read once."""
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        if name not in self._notebooks:
            self._notebooks[name] = load_notebook_node(str(self.templates / name))
        return parameterize_notebook(copy.deepcopy(self._notebooks[name]), dict(parameters),
                                     kernel_name=KERNEL_NAME, language="python")

    def execute(self, notebook: str, parameters: Mapping[str, Any], *,
                keep: Path | None = None, env: Mapping[str, str] | None = None) -> Any:
        """Run ``templates/<notebook>`` with ``parameters`` in the kernel, reset first and
        ``env`` added to its environment (what must not be a parameter, such as a store
        password); returns the executed notebook, also written to ``keep`` (even when it
        failed). A failing cell raises nbclient's ``CellExecutionError``; kernel trouble
        twice raises :class:`~coachkit.engine.kernels.KernelGone`."""
        nb = self.notebook(notebook, parameters)
        kernel = self.kernel

        async def cells(km: Any, kc: Any) -> None:
            from nbclient import NotebookClient

            client = NotebookClient(nb, km=km, kernel_name=KERNEL_NAME, timeout=self.timeout)
            client.kc = kc  # the kernel's one client (see kernels): no second connection
            await client.async_execute()

        future = kernel.submit(kernel.kernel.run(cells, env=env))
        try:
            self.exporter  # noqa: B018  (made while the kernel works: the first report's 0.4 s)
            future.result()
        except BaseException:
            future.cancel()  # interrupted: stop the notebook too
            raise
        finally:
            if keep is not None:
                import nbformat

                write_atomic(keep, nbformat.writes(nb))
        return nb

    # -- nbconvert and WeasyPrint ------------------------------------------------------------

    @staticmethod
    def output_of(nb: Any, mimetype: str) -> str | None:
        """The first output of ``mimetype`` in an executed notebook (e.g. the team CSV)."""
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if mimetype in data:
                    return data[mimetype]
        return None

    def html(self, nb: Any, title: str, footer: str = "") -> str:
        """The executed notebook as one self-contained HTML page."""
        body, _ = self.exporter.from_notebook_node(
            nb, resources={"metadata": {"name": title}, "coachkit_footer": footer})
        return body

    def pdf(self, html: str, base: Path) -> bytes:
        """The same HTML as PDF. Only ``data:`` URLs may be fetched: nothing leaves the
        machine, whatever the HTML says."""
        if self._weasyprint is None:
            import weasyprint

            self._weasyprint = weasyprint
        wp = self._weasyprint
        fetcher = wp.urls.URLFetcher(allowed_protocols={"data"})
        return wp.HTML(string=html, base_url=str(base), url_fetcher=fetcher).write_pdf()


def html_exporter(templates: Path) -> Any:
    """coachkit's HTML exporter, its template compiled now (Jinja compiles on first use,
    about 0.2 s: better while a kernel starts than on the first report's path)."""
    import nbformat
    from nbconvert.preprocessors import TagRemovePreprocessor

    from coachkit.adapters.nbconvert import exporter_class

    # HTMLExporter without its BeautifulSoup pass over the page (70% of an export): why, and
    # the private names it needs, in coachkit.adapters.nbconvert
    ReportExporter = exporter_class()
    exporter = ReportExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(templates)],
        extra_loaders=[palette_loader()],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        optimistic_validation=True,  # validate once, not after each preprocessor
    )
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={REMOVE_TAG}),
                                   enabled=True)
    exporter.from_notebook_node(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("")]), resources={"metadata": {"name": ""}})
    return exporter


def palette_loader() -> Any:
    """The palette's custom properties as the template ``coachkit-palette.css``, which the
    report template includes before ``report.css`` (nbconvert's public ``extra_loaders``:
    kept when the exporter rebuilds its Jinja environment, unlike a global)."""
    from jinja2 import DictLoader

    from coachkit.views.palette import css_variables

    return DictLoader({PALETTE_TEMPLATE: css_variables()})


def notebook_of(sections: Iterable[str]) -> Any:
    """Sections of HTML as an executed notebook, for a report made without a kernel (the
    app's preview of the customer's page): the cell its notebook's ``display`` makes."""
    import nbformat

    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", {"text/html": str(html),
                                                            "text/plain": ""})
                    for html in sections]
    return nbformat.v4.new_notebook(cells=[cell])
