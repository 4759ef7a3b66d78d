"""One seller's editing session on one deal: edits, validation, debounced saving, merges.

No widgets here: the app's forms call :meth:`WorkbookSession.set` with a field path and a
value, and listen for changes. Saving is debounced on the kernel's asyncio loop (Voila and
JupyterLab kernels run one), so typing never waits for the database, and a pending save is
flushed when the kernel exits.

A save that finds a newer version (someone else saved meanwhile) is kept as a conflict record
by the store, then merged three-way (:mod:`coachkit.model.merge`) against the version this page
started from: edits to different fields land by themselves and the status says whose changes
came in. Only fields both changed wait for the seller's choice, one by one; until then the same
debounce keeps the page's edits in its conflict record, so a page closed, culled or killed
before choosing has lost nothing.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import copy
import datetime as dt
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from coachkit import clock
from coachkit.coaching.coach import Coach, Coaching
from coachkit.errors import CoachkitError, ConflictError, InvalidWorkbook
from coachkit.model import Deal, empty_deal
from coachkit.model.files import (
    dumps,
    fingerprint,
    load_workbook,
)
from coachkit.model.ids import new_deal_id
from coachkit.model.merge import (
    FieldConflict,
    Merge,
    item_label,
    merge,
    merged_with,
    resolve,
    summary,
)
from coachkit.model.messages import field_path, human_message
from coachkit.model.review import Review
from coachkit.store import Store
from coachkit.store.incoming import exported_version
from coachkit.store.records import VersionInfo
from coachkit.store.scoped import ScopedStore

Path = tuple[str | int, ...]

SAVE_DELAY = 1.0
"""Seconds of quiet after an edit before it is saved: one version per pause, not per key."""

MAX_SAVE_WAIT = 5.0
"""Seconds of continuous typing after which a save happens anyway."""

MERGE_TRIES = 3
"""Saves in a row that may find yet another newer version before the page stops and says so."""


@dataclass(frozen=True)
class SaveStatus:
    """What the status line shows."""

    state: str  # "saved", "pending", "conflict", "error", "idle"
    message: str
    version: int | None = None
    conflict_id: int | None = None


@dataclass(frozen=True)
class Theirs:
    """The saves made meanwhile, by whom and when, as a merge names them."""

    version: int
    authors: tuple[str, ...]
    saved_at: dt.datetime

    @property
    def who(self) -> str:
        return " and ".join(self.authors) or "someone"


@dataclass(frozen=True)
class Removal:
    """An item just removed, what went with it, and the document before: for *Undo*."""

    list_path: Path
    what: str
    linked: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]


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
        self.base_doc: dict[str, Any] | None = None
        """The document of ``base_version``: what a merge compares both edits with."""
        self.merging: Merge | None = None
        """After a save found fields both sides changed: the merge waiting for choices."""
        self.theirs: Theirs | None = None
        self.removal: Removal | None = None
        """The last removal, while it can be undone."""
        self._kept: list[int] = []
        """Conflict records of this page's refused saves, settled once a merge is saved."""
        self._note = ""
        """Said after the author of the next version: " (restored version 3)"."""
        self._conflict_head = ""
        """What the status says about the conflict, before what is kept since."""
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
        """Open an uploaded workbook file; raises InvalidWorkbook with one line if it is bad.

        A file downloaded or exported from this store and edited since is merged with what
        others saved meanwhile, as a save of this page would be (it names its version)."""
        book = load_workbook(data, name or "the uploaded file")
        deal = book.deal
        base = None
        if book.edited_from and self.store.latest_version(deal.id) is not None:
            base = exported_version(self.store, deal.id, book.edited_from)
        if base is None or base.version == self.store.latest_version(deal.id):
            self.open_document(deal, author_note=" (upload)")
            return deal.id
        self.flush()
        self._load(base.deal, base.version, base.saved_at)  # the page starts where the file did
        replaced = deal.to_json_dict()

        def take_file(doc: dict[str, Any]) -> None:
            doc.clear()
            doc.update(replaced)

        refused = self.apply(take_file)
        if refused:
            raise InvalidWorkbook(f"{name}: {refused}")
        self._emit("deal")
        self._note = " (upload)"
        self.flush()  # merged with the saves made since, or the fields both changed asked
        return deal.id

    def _load(self, deal: Deal, version: int | None, saved_at: dt.datetime | None) -> None:
        self._cancel_timer()
        self._dirty = False
        self.deal = deal
        self.doc = deal.to_json_dict()
        self.base_version = version
        self.base_doc = copy.deepcopy(self.doc)
        self.merging = self.theirs = self.removal = None
        self._kept = []
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

    def linked_to(self, list_path: Path, index: int) -> list[str]:
        """What goes with an item if it is removed: a person's disagreements (those with
        two people end; a person leaves larger groups)."""
        if list_path != ("stakeholders",) or self.doc is None:
            return []
        name = self.doc["stakeholders"][index]["name"]
        out = []
        for d in self.doc["disagreements"]:
            if name in d["between"]:
                others = " and ".join(n for n in d["between"] if n != name)
                about = " ".join(d.get("about", "").split())
                about = about if len(about) <= 60 else about[:59] + "…"
                what = f"the disagreement with {others}" + (f" about “{about}”" if about else "")
                out.append(what if len(d["between"]) <= 2 else f"their place in {what}")
        return out

    def remove_item(self, list_path: Path, index: int) -> str | None:
        """Remove an item (a person leaves their disagreements too); it can be undone with
        :meth:`undo_removal` until the next removal."""
        if self.doc is None:
            return "No deal is open."
        before = copy.deepcopy(self.doc)
        what = item_label(str(list_path[-1]), _get(self.doc, list_path)[index])
        linked = tuple(self.linked_to(list_path, index))

        def remove(doc: dict[str, Any]) -> None:
            removed = _get(doc, list_path).pop(index)
            if list_path == ("stakeholders",):  # they leave every disagreement too
                for d in doc["disagreements"]:
                    d["between"] = [n for n in d["between"] if n != removed["name"]]
                doc["disagreements"] = [d for d in doc["disagreements"]
                                        if len(d["between"]) >= 2]

        refused = self.apply(remove)
        if refused is None:
            self.removal = Removal(list_path, what, linked, before, copy.deepcopy(self.doc))
        return refused

    def undo_removal(self) -> str | None:
        """Put the last removed item back, with what went with it, keeping every edit made
        since (a three-way merge: the removal undone, the later edits kept)."""
        removal, self.removal = self.removal, None
        if removal is None or self.doc is None:
            return None
        back = resolve(merge(removal.after, self.doc, removal.before), {})

        def restore(doc: dict[str, Any]) -> None:
            doc.clear()
            doc.update(back)

        return self.apply(restore)

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
        self._save()

    def _save(self) -> None:
        """Save on top of the page's base; a newer version found is merged in and the merge
        saved (again, if yet another save slipped in)."""
        assert self.deal is not None
        came_in: list[tuple[Theirs, list[str]]] = []
        for _ in range(MERGE_TRIES):
            try:
                version = self.store.save(self.deal, base_version=self.base_version,
                                          author=self.author + self._note)
            except ConflictError as exc:
                self._kept.append(exc.conflict_id)
                merged = self._merge_latest()
                if merged is None:
                    return  # fields both changed: the status asks for choices
                came_in.append(merged)
                continue
            except CoachkitError as exc:
                self._dirty = True
                self._set_status(SaveStatus("error", f"Not saved: {exc}", self.base_version))
                return
            break
        else:
            self.merging = None
            self._conflict_head = (
                f"Others keep saving this deal; your version is kept as conflict "
                f"{self._kept[-1]}. Load theirs and add your change again.")
            self._set_status(SaveStatus("conflict", self._conflict_head, self.base_version,
                                        self._kept[-1]))
            return
        for conflict_id in self._kept:
            self.store.settle(conflict_id, version)
        self._kept, self._note = [], ""
        self.base_version = version
        self.base_doc = copy.deepcopy(self.doc)
        moment = clock.now()
        self.saved = (version, moment)
        note = "".join(f", {merged_with(who.who, titles, who.version)}"
                       for who, titles in came_in if titles)
        self._set_status(SaveStatus(
            "saved", f"Saved at {moment:%H:%M:%S} UTC (version {version}){note}.", version))

    def _merge_latest(self) -> tuple[Theirs, list[str]] | None:
        """Merge the latest version into this page's document. Returns who saved it and what
        of theirs came in, or None when fields both changed wait for a choice (or the merge
        is not a valid deal: then only loading theirs is offered)."""
        assert self.deal is not None and self.doc is not None and self.base_doc is not None
        latest = self.store.get(self.deal.id)
        theirs_doc = latest.deal.to_json_dict()
        result = merge(self.base_doc, theirs_doc, self.doc)
        self.theirs = who = self._who_saved(latest)
        if result.conflicts:
            self.merging = result
            self._conflict_head = _conflict_message(who, self.base_version, result.conflicts,
                                                    self._kept[-1])
            self._set_status(SaveStatus("conflict", self._conflict_head, latest.version,
                                        self._kept[-1]))
            return None
        try:
            deal = Deal.model_validate(result.doc)
        except ValidationError as exc:
            self.merging = None
            self._conflict_head = (
                f"{who.who} saved version {latest.version} after you opened version "
                f"{self.base_version}, and the two do not merge by themselves "
                f"({human_message(exc)}). Nothing is lost: your version is kept "
                f"as conflict {self._kept[-1]}. Load theirs to go on.")
            self._set_status(SaveStatus("conflict", self._conflict_head, latest.version,
                                        self._kept[-1]))
            return None
        self._take(deal, theirs_doc, latest.version)
        return who, result.theirs_changed

    def _take(self, deal: Deal, base_doc: dict[str, Any], base_version: int) -> None:
        """The page now holds ``deal``, edited from ``base_version`` (a merge's result)."""
        self.deal = deal
        self.doc = deal.to_json_dict()
        self.base_doc = base_doc
        self.base_version = base_version
        self.merging = None
        self._recoach()
        self._emit("deal")

    def _who_saved(self, latest: VersionInfo) -> Theirs:
        authors = [v.author for v in self.store.history(latest.deal_id)
                   if self.base_version is None or v.version > self.base_version]
        return Theirs(latest.version, tuple(dict.fromkeys(authors)), latest.saved_at)

    def choose(self, choices: dict[str, str]) -> str | None:
        """Settle the fields both sides changed (``choices[pointer]`` is "mine" or "theirs",
        one per :attr:`merging` conflict) and save the result as one new version. Returns
        None, or why not (then the choices are asked again)."""
        if self.deal is None or self.merging is None or self.base_doc is None:
            return "Nothing to choose."
        self._cancel_timer()
        latest = self.store.get(self.deal.id)
        theirs_doc = latest.deal.to_json_dict()
        result = merge(self.base_doc, theirs_doc, self.doc or {})
        asked = {(c.pointer, _canon(c.theirs)) for c in self.merging.conflicts}
        if any((c.pointer, _canon(c.theirs)) not in asked or c.pointer not in choices
               for c in result.conflicts):
            moved = self.theirs is None or latest.version != self.theirs.version
            self.merging, self.theirs = result, self._who_saved(latest)
            self._emit("status")
            if moved:
                return (f"{self.theirs.who} saved again (version {latest.version}): choose "
                        "again.")
            return "You since changed a field they changed too: choose for it as well."
        try:
            deal = Deal.model_validate(resolve(result, choices))
        except ValidationError as exc:
            return human_message(exc)
        self._take(deal, theirs_doc, latest.version)
        self._dirty = True
        self._set_status(SaveStatus("pending", "Saving your choices…", latest.version))
        self.flush()
        return None

    def _keep_in_conflict(self) -> None:
        """Edits made after a refused save go into that save's conflict record (updated in
        place, one record per conflict) until the seller chooses."""
        assert self.deal is not None
        conflict = self.status
        head = self._conflict_head
        try:
            conflict_id = self.store.keep(self.deal, base_version=self.base_version,
                                          author=self.author, conflict_id=conflict.conflict_id)
        except CoachkitError as exc:
            self._dirty = True  # tried again at the next pause, and when the kernel exits
            self._set_status(SaveStatus(
                "conflict", f"{head} Your latest edits are not kept yet: {exc}",
                conflict.version, conflict.conflict_id))
            return
        if conflict_id not in self._kept:
            self._kept.append(conflict_id)
        self._set_status(SaveStatus(
            "conflict", f"{head} (your edits up to {clock.now():%H:%M:%S} UTC are kept in "
            f"conflict {conflict_id})", conflict.version, conflict_id))

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

    # -- history -----------------------------------------------------------------------------

    def history(self) -> list[VersionInfo]:
        """Every saved version of the open deal, oldest first."""
        if self.deal is None:
            return []
        return self.store.history(self.deal.id)

    def restore(self, version: int) -> str | None:
        """Make an earlier version the deal's content again, saved as a new version (the
        history keeps everything). A save made meanwhile by someone else is merged as any
        other. Returns None, or why not."""
        if self.deal is None:
            return "No deal is open."
        if self.status.state == "conflict":
            return "Choose in the conflict first."
        self.flush()
        try:
            old = self.store.get(self.deal.id, version=version).deal.to_json_dict()
        except CoachkitError as exc:
            return str(exc)

        def back(doc: dict[str, Any]) -> None:
            doc.clear()
            doc.update(old)

        refused = self.apply(back)
        if refused is None:
            self._emit("deal")  # every form shows the restored values
            self._note = f" (restored version {version})"
            self.flush()
        return refused

    def _set_status(self, status: SaveStatus) -> None:
        self.status = status
        self._emit("status")

    # -- files -------------------------------------------------------------------------------

    def download_text(self) -> str:
        if self.deal is None:
            raise CoachkitError("No deal is open.")
        base = Deal.model_validate(self.base_doc) if self.base_doc else self.deal
        return dumps(self.deal, edited_from=fingerprint(base))  # an upload of it merges


def _conflict_message(who: Theirs, base: int | None, conflicts: list[FieldConflict],
                      conflict_id: int) -> str:
    both = summary([c.title for c in conflicts])
    return (f"{who.who} saved version {who.version} at {who.saved_at:%H:%M} UTC after you "
            f"opened version {base}, and you both changed {both}: choose below. Nothing is "
            f"lost: your version is kept as conflict {conflict_id}.")


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


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


kernel_loop = _loop


_open_sessions: weakref.WeakSet[WorkbookSession] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    """A kernel shut down by Voila (tab closed) still saves what was typed last."""
    for session in list(_open_sessions):
        with contextlib.suppress(Exception):  # exiting: nobody is left to tell
            session.flush()


__all__ = ["InvalidWorkbook", "Removal", "SaveStatus", "Theirs", "WorkbookSession",
           "field_path", "kernel_loop"]
