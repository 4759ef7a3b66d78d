"""The change story's sections and the workbook's steps, in order, each named once; the
story's fields in order; an enumeration value in words. (The rating scales are on the model,
beside the types that check them: ``coachkit.model.deal.SCORES`` and ``STANCES``.)

Coaching, completeness, the app's tabs and coach panels, the reports and the terminal views
all read these, so adding a section or renaming one is one change here. Field labels live on
the model's fields (``Field(title=...)``); :func:`field_title` reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

STORY_FIELDS: Final = ("current_state", "future_state", "root_cause", "business_impact",
                       "personal_impact", "why_change", "why_now")
"""The Problem's change story after its statement, in the order the form asks for it and
completeness counts it (the deal report and the customer page keep their own copy until the
report-kind registry lands: ``tests/model/test_vocabulary.py`` holds them to this one). Their
titles are on the fields of :class:`coachkit.model.deal.Problem`."""


@dataclass(frozen=True)
class Step:
    """One tab of the workbook app."""

    key: str
    title: str


STEPS: tuple[Step, ...] = (
    Step("deal", "Deal"),
    Step("problem", "Problem"),
    Step("risks", "Risks"),
    Step("stakeholders", "Stakeholders"),
    Step("confidence", "Decision confidence"),
    Step("review", "Review"),
)
"""The app's steps, in the order a seller works through a deal."""


@dataclass(frozen=True)
class Section:
    """One section of the change story, as coaching, the app and the reports see it."""

    key: str
    """The id findings carry (``Finding.section``) and completeness is reported under."""
    title: str
    weight: float
    """Its default weight in overall completeness (a team's settings may change it)."""
    step: str
    """The app step where the seller fills it in (a :data:`STEPS` key)."""


SECTIONS: tuple[Section, ...] = (
    Section("deal", "Deal", 10, "deal"),
    Section("problem", "Problem", 30, "problem"),
    Section("risks", "Risks", 15, "risks"),
    Section("stakeholders", "Stakeholders", 20, "stakeholders"),
    Section("disagreements", "Disagreements", 0, "stakeholders"),
    Section("confidence", "Decision confidence", 15, "confidence"),
    Section("plan", "Mutual plan", 5, "confidence"),
    Section("fit", "Fit", 5, "confidence"),
)
"""The change story's sections, in the order the workbook asks for them."""


ITEM_NOUNS: dict[str, str] = {
    "risks": "risk", "stakeholders": "stakeholder", "disagreements": "disagreement",
    "plan": "milestone", "metrics": "metric", "assumptions": "assumption",
    "glossary": "term", "evidence": "evidence", "alternatives": "alternative",
}
"""What one item of each list is called in a sentence ("added milestone 'Pilot'")."""


def section(key: str) -> Section:
    """The section with ``key`` (a plugin rule's unknown section sorts last, untitled)."""
    for s in SECTIONS:
        if s.key == key:
            return s
    return Section(key, key.replace("_", " ").capitalize(), 0, "review")


def section_rank(key: str) -> int:
    """A section's place in the workbook's order (unknown sections last)."""
    for i, s in enumerate(SECTIONS):
        if s.key == key:
            return i
    return len(SECTIONS)


def sections_of(step: str) -> tuple[Section, ...]:
    """The sections a step fills in."""
    return tuple(s for s in SECTIONS if s.step == step)


def value_words(value: Any) -> str:
    """An enumeration value as words: ``economic_buyer`` -> ``economic buyer``."""
    return str(getattr(value, "value", value)).replace("_", " ")


def _inner(annotation: Any) -> Any:
    """``list[X]`` -> X, ``X | None`` -> X: the model a path steps into."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def field_info(path: Sequence[str | int]) -> FieldInfo:
    """The model field at a document path (``("stakeholders", 0, "name")``)."""
    from coachkit.model.deal import Deal

    model: Any = Deal
    info: FieldInfo | None = None
    for step in path:
        if isinstance(step, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise KeyError(f"{step} is not a field of {model}")
        info = model.model_fields[step]
        model = _inner(_inner(info.annotation))
    if info is None:
        raise KeyError("an empty path names no field")
    return info


def field_title(path: Sequence[str | int]) -> str:
    """The label of the field at ``path``, as the app, the reports and the terminal show it."""
    info = field_info(path)
    last = next(str(p) for p in reversed(path) if isinstance(p, str))
    return info.title or last.replace("_", " ").capitalize()


def field_hint(path: Sequence[str | int]) -> str:
    """The longer prompt of the field at ``path``, or ""."""
    return field_info(path).description or ""


def leaf_paths(model: type[BaseModel] | None = None, prefix: str = "") -> list[str]:
    """Every field that holds a value, as a path: ``deal.customer``,
    ``problem.metrics[].name`` (``[]``: each item of a list of records), ``problem.alternatives``
    (a list of plain values is one field). Without ``model``: the whole document."""
    if model is None:
        from coachkit.model.deal import Deal

        model = Deal
    out = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        listed = get_origin(info.annotation) is list
        inner = _inner(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            out += leaf_paths(inner, f"{path}[]." if listed else f"{path}.")
        else:
            out.append(path)
    return out
