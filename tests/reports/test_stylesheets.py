"""One palette for both stylesheets: the app's (``app/style.py``) and the reports'
(``templates/coachkit/report.css``) write no colour themselves, only ``var(--ck-...)``, and
every one they use is defined by ``views/palette.py`` in the page that carries them."""

from __future__ import annotations

import re

import pytest

from coachkit.app.style import CSS, MERGE_CSS
from coachkit.views import palette
from support.helpers import REPO

REPORT_CSS = REPO / "templates" / "coachkit" / "report.css"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(|\b(?:white|black)\b(?!-)",
                    re.IGNORECASE)
USED = re.compile(r"var\(\s*--ck-([a-z-]+)\s*\)")
DEFINED = re.compile(r"--ck-([a-z-]+):\s*([^;]+);")


def without_variables(css: str) -> str:
    """A stylesheet without the palette's block (the one place colours are written)."""
    block = palette.css_variables()
    assert css.count(block) <= 1
    return css.replace(block, "")


STYLESHEETS = {"app": without_variables(CSS), "app-merge": MERGE_CSS,
               "report": REPORT_CSS.read_text(encoding="utf-8")}


@pytest.mark.parametrize("name", STYLESHEETS)
def test_a_stylesheet_writes_no_colour_itself(name: str) -> None:
    css = STYLESHEETS[name]
    written = [(css[:m.start()].count("\n") + 1, m.group(0)) for m in COLOUR.finditer(css)]
    assert not written, f"{name}: colours written outside views/palette.py (line, text): " \
                        f"{written}"
    assert USED.search(css), name


def test_the_palettes_block_defines_every_variable_the_stylesheets_use() -> None:
    defined = dict(DEFINED.findall(palette.css_variables()))
    assert defined == palette.colours()
    used = {v for css in STYLESHEETS.values() for v in USED.findall(css)}
    assert used - set(defined) == set(), "var(--ck-...) used but not in the palette"
    for value in defined.values():
        assert re.fullmatch(r"#[0-9a-f]{6}|rgba\([0-9., ]+\)", value), value


def test_the_palette_names_each_shade_once_by_meaning() -> None:
    """Each severity has its colour, tint, edge and text; no two names of the palette are
    the same colour unless one says it is the other (the customer is the heading navy)."""
    colours = palette.colours()
    for severity in ("critical", "warning", "info", "good"):
        for shade in ("", "-tint", "-edge", "-text"):
            assert severity + shade in colours
    aliases = {"customer": "heading", "seller": "warning"}
    assert {name: colours[name] for name in aliases} == \
           {name: colours[of] for name, of in aliases.items()}
    values = [v for name, v in colours.items() if name not in aliases]
    assert len(values) == len(set(values)), "one colour under two names"


def test_the_app_and_the_report_page_carry_the_palettes_block() -> None:
    """The app's stylesheet starts with it; the report page has it before report.css, as
    nbconvert renders coachkit's template (through its public ``extra_loaders``)."""
    import nbformat

    from coachkit.engine.render import html_exporter
    from coachkit.shipped import templates_dir

    assert CSS.startswith("<style>\n" + palette.css_variables())
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Deal")])
    page, _ = html_exporter(templates_dir()).from_notebook_node(
        nb, resources={"metadata": {"name": "deal"}})
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    assert style.group(1).strip().startswith(palette.css_variables().strip())
    assert "background: var(--ck-critical-tint);" in style.group(1)
    defined = set(DEFINED.findall(style.group(1)))
    assert {(name, f"{value}") for name, value in palette.colours().items()} <= defined
