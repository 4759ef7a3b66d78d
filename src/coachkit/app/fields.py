"""Form widgets bound to fields of the open deal.

Every widget built here writes its value to one path of the session's document; a value the
model refuses is shown next to the field and not applied, so the seller sees why at once and
the saved deal stays valid. Lists (risks, people, metrics, ...) get a :class:`ListEditor`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, get_args

import ipywidgets as w

from coachkit.app.session import Path, Removal, WorkbookSession, kernel_loop
from coachkit.html import Markup, html
from coachkit.model.deal import SCORES, STANCES
from coachkit.model.merge import item_label
from coachkit.model.vocabulary import field_hint, field_info, field_title, value_words

SCORE_OPTIONS: list[tuple[str, int | None]] = [("not known", None)] + [
    (str(n), n) for n in SCORES]
STANCE_OPTIONS: list[tuple[str, int | None]] = [("not known", None)] + [
    (f"{n:+d}" if n else "0", n) for n in STANCES]


def css_class(widget: w.Widget, *names: str) -> w.Widget:
    for name in names:
        widget.add_class(name)
    return widget


_SHARED: dict[str, w.Widget] = {}


def shared_looks(widget_class: type[w.Widget], width: str = "") -> dict[str, w.Widget]:
    """One layout model per width and one style model per widget kind, shared by every field:
    each widget model costs a message to the page and work in the browser. Only for widgets
    whose layout is never changed afterwards."""
    layout_key = f"layout:{width}"
    if layout_key not in _SHARED:
        _SHARED[layout_key] = w.Layout(width=width) if width else w.Layout()
    looks = {"layout": _SHARED[layout_key]}
    style_trait = widget_class.class_traits().get("style")
    if style_trait is not None:
        style_class = style_trait.klass
        key = f"style:{style_class.__name__}"
        if key not in _SHARED:
            _SHARED[key] = style_class()
        looks["style"] = _SHARED[key]
    return looks


def text_html(value: Markup | str = "", *classes: str) -> w.HTML:
    """An HTML widget for labels, hints and messages, with the shared looks (``value`` built
    with :func:`coachkit.html.html`, or a literal)."""
    return css_class(w.HTML(value, **shared_looks(w.HTML)), *classes)


def heading(text: str, level: int = 3) -> w.HTML:
    return text_html(html("<h{0} class='ck-heading'>{1}</h{0}>", level, text))


def hint(text: str) -> w.HTML:
    return text_html(html("<div class='ck-hint'>{}</div>", text), "ck-hint-box")


def parse_number(text: str) -> float | None:
    """"1,200.5" or "1 200" -> 1200.5; "" -> None; anything else raises ValueError."""
    cleaned = text.strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    number = float(cleaned)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(text)
    return number


def format_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


class Form:
    """Builds widgets bound to ``session`` paths, each with its message line."""

    def __init__(self, session: WorkbookSession):
        self.session = session
        self.lists: list[ListEditor] = []
        """The list editors built with this form: their headers follow every edit."""

    def _bind(self, widget: w.ValueWidget, path: Path, label: str | None, *,
              to_value: Callable[[Any], Any] = lambda v: v, width: str = "100%",
              description: str = "") -> w.Widget:
        """Bind ``widget`` to ``path``; ``label`` None: the field's title from the model,
        "": no label."""
        if label is None:
            label = field_title(path)
        message = text_html("", "ck-field-error")

        def changed(change: dict[str, Any]) -> None:
            try:
                value = to_value(change["new"])
            except ValueError:
                message.value = "<span>Not a number: type digits, like 1,200.</span>"
                return
            refused = self.session.set(path, value)
            message.value = html("<span>{}</span>", _plain(refused)) if refused else ""

        widget.observe(changed, names="value")
        field_name = ".".join(str(p) for p in path)
        kind = "ck-flag" if isinstance(widget, w.Checkbox) else "ck-input"
        css_class(widget, kind, f"ck-field-{_css_safe(field_name)}")
        parts: list[w.Widget] = []
        if label:
            parts.append(text_html(html("<label>{}</label>", label), "ck-label"))
        if description:
            parts.append(hint(description))
        parts += [widget, message]
        box = css_class(w.VBox(parts, **shared_looks(w.VBox, width)), "ck-field")
        box.input = widget  # the value widget, for views that update it
        return box

    def text(self, path: Path, label: str | None = None, *, area: bool = False,
             placeholder: str | None = None, rows: int = 3, width: str = "100%",
             description: str = "") -> w.Widget:
        """A text field; its placeholder is the field's hint unless given."""
        value = self.session.get(path)
        if placeholder is None:
            placeholder = field_hint(path)
        widget: w.ValueWidget
        if area:
            widget = w.Textarea(value=value, placeholder=placeholder, rows=rows,
                                **shared_looks(w.Textarea, width))
        else:
            widget = w.Text(value=value, placeholder=placeholder, **shared_looks(w.Text, width))
        return self._bind(widget, path, label, width=width, description=description)

    def number(self, path: Path, label: str | None = None, *, width: str = "100%",
               placeholder: str = "") -> w.Widget:
        widget = w.Text(value=format_number(self.session.get(path)), placeholder=placeholder,
                        **shared_looks(w.Text, width))
        return self._bind(widget, path, label, to_value=parse_number, width=width)

    def choice(self, path: Path, label: str | None, options: Sequence[tuple[str, Any]], *,
               width: str = "100%") -> w.Widget:
        widget = w.Dropdown(options=list(options), value=self.session.get(path),
                            **shared_looks(w.Dropdown, width))
        return self._bind(widget, path, label, width=width)

    def score(self, path: Path, label: str | None = None, *, width: str = "100%") -> w.Widget:
        return self.choice(path, label, SCORE_OPTIONS, width=width)

    def stance(self, path: Path, label: str | None = None, *, width: str = "100%") -> w.Widget:
        return self.choice(path, label, STANCE_OPTIONS, width=width)

    def enum(self, path: Path, label: str | None = None, *, width: str = "100%") -> w.Widget:
        """A choice among the values of the field's enumeration, shown as words."""
        kind = _inner_enum(field_info(path).annotation)
        return self.choice(path, label, [(value_words(v), v.value) for v in kind], width=width)

    def flag(self, path: Path, label: str | None = None, *, width: str = "auto") -> w.Widget:
        widget = w.Checkbox(value=bool(self.session.get(path)),
                            description=field_title(path) if label is None else label,
                            indent=False, **shared_looks(w.Checkbox, width))
        return self._bind(widget, path, "", width=width)

    def date(self, path: Path, label: str | None = None, *, width: str = "100%") -> w.Widget:
        raw = self.session.get(path)
        widget = w.DatePicker(value=dt.date.fromisoformat(raw) if raw else None,
                              **shared_looks(w.DatePicker, width))
        return self._bind(widget, path, label, width=width)

    def people(self, path: Path, label: str | None, names: Sequence[str], *,
               width: str = "100%") -> w.Widget:
        """Pick two or more stakeholders (only existing ones are offered)."""
        chosen = [n for n in self.session.get(path) if n in names]
        widget = w.SelectMultiple(options=list(names), value=chosen,
                                  rows=min(max(len(names), 2), 6),
                                  **shared_looks(w.SelectMultiple, width))
        return self._bind(widget, path, label, to_value=list, width=width,
                          description="Hold Ctrl (or ⌘) to pick several.")


def _inner_enum(annotation: Any) -> type[StrEnum]:
    """The enumeration of a field typed ``E`` or ``E | None``."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, StrEnum):
            return candidate
    raise TypeError(f"{annotation} is not an enumeration")


def _plain(message: str) -> str:
    """A refusal line without an internal field path (``deal.value: ...``); a field's title
    ("Currency: three capital letters, like EUR") stays."""
    head, _, rest = message.partition(": ")
    return rest if rest and ("." in head or "[" in head or "_" in head) else message


def _css_safe(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


RowBuilder = Callable[[Form, Path, int], w.Widget]

UNDO_SECONDS = 30.0
"""How long *Undo* is offered after an item is removed."""


class ListEditor:
    """Rows of one list of the deal, each with a remove button, and an add button.

    With ``summary``, a row shows one line and builds its form only when opened: a buying
    group of ten people is ten lines, not a hundred and twenty widgets to send to the page.
    """

    def __init__(self, form: Form, list_path: Path, build_row: RowBuilder,
                 new_item: Callable[[], Any], *, add_label: str, empty_text: str,
                 on_rebuild: Callable[[], None] | None = None,
                 summary: Callable[[Any], str] | None = None):
        self.form = form
        self.list_path = list_path
        self.build_row = build_row
        self.new_item = new_item
        self.empty_text = empty_text
        self.on_rebuild = on_rebuild
        self.summary = summary
        self.opened: set[int] = set()
        self.rows = w.VBox()
        self.message = text_html("", "ck-field-error")
        self.add = css_class(w.Button(description=add_label), "ck-add",
                             f"ck-add-{_css_safe('.'.join(map(str, list_path)))}")
        self.add.on_click(lambda _: self._add())
        self.notice = css_class(w.HBox(layout=w.Layout(display="none")), "ck-notice")
        self._notice_of: Removal | None = None
        self.widget = css_class(w.VBox([self.rows, self.message, self.notice, self.add]),
                                "ck-list")
        self._lines: list[tuple[w.HTML, Markup]] = []
        form.lists.append(self)
        self.rebuild()

    def rebuild(self) -> None:
        items = self.form.session.get(self.list_path)
        self.opened = {i for i in self.opened if i < len(items)}
        self._lines = []
        self.rows.children = [self._row(i, item) for i, item in enumerate(items)] or [
            text_html(html("<em>{}</em>", self.empty_text), "ck-empty")]
        if self.on_rebuild:
            self.on_rebuild()

    def _row(self, i: int, item: Any) -> w.Widget:
        remove = css_class(w.Button(description="Remove", layout=w.Layout(width="auto")),
                           "ck-remove")
        remove.on_click(lambda _: self._remove(i))
        if self.summary is None:
            return css_class(w.VBox([self.build_row(self.form, (*self.list_path, i), i),
                                     remove]), "ck-row")
        summary = self.summary
        header = html("<b>{}</b>", summary(item))
        line = text_html(header, "ck-row-summary")
        self._lines.append((line, header))
        toggle = css_class(w.Button(description="Close" if i in self.opened else "Edit",
                                    layout=w.Layout(width="auto")), "ck-edit")
        body = w.VBox()
        box = css_class(w.VBox([w.HBox([line, toggle, remove]), body]), "ck-row")

        def show(open_it: bool) -> None:
            body.children = [self.build_row(self.form, (*self.list_path, i), i)] \
                if open_it else []
            toggle.description = "Close" if open_it else "Edit"

        def flip(_: Any) -> None:
            if i in self.opened:
                self.opened.discard(i)
            else:
                self.opened.add(i)
            show(i in self.opened)

        toggle.on_click(flip)
        if i in self.opened:
            show(True)
        return box

    def follow(self) -> None:
        """After an edit: each row's header says what its item now holds ("Person 1 —
        influencer" becomes "Maja Holm — plant manager, champion" as it is typed). Only
        headers that changed are sent to the page."""
        if self.summary is None:
            return
        items = self.form.session.get(self.list_path)
        if len(items) != len(self._lines):
            return  # an add or remove rebuilds the rows itself
        for i, (item, (line, shown)) in enumerate(zip(items, self._lines, strict=True)):
            header = html("<b>{}</b>", self.summary(item))
            if header != shown:
                line.value = header
                self._lines[i] = (line, header)

    def _add(self) -> None:
        refused = self.form.session.add_item(self.list_path, self.new_item())
        self.message.value = html("<span>{}</span>", refused) if refused else ""
        if not refused:
            self.opened.add(len(self.form.session.get(self.list_path)) - 1)
        self.rebuild()

    def _remove(self, index: int) -> None:
        """Remove at once, or, when linked data goes with the item (a person's
        disagreements), say what first and ask."""
        linked = self.form.session.linked_to(self.list_path, index)
        if not linked:
            self._removed(index)
            return
        item = self.form.session.get((*self.list_path, index))
        what = item_label(str(self.list_path[-1]), item)
        go = css_class(w.Button(description="Remove them", button_style="danger",
                                layout=w.Layout(width="auto")), "ck-confirm-remove")
        stay = css_class(w.Button(description="Cancel", layout=w.Layout(width="auto")),
                         "ck-cancel-remove")
        go.on_click(lambda _: self._removed(index))
        stay.on_click(lambda _: self._hide_notice())
        self._show_notice(
            html("Removing <b>{}</b> also removes {}.", what, _listed(linked)), [go, stay],
            "ck-confirm")

    def _removed(self, index: int) -> None:
        session = self.form.session
        refused = session.remove_item(self.list_path, index)
        self.message.value = html("<span>{}</span>", refused) if refused else ""
        self.opened = {i - (i > index) for i in self.opened if i != index}
        self.rebuild()
        removal = session.removal
        if refused or removal is None:
            self._hide_notice()
            return
        undo = css_class(w.Button(description="Undo", layout=w.Layout(width="auto")),
                         "ck-undo")
        undo.on_click(lambda _: self._undo(removal))
        also = f", with {_listed(list(removal.linked))}" if removal.linked else ""
        self._show_notice(html("Removed <b>{}</b>{}.", removal.what, also), [undo],
                          "ck-removed")
        self._notice_of = removal
        loop = kernel_loop()
        if loop is not None:
            loop.call_later(UNDO_SECONDS, lambda: self._expire(removal))

    def _undo(self, removal: Removal) -> None:
        session = self.form.session
        if session.removal is not removal:
            self.message.value = "Too late to undo: something else was removed since."
            self._hide_notice()
            return
        refused = session.undo_removal()
        self.message.value = html("<span>{}</span>", refused) if refused else ""
        self._hide_notice()
        self.rebuild()

    def _expire(self, removal: Removal) -> None:
        if self._notice_of is removal:
            self._hide_notice()

    def _show_notice(self, text: Markup, buttons: list[w.Button], kind: str) -> None:
        self.notice.children = [text_html(text, "ck-notice-text"), *buttons]
        self.notice._dom_classes = ("ck-notice", kind)
        self.notice.layout.display = None
        self._notice_of = None

    def _hide_notice(self) -> None:
        self.notice.children = []
        self.notice.layout.display = "none"
        self._notice_of = None


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def grid(children: Sequence[w.Widget], columns: int = 2) -> w.GridBox:
    return w.GridBox(list(children), layout=w.Layout(
        grid_template_columns=f"repeat({columns}, minmax(0, 1fr))", grid_gap="4px 16px",
        width="100%"))
