"""A manager's review of a deal: a note, findings dismissed with a reason, actions for the
seller; and what happened to it afterwards (actions done, the seller's answers).

A review is of one version of the deal and is kept like a version: appended, never changed.
What happens later is appended as :class:`ReviewEvent` s; a review's current state (which
actions are done) is read from its events, so nothing anybody wrote is ever overwritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from coachkit.model.deal import MAX_ITEMS, Name, Text, _Section

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")]
FieldPath = Annotated[str, StringConstraints(max_length=200)]
Said = Annotated[Text, StringConstraints(min_length=1, strip_whitespace=True)]


class Dismissal(_Section):
    """A finding the manager says does not apply, and why. It holds while the field it is
    about keeps the value it had (``fingerprint``); when the field changes, it comes back."""

    rule: RuleId = Field(title="Rule")
    field: FieldPath = Field("", title="About")
    reason: Said = Field(title="Why it does not apply")
    fingerprint: Annotated[str, StringConstraints(max_length=64)] = ""


class Action(_Section):
    """Something the seller is to do, by a date or not."""

    text: Said = Field(title="Action")
    due: dt.date | None = Field(None, title="Due")


class ReviewEvent(_Section):
    """What happened to a review after it was recorded."""

    at: dt.datetime
    by: Name
    kind: Literal["done", "reopened", "answer"]
    action: int | None = Field(None, ge=0, lt=MAX_ITEMS)
    """The action (its index in the review) marked done or reopened."""
    about: Annotated[str, StringConstraints(max_length=100)] = ""
    """What an answer answers: ``note``, ``action:<n>`` or ``dismissal:<rule>``."""
    text: Text = ""


class ActionState(_Section):
    """An action with where it stands now."""

    text: str
    due: dt.date | None
    done: bool
    done_at: dt.datetime | None = None
    done_by: str = ""


class Review(_Section):
    """One review, as recorded, with what happened to it since."""

    number: int = Field(ge=1, title="Review")
    version: int = Field(ge=1, title="Version reviewed")
    at: dt.datetime = Field(title="Reviewed at")
    by: Name = Field(title="Reviewed by")
    note: Text = Field("", title="Note")
    dismissed: list[Dismissal] = Field([], max_length=MAX_ITEMS, title="Dismissed")
    actions: list[Action] = Field([], max_length=MAX_ITEMS, title="Actions")
    events: list[ReviewEvent] = Field([], title="Since then")

    def action_states(self) -> list[ActionState]:
        """Each action, done or open as its latest event says."""
        out = [ActionState(text=a.text, due=a.due, done=False) for a in self.actions]
        for event in self.events:
            if event.action is None or event.action >= len(out) or event.kind == "answer":
                continue
            state = out[event.action]
            done = event.kind == "done"
            out[event.action] = state.model_copy(update={
                "done": done, "done_at": event.at if done else None,
                "done_by": event.by if done else ""})
        return out

    def answers(self) -> list[ReviewEvent]:
        return [e for e in self.events if e.kind == "answer"]

    def is_new(self, latest_version: int) -> bool:
        """New to the seller: nothing answered or ticked yet, and no version saved since
        (what the app's deal list and Review step mark as "new review")."""
        return not self.events and latest_version <= self.version

    def to_json_dict(self) -> dict[str, object]:
        """The review as ``coachkit reviews --json`` and workbook files carry it."""
        doc = self.model_dump(mode="json")
        doc["actions"] = [a.model_dump(mode="json") for a in self.action_states()]
        return doc
