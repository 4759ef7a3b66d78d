"""One seller's editing session on one deal: edits, validation, debounced saving, conflicts.

No widgets here: the app's forms call :meth:`WorkbookSession.set` with a field path and a
value, and listen for changes. Saving is debounced on the kernel's asyncio loop (Voila and
JupyterLab kernels run one), so typing never waits for the database, and a pending save is
flushed when the kernel exits. After a conflict the same debounce keeps the page's edits in
its conflict record until the seller loads the other version or keeps theirs on top, so a page
closed, culled or killed before choosing has lost nothing.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import copy
import datetime as dt
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from coachkit import clock
from coachkit.coaching.coach import Coach, Coaching
from coachkit.errors import CoachkitError, ConflictError, InvalidWorkbook
from coachkit.model import Deal, empty_deal
from coachkit.model.files import dumps, field_path, parse_workbook
from coachkit.model.ids import new_deal_id
from coachkit.model.messages import human_message
from coachkit.model.review import Review
from coachkit.store import Store
from coachkit.store.scoped import ScopedStore

Path = tuple[str | int, ...]

SAVE_DELAY = 1.0
"""Seconds of quiet after an edit before it is saved: one version per pause, not per key."""

MAX_SAVE_WAIT = 5.0
"""Seconds of continuous typing after which a save happens anyway."""


@dataclass(frozen=True)
class SaveStatus:
    """What the status line shows."""

    state: str  # "saved", "pending", "conflict", "error", "idle"
    message: str
    version: int | None = None
    conflict_id: int | None = None


def _get(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _set(doc: Any, path: Path, value: Any) -> None:
    target = _get(doc, path[:-1])
    target[path[-1]] = value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


class WorkbookSession:
    """The open deal, its coaching, and the saving of every change."""

    def __init__(
        self,
        store: Store | ScopedStore,
        *,
        author: str,
        coach: Coach | None = None,
        today: Callable[[], dt.date] = clock.today,
        save_delay: float = SAVE_DELAY,
    ):
        self.store = store
        self.author = author
        self.coach = coach or Coach()
        self.today = today
        self.save_delay = save_delay
        self.doc: dict[str, Any] | None = None
        self.deal: Deal | None = None
        self.base_version: int | None = None
        self.coaching: Coaching | None = None
        self.reviews: list[Review] = []
        """The open deal's reviews: their dismissals shape the coaching."""
        self.can_review = True
        """May this user record a review (locally anyone; on a team server a manager)."""
        self.status = SaveStatus("idle", "No deal open.")
        self.saved: tuple[int, dt.datetime | None] | None = None
        """The version last saved or opened here, and when it was saved (if known)."""
        self._dirty = False
        self._first_dirty_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._listeners: list[Callable[[str], None]] = []
        _open_sessions.add(self)

    # -- listeners ---------------------------------------------------------------------------

    def on_change(self, listener: Callable[[str], None]) -> None:
        """``listener(kind)`` is called with "deal" (another deal or version was loaded),
        "edit" (the document changed) or "status" (saving state changed)."""
        self._listeners.append(listener)

    def _emit(self, kind: str) -> None:
        for listener in list(self._listeners):
            listener(kind)

    # -- opening -----------------------------------------------------------------------------

    def open(self, deal_id: str) -> None:
        """Load the latest version of a deal (a pending edit of the current deal is saved)."""
        self.flush()
        found = self.store.get(deal_id)
        self._load(found.deal, found.version, found.saved_at)
        self._set_status(SaveStatus("saved", f"Opened version {found.version}.", found.version))

    def new(self, customer: str, title: str, *, seller: str = "", team: str = "",
            training: dict[str, str] | None = None, **info: Any) -> str:
        """Start a deal, save its first version, and open it. ``info``: more of the deal's
        header (stage, value, currency, close date, compelling event and its date); a value
        the format refuses raises CoachkitError with one line naming the field."""
        self.flush()
        if not customer.strip():
            raise CoachkitError("A new deal needs the customer's name.")
        given = {k: _jsonable(v.strip() if isinstance(v, str) else v)
                 for k, v in info.items() if v not in (None, "")}
        try:
            deal = empty_deal("new", customer=customer.strip(), title=title.strip(),
                              seller=seller.strip(), team=team.strip(), **given)
        except ValidationError as exc:
            raise CoachkitError(human_message(exc)) from None
        deal_id = new_deal_id(customer, exists=self.store.exists)
        deal = Deal.model_validate({**deal.to_json_dict(),
                                    "deal": {**deal.to_json_dict()["deal"], "id": deal_id}})
        if training:
            deal = Deal.model_validate({**deal.to_json_dict(), "training": training})
        version = self.store.save(deal, base_version=None, author=self.author)
        self._load(deal, version, clock.now())
        self._set_status(SaveStatus("saved", "New deal saved.", version))
        return deal_id

    def open_document(self, deal: Deal, *, author_note: str = "") -> None:
        """Open a deal from a file: it is saved on top of the stored deal of the same id."""
        self.flush()
        version, changed = self.store.put(deal, author=self.author + author_note)
        self._load(deal, version, clock.now() if changed else None)
        self._set_status(SaveStatus(
            "saved", f"Opened the file as version {version}." if changed
            else f"The file matches version {version}.", version))

    def upload(self, data: bytes, name: str) -> str:
        """Open an uploaded workbook file; raises InvalidWorkbook with one line if it is bad."""
        deal = parse_workbook(data, name or "the uploaded file")
        self.open_document(deal, author_note=" (upload)")
        return deal.id

    def _load(self, deal: Deal, version: int | None, saved_at: dt.datetime | None) -> None:
        self._cancel_timer()
        self._dirty = False
        self.deal = deal
        self.doc = deal.to_json_dict()
        self.base_version = version
        self.reviews = self.store.reviews(deal.id)
        self.can_review = (self.store.may_review(deal.id)
                           if isinstance(self.store, ScopedStore) else True)
        self.saved = (version, saved_at) if version is not None else None
        self._recoach()
        self._emit("deal")

    # -- editing -----------------------------------------------------------------------------

    def get(self, path: Path) -> Any:
        if self.doc is None:
            raise CoachkitError("No deal is open.")
        return _get(self.doc, path)

    def set(self, path: Path, value: Any) -> str | None:
        """Change one field. Returns None, or the one-line reason the value is refused
        (then nothing changes and nothing is saved)."""
        if self.doc is not None and _jsonable(value) == self.get(path):
            return None  # a widget echoing the current value is not an edit
        return self.apply(lambda doc: self._assign(doc, path, value))

    def _assign(self, doc: dict[str, Any], path: Path, value: Any) -> None:
        value = _jsonable(value)
        if len(path) == 3 and path[0] == "stakeholders" and path[2] == "name":
            old = doc["stakeholders"][path[1]]["name"]
            new = value.strip() if isinstance(value, str) else value
            # a stakeholder's name is how disagreements point at them: follow the rename
            for d in doc["disagreements"]:
                d["between"] = [new if n == old else n for n in d["between"]]
        _set(doc, path, value)

    def apply(self, change: Callable[[dict[str, Any]], None]) -> str | None:
        """Apply ``change`` to a copy of the document; keep it only if the result is valid."""
        if self.doc is None:
            return "No deal is open."
        candidate = copy.deepcopy(self.doc)
        change(candidate)
        try:
            deal = Deal.model_validate(candidate)
        except ValidationError as exc:
            return human_message(exc, count_more=False)
        if deal.id != self.doc["deal"]["id"]:
            return "Deal id: the id of an open deal cannot change"
        if isinstance(self.store, ScopedStore) and (refused := self.store.refused(deal)):
            return refused  # the team server: a deal never leaves the user's teams
        self.doc = deal.to_json_dict()
        self.deal = deal
        self._recoach()
        self._mark_dirty()
        self._emit("edit")
        return None

    def add_item(self, list_path: Path, item: dict[str, Any] | str) -> str | None:
        return self.apply(lambda doc: _get(doc, list_path).append(copy.deepcopy(item)))

    def remove_item(self, list_path: Path, index: int) -> str | None:
        def remove(doc: dict[str, Any]) -> None:
            removed = _get(doc, list_path).pop(index)
            if list_path == ("stakeholders",):  # they leave every disagreement too
                for d in doc["disagreements"]:
                    d["between"] = [n for n in d["between"] if n != removed["name"]]
                doc["disagreements"] = [d for d in doc["disagreements"]
                                        if len(d["between"]) >= 2]

        return self.apply(remove)

    def _recoach(self) -> None:
        if self.deal is not None:
            self.coaching = self.coach.run(self.deal, self.today(), self.reviews)

    def reviews_changed(self) -> None:
        """Reload the reviews (one was recorded, an action ticked) and coach again."""
        if self.deal is not None:
            self.reviews = self.store.reviews(self.deal.id)
            self._recoach()
            self._emit("edit")

    # -- saving ------------------------------------------------------------------------------

    def _mark_dirty(self) -> None:
        self._dirty = True
        loop = _loop()
        now = loop.time() if loop else 0.0
        if self._first_dirty_at is None:
            self._first_dirty_at = now
        if self.status.state != "conflict":  # in a conflict the status keeps saying so
            self._set_status(SaveStatus("pending", "Unsaved changes…", self.base_version))
        if loop is None:
            return
        self._cancel_timer()
        waited = now - self._first_dirty_at
        delay = max(0.0, min(self.save_delay, MAX_SAVE_WAIT - waited))
        self._timer = loop.call_later(delay, self.flush)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def flush(self) -> None:
        """Save a pending edit now (the debounce timer, kernel exit and tests call this); in a
        conflict, bring the conflict record up to date instead."""
        self._cancel_timer()
        if not self._dirty or self.deal is None:
            return
        self._dirty = False
        self._first_dirty_at = None
        if self.status.state == "conflict":
            self._keep_in_conflict()
            return
        try:
            version = self.store.save(self.deal, base_version=self.base_version,
                                      author=self.author)
        except ConflictError as exc:
            self._set_status(SaveStatus(
                "conflict", _conflict_message(exc.latest, exc.base_version, exc.conflict_id),
                exc.latest, exc.conflict_id))
            return
        except CoachkitError as exc:
            self._dirty = True
            self._set_status(SaveStatus("error", f"Not saved: {exc}", self.base_version))
            return
        self.base_version = version
        moment = clock.now()
        self.saved = (version, moment)
        self._set_status(SaveStatus(
            "saved", f"Saved at {moment:%H:%M:%S} UTC (version {version}).", version))

    def _keep_in_conflict(self) -> None:
        """Edits made after a refused save go into that save's conflict record (updated in
        place, one record per conflict) until the seller chooses."""
        assert self.deal is not None
        conflict = self.status
        try:
            conflict_id = self.store.keep(self.deal, base_version=self.base_version,
                                          author=self.author, conflict_id=conflict.conflict_id)
        except CoachkitError as exc:
            self._dirty = True  # tried again at the next pause, and when the kernel exits
            self._set_status(SaveStatus(
                "conflict", _conflict_message(conflict.version, self.base_version,
                                              conflict.conflict_id)
                + f" Your latest edits are not kept yet: {exc}",
                conflict.version, conflict.conflict_id))
            return
        self._set_status(SaveStatus(
            "conflict", _conflict_message(conflict.version, self.base_version, conflict_id,
                                          kept_at=clock.now()),
            conflict.version, conflict_id))

    def last_saved(self) -> str:
        """What the page can say is safe if it loses its kernel: "version 7 at 14:03 UTC"."""
        if self.saved is None:
            return ""
        version, at = self.saved
        if at is None:
            return f"version {version}"
        day = "" if at.date() == clock.now().date() else f" on {at:%Y-%m-%d}"
        return f"version {version}{day} at {at:%H:%M} UTC"

    def load_theirs(self) -> None:
        """After a conflict: open the latest saved version. What this page had is kept as a
        conflict record first (edits made after the conflict included)."""
        if self.deal is None:
            return
        if self._dirty:
            self.store.keep(self.deal, base_version=self.base_version, author=self.author,
                            conflict_id=self.status.conflict_id)
        self._dirty = False
        self._set_status(SaveStatus("idle", ""))
        self.open(self.deal.id)

    def keep_mine(self) -> None:
        """After a conflict: save what this page has on top of theirs (theirs stays in the
        history, one version back)."""
        if self.deal is None:
            return
        self.base_version = self.store.latest_version(self.deal.id)
        self._dirty = True
        self._set_status(SaveStatus("pending", "Saving your version on top…", self.base_version))
        self.flush()

    def _set_status(self, status: SaveStatus) -> None:
        self.status = status
        self._emit("status")

    # -- files -------------------------------------------------------------------------------

    def download_text(self) -> str:
        if self.deal is None:
            raise CoachkitError("No deal is open.")
        return dumps(self.deal)


def _conflict_message(latest: int | None, base: int | None, conflict_id: int | None, *,
                      kept_at: dt.datetime | None = None) -> str:
    kept = (f"your version, with your edits up to {kept_at:%H:%M:%S} UTC, is kept as conflict "
            f"{conflict_id}" if kept_at else f"your version is kept as conflict {conflict_id}")
    return (f"Someone else saved this deal (version {latest}) after you opened version {base}. "
            f"Nothing is lost: {kept}. Load theirs, or keep yours on top.")


def _loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's running loop, or None outside one (then saving waits for flush)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None
    return loop if loop.is_running() else None


_open_sessions: weakref.WeakSet[WorkbookSession] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    """A kernel shut down by Voila (tab closed) still saves what was typed last."""
    for session in list(_open_sessions):
        with contextlib.suppress(Exception):  # exiting: nobody is left to tell
            session.flush()


__all__ = ["InvalidWorkbook", "SaveStatus", "WorkbookSession", "field_path"]
