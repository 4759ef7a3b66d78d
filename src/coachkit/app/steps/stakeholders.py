"""Step 4, Stakeholders: the buying group, where each stands, and where they disagree."""

from __future__ import annotations

import ipywidgets as w

from coachkit.app.fields import Form, ListEditor, css_class, grid, heading, hint
from coachkit.app.session import Path
from coachkit.app.steps.base import Step
from coachkit.model import Role
from coachkit.model.vocabulary import field_title, value_words
from coachkit.views.maps import stakeholder_map

ROLES = [(value_words(r), r.value) for r in Role]


def _person_row(f: Form, path: Path, i: int) -> w.Widget:
    return w.VBox([
        grid([
            f.text((*path, "name")),
            f.text((*path, "title")),
            f.choice((*path, "role"), None, ROLES),
            f.date((*path, "last_contact")),
            f.score((*path, "influence")),
            f.stance((*path, "stance")),
            f.score((*path, "trust")),
            f.flag((*path, "active")),
        ], columns=2),
        grid([f.text((*path, name), area=True, rows=2) for name in (
            "business_goal", "personal_goal", "view_of_problem", "concerns")], columns=2),
    ])


def _person_summary(p: dict) -> str:
    bits = [p.get("title") or "", value_words(Role(p["role"]))]
    if p.get("stance") is not None:
        bits.append(f"stance {p['stance']:+d}")
    if not p.get("active", True):
        bits.append("drops in")
    return f"{p['name']} — " + ", ".join(b for b in bits if b)


def _disagreement_summary(d: dict) -> str:
    state = "resolved" if d.get("resolved") else (
        f"severity {d['severity']}" if d.get("severity") else "open")
    about = (d.get("about") or "").strip()
    about = about if len(about) <= 70 else about[:69] + "…"
    return f"{' vs '.join(d['between'])} ({state})" + (f": {about}" if about else "")


def _unused_name(names: list[str]) -> str:
    n = len(names) + 1
    while f"Person {n}" in names:
        n += 1
    return f"Person {n}"


class StakeholdersStep(Step):
    key = "stakeholders"

    def build(self) -> list[w.Widget]:
        self.map = css_class(w.HTML(), "ck-map", "ck-stakeholder-map")
        self._last_map = ""
        self._names: tuple[str, ...] = self._current_names()
        self.disagreements: ListEditor | None = None
        self.people = ListEditor(
            self.form, ("stakeholders",), _person_row,
            lambda: {"name": _unused_name(list(self._current_names()))},
            add_label="Add a person", empty_text="Nobody mapped yet.",
            on_rebuild=self._names_changed, summary=_person_summary)
        self.disagreements = ListEditor(
            self.form, ("disagreements",), self._disagreement_row, self._new_disagreement,
            add_label="Add a disagreement", summary=_disagreement_summary,
            empty_text="No disagreements recorded. Every buying group has some: who wants "
                       "something different?")
        return [
            hint("The people who will decide, use, pay for or block this change, each seen "
                 "from where they sit."),
            self.people.widget,
            heading("Stakeholder map"),
            self.map,
            heading(field_title(("disagreements",))),
            self.disagreements.widget,
        ]

    def _current_names(self) -> tuple[str, ...]:
        deal = self.session.deal
        return tuple(s.name for s in deal.stakeholders) if deal else ()

    def _disagreement_row(self, f: Form, path: Path, i: int) -> w.Widget:
        return w.VBox([
            f.people((*path, "between"), None, self._current_names()),
            f.text((*path, "about"), area=True, rows=2),
            grid([f.score((*path, "severity")), f.flag((*path, "resolved"))]),
            f.text((*path, "resolution_plan"), area=True, rows=2),
        ])

    def _new_disagreement(self) -> dict:
        names = list(self._current_names())[:2]
        return {"between": names, "about": "", "severity": None}

    def _names_changed(self) -> None:
        """People added, removed or renamed: the disagreement editor offers the new names."""
        editor = getattr(self, "disagreements", None)
        if editor is None:
            return
        names = self._current_names()
        if names != self._names:
            self._names = names
            editor.rebuild()
        editor.add.disabled = len(names) < 2

    def refresh(self) -> None:
        super().refresh()
        if self.session.deal is None or not hasattr(self, "map"):
            return
        self._names_changed()
        svg = stakeholder_map(self.session.deal)
        if svg != self._last_map:
            self.map.value = self._last_map = svg
