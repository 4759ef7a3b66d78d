"""The registry of report kinds is the one home of each kind's facts: its notebook's
parameters, its content module, its files, its option on ``coachkit report``."""

from __future__ import annotations

import ast
import importlib

import nbformat
import pytest

from coachkit.cli import build_parser
from coachkit.engine.batch import Job, Output, StoreRef
from coachkit.reports.kinds import KINDS, Kind
from coachkit.reports.sections import Sections
from coachkit.shipped import templates_dir


def code_cells(kind: Kind) -> tuple[str, list[str]]:
    nb = nbformat.read(templates_dir() / kind.notebook, as_version=4)
    parameters = [c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, kind.notebook
    return parameters[0], [c.source for c in nb.cells if c.cell_type == "code"
                           and "parameters" not in c.metadata.get("tags", [])]


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_notebook_takes_what_the_registry_gives(name: str) -> None:
    kind = KINDS[name]
    source, _ = code_cells(kind)
    assigned = {t.id for node in ast.parse(source).body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    given = {kind.subject, "store", *kind.parameters,
             *(("link_format", "linked") if kind.links else ())}
    assert assigned == given


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_notebook_shows_its_content_modules_sections(name: str) -> None:
    """The section order lives in the content class alone: the notebook shows sections()."""
    kind = KINDS[name]
    _, cells = code_cells(kind)
    shown = cells[0]
    assert f"from {kind.content} import " in shown
    report = shown.split(f"from {kind.content} import ")[1].split()[0]
    cls = getattr(importlib.import_module(kind.content), report)
    assert issubclass(cls, Sections) and cls.SECTIONS
    assert all(callable(getattr(cls, s)) for s in cls.SECTIONS)
    assert shown.rstrip().split("#")[0].rstrip().endswith(".sections())")


def test_files_and_names_come_from_the_registry() -> None:
    ref, out = StoreRef("s.db"), Output("o", ("html", "pdf"))
    assert Job("deal", "d-1", ref, out).stem == "d-1"
    assert Job("customer", "d-1", ref, out).stem == "d-1-customer"
    assert Job("customer", "d-1", ref, out).name == "d-1 (the customer's page)"
    team = Job("team", "EMEA / Industry", ref, out)
    assert team.stem == "team-EMEA-Industry" and team.name == "team report (EMEA / Industry)"
    assert [p.name for p in team.files()] == [
        "team-EMEA-Industry.html", "team-EMEA-Industry.pdf", "team-EMEA-Industry.csv"]
    assert Job("team", "", ref, out).name == "team report (all deals)"
    assert KINDS["team"].title_of(KINDS["team"].heading("", None)) == (
        "All deals · coachkit team report")


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_command_chooses_each_kind_by_its_option(name: str) -> None:
    from coachkit.cli.report import _chosen

    kind = KINDS[name]
    given = [kind.option, "x"] if kind.option.startswith("-") else ["x"]
    args = build_parser().parse_args(["report", *given, "--for", kind.audience])
    assert _chosen(args) == (kind, "x")
    if kind.every:
        args = build_parser().parse_args(["report", kind.every, "--for", kind.audience])
        assert _chosen(args) == (kind, "")
