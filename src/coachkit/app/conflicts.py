"""The conflict panel: fields both pages changed, side by side, each chosen by the seller.

Everything else of both edits merged by itself (:mod:`coachkit.model.merge`); this panel only
shows what a person must decide, with who saved the other value and when. Nothing is chosen
for the seller: *Save with these choices* waits until every field has an answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as w

from coachkit.app.fields import css_class, text_html
from coachkit.app.session import WorkbookSession
from coachkit.html import Markup, html, join
from coachkit.model.merge import MINE, THEIRS, FieldConflict, item_label
from coachkit.model.vocabulary import field_title, value_words


def shown(value: Any, conflict: FieldConflict) -> Markup:
    """A value as the seller reads it (HTML, escaped)."""
    if value is None:
        return html("<em>(removed)</em>" if conflict.item else "<em>(empty)</em>")
    if isinstance(value, bool):
        return html("yes" if value else "no")
    if isinstance(value, str):
        return html("{}", value) if value.strip() else html("<em>(empty)</em>")
    if isinstance(value, list):
        listed = ", ".join(map(str, value))
        return html("{}", listed) if listed else html("<em>(none)</em>")
    if isinstance(value, dict):
        lines = [html("<b>{}</b>", item_label(str(conflict.path[-2]), value))]
        for key, v in value.items():
            if v in (None, "", [], False) or key == "name":
                continue
            try:
                title = field_title((*conflict.path, key))
            except (KeyError, StopIteration):
                title = key
            text = ", ".join(map(str, v)) if isinstance(v, list) else value_words(v)
            lines.append(html("{}: {}", title, text))
        return join(lines, "<br>")
    return html("{}", value_words(value))


def _css_safe(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def _when(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


class ConflictPanel:
    """Shown while the status is a conflict; one row per field both sides changed."""

    def __init__(self, session: WorkbookSession):
        self.session = session
        self.head = text_html("", "ck-conflict-head")
        self.rows = w.VBox()
        self.message = text_html("", "ck-field-error")
        self.save = css_class(w.Button(description="Save with these choices",
                                       button_style="primary", disabled=True,
                                       layout=w.Layout(width="auto")), "ck-save-choices")
        self.load_theirs = css_class(w.Button(description="Load their version",
                                              layout=w.Layout(width="auto")), "ck-load-theirs")
        self.save.on_click(lambda _: self._save())
        self.load_theirs.on_click(lambda _: self.session.load_theirs())
        self.choices: dict[str, w.ToggleButtons] = {}
        self._shown: tuple[tuple[str, str], ...] = ()
        self.widget = css_class(w.VBox(
            [self.head, self.rows, self.message, w.HBox([self.save, self.load_theirs])],
            layout=w.Layout(display="none")), "ck-conflict")

    def refresh(self) -> None:
        status = self.session.status
        merging = self.session.merging if status.state == "conflict" else None
        self.widget.layout.display = None if status.state == "conflict" else "none"
        conflicts = merging.conflicts if merging else []
        key = tuple((c.pointer, repr(c.theirs)) for c in conflicts)
        if key == self._shown and (conflicts or not self.rows.children):
            self._ready()
            return
        self._shown = key
        self.message.value = ""
        theirs = self.session.theirs
        who = theirs.who if theirs else "the other page"
        if conflicts and theirs:
            which = ("this field. Keep one of the two values" if len(conflicts) == 1
                     else f"these {len(conflicts)} fields. Keep one value for each")
            self.head.value = html(
                "<div class='ck-conflict-intro'>You and {} both changed {}: everything else "
                "either of you changed is merged by itself, and the result is saved as one new "
                "version.</div>", who, which)
        else:
            self.head.value = ""
        self.choices = {}
        rows = []
        for c in conflicts:
            pick = css_class(w.ToggleButtons(
                options=[(f"Keep {who}'s", THEIRS), ("Keep mine", MINE)], value=None,
                style={"button_width": "auto"}), "ck-pick")
            pick.observe(lambda _: self._ready(), names="value")
            self.choices[c.pointer] = pick
            saved = (f"{who} · version {theirs.version} · {_when(theirs.saved_at)}"
                     if theirs else "saved")
            table = html(
                "<div class='ck-choice-title'>{}</div>"
                "<div class='ck-versions'>"
                "<div class='ck-version-box ck-theirs'><div class='ck-version-head'>{}</div>"
                "<div class='ck-version-value'>{}</div></div>"
                "<div class='ck-version-box ck-mine'><div class='ck-version-head'>Yours · not "
                "saved yet</div>"
                "<div class='ck-version-value'>{}</div></div></div>",
                c.title, saved, shown(c.theirs, c), shown(c.mine, c))
            rows.append(css_class(w.VBox([text_html(table), pick]), "ck-choice",
                                  f"ck-choice-{_css_safe(c.pointer)}"))
        self.rows.children = rows
        self._ready()

    def _ready(self) -> None:
        self.save.disabled = not self.choices or any(
            p.value is None for p in self.choices.values())
        self.save.layout.display = None if self.choices else "none"

    def _save(self) -> None:
        refused = self.session.choose({k: p.value for k, p in self.choices.items()
                                       if p.value is not None})
        if refused:
            self._shown = ()
            self.refresh()
            self.message.value = html("<span>{}</span>", refused)
