"""One report from notebook to files: papermill runs it, nbconvert makes the HTML, WeasyPrint
the PDF.

A :class:`Renderer` loads the stack once (see :mod:`coachkit.reports.stack`) and renders
many reports; each report gets a fresh kernel, so nothing leaks from one deal to the next.
The HTML uses coachkit's own nbconvert template (``templates/coachkit``): inputs, prompts
and stderr hidden, cells tagged ``remove-cell`` left out, no script or stylesheet from
anywhere, charts embedded. The PDF is made from that same HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coachkit.reports import stack
from coachkit.shipped import templates_dir

TEMPLATE_NAME = "coachkit"
DEAL_NOTEBOOK = "deal_report.ipynb"
TEAM_NOTEBOOK = "team_report.ipynb"
COHORT_NOTEBOOK = "cohort_report.ipynb"
REMOVE_TAG = "remove-cell"
START_TIMEOUT = 60
EXECUTION_TIMEOUT = 600


def is_kernel_trouble(exc: BaseException) -> bool:
    from nbclient.exceptions import DeadKernelError
    from zmq import ZMQError

    return isinstance(exc, DeadKernelError | TimeoutError | ZMQError | RuntimeError)


class Renderer:
    """Executes report notebooks and exports them; one per process, reused for every report."""

    def __init__(self, templates: Path | None = None, *, retries: int = 1):
        stack.load()
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        self.templates = templates or templates_dir()
        self.retries = retries
        self.exporter = HTMLExporter(
            template_name=TEMPLATE_NAME,
            extra_template_basedirs=[str(self.templates)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
        self.exporter.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={REMOVE_TAG}), enabled=True)
        self._weasyprint: Any = None

    # -- papermill ---------------------------------------------------------------------------

    def execute(self, notebook: str, parameters: Mapping[str, Any], *,
                keep: Path | None = None, env: Mapping[str, str] | None = None) -> Any:
        """Run ``templates/<notebook>`` with ``parameters`` in a fresh kernel (``env`` added
        to its environment); returns the executed notebook (and writes it to ``keep``). A
        failing cell raises papermill's ``PapermillExecutionError``; a kernel that fails to
        start is retried once."""
        import papermill
        from papermill.exceptions import PapermillExecutionError

        from coachkit.reports.kernel import KERNEL_NAME, manager_with_env

        attempt = 0
        while True:
            try:
                return papermill.execute_notebook(
                    str(self.templates / notebook),
                    str(keep) if keep else None,
                    parameters=dict(parameters),
                    kernel_name=KERNEL_NAME,
                    kernel_manager_class=manager_with_env(env or {}),
                    progress_bar=False,
                    log_output=False,
                    start_timeout=START_TIMEOUT,
                    execution_timeout=EXECUTION_TIMEOUT,
                    shutdown_kernel="immediate",
                )
            except PapermillExecutionError:
                raise
            except Exception as exc:
                if attempt >= self.retries or not is_kernel_trouble(exc):
                    raise
                attempt += 1

    def warm_up(self) -> None:
        """Run a one-cell notebook once, so that IPython's first-use set-up (its profile
        and history database) happens here, not in parallel in the first real reports."""
        import nbformat
        from nbclient import NotebookClient

        from coachkit.reports.kernel import KERNEL_NAME, ThisPythonKernelManager

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import coachkit.reports.deal")])
        NotebookClient(nb, kernel_name=KERNEL_NAME, kernel_manager_class=ThisPythonKernelManager,
                       shutdown_kernel="immediate", startup_timeout=START_TIMEOUT).execute()

    # -- nbconvert and WeasyPrint -------------------------------------------------------------

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
