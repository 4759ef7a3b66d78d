"""The app's widgets driven in plain Python (no browser): find them by the CSS classes the
browser tests select them by, read a field, open a step."""

from __future__ import annotations

import ipywidgets as w

from coachkit.app import App

XSS = "<img src=x onerror=alert(1)>"


def find(root: w.Widget, css: str) -> list[w.Widget]:
    """Widgets under ``root`` carrying a CSS class (as the browser tests select them)."""
    out, todo = [], [root]
    while todo:
        widget = todo.pop()
        if css in getattr(widget, "_dom_classes", ()):
            out.append(widget)
        todo.extend(getattr(widget, "children", ()))
    return out


def field(app: App, name: str) -> w.ValueWidget:
    found = [x for x in find(app.widget, f"ck-field-{name}") if isinstance(x, w.ValueWidget)]
    assert found, f"no field {name}"
    return found[0]


def show(app: App, title: str) -> None:
    app.tabs.selected_index = [s.title for s in app.steps].index(title)
