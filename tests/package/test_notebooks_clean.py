"""Notebooks are committed clean: no outputs, no execution counts, valid nbformat.

Outputs in git are noise in every diff and can leak a deal into the repository. This covers
every notebook under ``templates/`` (the reports) and ``workbooks/`` (the app); the report
notebooks must also take their parameters from a cell tagged ``parameters`` and use no
widgets.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from support.helpers import REPO

ROOT = REPO
NOTEBOOKS = sorted([*ROOT.joinpath("templates").rglob("*.ipynb"),
                    *ROOT.joinpath("workbooks").rglob("*.ipynb")])
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
REPORTS = {"deal_report.ipynb": {"deal_id", "store", "as_of", "since"},
           "team_report.ipynb": {"team", "store", "as_of"}}


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_report_notebooks_exist() -> None:
    assert {p.name for p in NOTEBOOKS} >= set(REPORTS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and (
        cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{_id(path)}: cells {dirty} have outputs or execution counts"
    assert "widgets" not in nb.metadata, f"{_id(path)}: widget state is saved in the notebook"


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_notebooks_are_parameterised_and_thin(name: str) -> None:
    nb = json.loads((ROOT / "templates" / name).read_text(encoding="utf-8"))
    tagged = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    source = "".join(tagged[0]["source"])
    assert all(f"{p} =" in source for p in REPORTS[name])
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "ipywidgets" not in code and "def " not in code and "class " not in code
    assert sum(len(c["source"]) for c in nb["cells"] if c["cell_type"] == "code") < 40
