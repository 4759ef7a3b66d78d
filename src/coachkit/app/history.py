"""The open deal's history: who saved what, when, and *Restore* for any earlier version.

The same versions ``coachkit history`` lists; a restore is saved as a new version, so the
history itself never loses anything.
"""

from __future__ import annotations

import ipywidgets as w

from coachkit.app.fields import css_class, text_html
from coachkit.app.session import WorkbookSession
from coachkit.errors import CoachkitError
from coachkit.html import html
from coachkit.model.merge import changes, summary

SHOWN = 25
"""Versions listed, newest first (the CLI's ``coachkit history`` lists them all)."""


class HistoryPanel:
    """Built when opened; rebuilt when opened again (others may have saved since)."""

    def __init__(self, session: WorkbookSession):
        self.session = session
        self.rows = w.VBox()
        self.message = text_html("", "ck-field-error")
        self.widget = css_class(w.VBox([self.rows, self.message]), "ck-history")

    def refresh(self) -> None:
        try:
            versions = self.session.history()
        except CoachkitError as exc:
            self.message.value = html("<span>{}</span>", exc)
            return
        if not versions:
            self.rows.children = [text_html("<em>Open a deal to see its history.</em>")]
            return
        latest = versions[-1].version
        shown = versions[-SHOWN - 1:]
        docs = [v.deal.to_json_dict() for v in shown]
        rows = []
        for i in range(len(shown) - 1, -1, -1):
            v = shown[i]
            if i == 0 and v.version != versions[0].version:
                break  # only there to say what the oldest shown one changed
            what = ("started the deal" if i == 0
                    else f"changed {summary(changes(docs[i - 1], docs[i]), 4)}"
                    if changes(docs[i - 1], docs[i]) else "saved (no change)")
            line = text_html(html("<b>Version {}</b> · {:%Y-%m-%d %H:%M} UTC · {} · {}",
                                  v.version, v.saved_at, v.author, what), "ck-version-line")
            parts: list[w.Widget] = [line]
            if v.version != latest:
                button = css_class(w.Button(description=f"Restore version {v.version}",
                                            layout=w.Layout(width="auto")), "ck-restore")
                button.on_click(lambda _, n=v.version: self._restore(n))
                parts.append(button)
            else:
                parts.append(text_html("<em>current</em>", "ck-current"))
            rows.append(css_class(w.HBox(parts), "ck-version",
                                  f"ck-version-{v.version}"))
        self.rows.children = rows

    def _restore(self, version: int) -> None:
        refused = self.session.restore(version)
        self.message.value = html("<span>{}</span>", refused) if refused else ""
        self.refresh()
