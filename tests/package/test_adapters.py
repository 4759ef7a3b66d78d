"""The private names of libraries coachkit relies on (``coachkit.adapters``) are still there,
with the shape coachkit reads, in the installed versions: an upgrade that changes one fails
here, naming it, instead of in a running server."""

from __future__ import annotations

import asyncio
import gc
import inspect
from pathlib import Path

import pytest

from support.helpers import run_async


def _upgrade(library: str, version: str, what: str, adapter: str) -> str:
    return (f"{library} {version}: {what}; coachkit.adapters.{adapter} relies on it: follow the "
            "change there (and in its test)")


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited")  # the cancelled kernel
def test_voila_keeps_its_preheated_kernels_where_the_adapter_reads_them(tmp_path: Path) -> None:
    import voila
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from voila.app import Voila
    from voila.voila_kernel_manager import voila_kernel_manager_factory

    from coachkit.adapters.voila import POOLS, pool_tasks

    app = Voila(root_dir=str(tmp_path))  # no notebook there: nothing is preheated at start
    plain = voila_kernel_manager_factory(AsyncMappingKernelManager, False, 0)(parent=app)
    assert pool_tasks(plain) == []  # --preheated 0: no pools
    preheating = voila_kernel_manager_factory(AsyncMappingKernelManager, True, 2)(parent=app)
    pools = getattr(preheating, POOLS, None)
    assert isinstance(pools, dict), _upgrade(
        "voila", voila.__version__, f"the preheating kernel manager has no dict {POOLS}",
        "voila")

    async def fill() -> None:
        preheating.fill_if_needed(delay=3600, notebook_name="page.ipynb")  # no kernel yet
        try:
            tasks = pool_tasks(preheating, "page.ipynb")
            assert len(tasks) == preheating.get_pool_size("page.ipynb") == 2, _upgrade(
                "voila", voila.__version__, f"{POOLS} no longer holds a list per notebook, in "
                "step with get_pool_size", "voila")
            assert all(isinstance(t, asyncio.Task) for t in tasks), _upgrade(
                "voila", voila.__version__, f"{POOLS} no longer holds asyncio tasks", "voila")
            assert pool_tasks(preheating) == tasks
        finally:
            for task in pool_tasks(preheating):
                task.cancel()
            await asyncio.gather(*pool_tasks(preheating), return_exceptions=True)
            pools.clear()

    run_async(fill())  # off the main thread: Playwright's loop may be running there
    gc.collect()  # the never-started kernel's coroutine goes now, under this test's filter


def test_nbconverts_html_export_is_still_the_one_the_adapter_repeats() -> None:
    import nbconvert
    from nbconvert.exporters.html import HTMLExporter

    from coachkit.adapters.nbconvert import PRIVATE

    version = nbconvert.__version__
    exporter = HTMLExporter()
    for name in PRIVATE:
        assert hasattr(exporter, name), _upgrade("nbconvert", version, f"HTMLExporter has no "
                                                 f"{name}", "nbconvert")
    assert isinstance(exporter._nb_metadata, dict), _upgrade(
        "nbconvert", version, "_nb_metadata is no longer a dict", "nbconvert")
    resources = exporter._init_resources(None)
    assert {"include_css", "theme", "should_sanitize_html"} <= set(resources), _upgrade(
        "nbconvert", version, "_init_resources no longer gives the template's resources",
        "nbconvert")
    source = inspect.getsource(HTMLExporter.from_notebook_node)
    for step in ("self._init_resources(resources)", "WidgetsDataTypeFilter(",
                 "notebook_metadata=self._nb_metadata", "Highlight2HTML(",
                 "super().from_notebook_node(nb, resources, **kw)", "BeautifulSoup("):
        assert step in source, _upgrade(
            "nbconvert", version, f"HTMLExporter.from_notebook_node changed (no {step!r})",
            "nbconvert")


def test_the_fast_export_gives_the_same_page_as_nbconverts() -> None:
    """The same notebook through nbconvert's exporter and through coachkit's (without the
    BeautifulSoup pass): the same document once both are parsed."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert.exporters.html import HTMLExporter

    from coachkit.engine.render import TEMPLATE_NAME, html_exporter, palette_loader
    from coachkit.shipped import templates_dir

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Deal\n\nThe customer's *own* words: <b>bold</b>"),
        nbformat.v4.new_code_cell("1 + 1", outputs=[nbformat.v4.new_output(
            "execute_result", {"text/html": "<p title='x'>It's <i>2</i></p>",
                               "text/plain": "2"}, execution_count=1)]),
    ])
    resources = {"metadata": {"name": "deal"}}
    ours, _ = html_exporter(templates_dir()).from_notebook_node(nb, resources=dict(resources))
    theirs, _ = HTMLExporter(
        template_name=TEMPLATE_NAME, extra_template_basedirs=[str(templates_dir())],
        extra_loaders=[palette_loader()],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
    ).from_notebook_node(nb, resources=dict(resources))
    assert "It's <i>2</i>" in str(BeautifulSoup(ours, features="html.parser"))
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
