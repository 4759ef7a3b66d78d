"""The store as one signed-in user of the team server may use it: only their teams' deals.

:class:`ScopedStore` has the methods the app calls on a :class:`~coachkit.store.Store`, and
each one checks the deal's team against the user's :class:`~coachkit.access.Access` before
touching it: lists are filtered, reads of another team's deal answer "no such deal" (the
same words as a deal that does not exist, so ids of other teams cannot be probed), writes
that would put a deal outside the user's teams are refused. Everything else a Store can do
(restore, import, reviews by managers) is simply not here.

This is the one place the check lives because every way a page reaches a deal (the picker,
``?deal_id=``, a widget message naming any id, an uploaded file, the conflict buttons) goes
through the page's session, and the session only holds this object: nothing in the kernel
reaches the database around it, and Voila refuses to run code sent from the browser.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from coachkit.access import SHARED_VAR, Access, hub_access, shared_access
from coachkit.clock import When
from coachkit.errors import NotFound, Refused
from coachkit.model import Deal
from coachkit.model.review import Action, Dismissal, Review, ReviewEvent
from coachkit.store.records import Conflict, DealSummary, VersionInfo
from coachkit.store.sql import Store


class ScopedStore:
    """A :class:`Store` seen through one user's teams; saves are recorded as that user."""

    def __init__(self, store: Store, access: Access):
        self._store = store
        self.access = access

    @property
    def name(self) -> str:
        return self._store.name

    @property
    def new_deal_teams(self) -> list[str] | None:
        """The teams a new deal may go to (None: any, for an admin)."""
        return None if self.access.admin else sorted(self.access.teams)

    def close(self) -> None:
        self._store.close()

    # -- the checks --------------------------------------------------------------------------

    def refused(self, deal: Deal) -> str | None:
        """Why this user may not keep ``deal`` as it is (its team), or None."""
        team = deal.deal.team
        if self.access.may_work_on(team):
            return None
        return (f"deal.team: '{team}' is not one of your teams ({self.access.describe()}); "
                "a deal stays in your teams")

    def _readable(self, deal_id: str) -> None:
        team = self._store.team_of(deal_id)
        if team is None or not self.access.may_work_on(team):
            raise NotFound(f"no deal '{deal_id}' among the deals of your teams "
                           f"({self.access.describe()})")

    def _writable(self, deal: Deal) -> None:
        reason = self.refused(deal)
        if reason:
            raise Refused(reason)
        if self._store.team_of(deal.id) is not None:
            self._readable(deal.id)

    def _author(self, author: str) -> str:
        """The hub user, whatever the caller says (a note such as " (upload)" may follow)."""
        user = self.access.user
        return author if author == user or author.startswith(f"{user} (") else user

    # -- reading -----------------------------------------------------------------------------

    def list_deals(self, *, team: str | None = None,
                   cohort: str | None = None) -> list[DealSummary]:
        return [d for d in self._store.list_deals(team=team, cohort=cohort)
                if self.access.may_work_on(d.team)]

    def get(self, deal_id: str, *, version: int | None = None,
            as_of: When | None = None) -> VersionInfo:
        self._readable(deal_id)
        return self._store.get(deal_id, version=version, as_of=as_of)

    def exists(self, deal_id: str) -> bool:
        """Whether the id is taken, in any team: new ids must not collide with another
        team's deal. Ids carry a random part, so this tells nothing worth probing for."""
        return self._store.exists(deal_id)

    def latest_version(self, deal_id: str) -> int | None:
        self._readable(deal_id)
        return self._store.latest_version(deal_id)

    def history(self, deal_id: str) -> list[VersionInfo]:
        self._readable(deal_id)
        return self._store.history(deal_id)

    def conflicts(self, deal_id: str | None = None) -> list[Conflict]:
        if deal_id is not None:
            self._readable(deal_id)
            return self._store.conflicts(deal_id)
        mine = {d.id for d in self.list_deals()}
        return [c for c in self._store.conflicts() if c.deal_id in mine]

    def conflict(self, conflict_id: int) -> Conflict:
        found = self._store.conflict(conflict_id)
        try:
            self._readable(found.deal_id)
        except NotFound:
            raise NotFound(f"no conflict {conflict_id} among your teams' deals") from None
        return found

    def reviews(self, deal_id: str) -> list[Review]:
        self._readable(deal_id)
        return self._store.reviews(deal_id)

    # -- writing -----------------------------------------------------------------------------

    def save(self, deal: Deal, *, base_version: int | None, author: str) -> int:
        self._writable(deal)
        return self._store.save(deal, base_version=base_version, author=self._author(author))

    def keep(self, deal: Deal, *, base_version: int | None, author: str,
             conflict_id: int | None = None) -> int:
        self._writable(deal)
        return self._store.keep(deal, base_version=base_version, author=self._author(author),
                                conflict_id=conflict_id)

    def put(self, deal: Deal, *, author: str) -> tuple[int, bool]:
        self._writable(deal)
        return self._store.put(deal, author=self._author(author))

    def settle(self, conflict_id: int, version: int) -> None:
        self.conflict(conflict_id)  # one of the user's teams' deals
        self._store.settle(conflict_id, version)

    # -- reviews -----------------------------------------------------------------------------

    def may_review(self, deal_id: str) -> bool:
        """Reviews are the managers': a manager of the deal's team (or an admin)."""
        team = self._store.team_of(deal_id)
        return team is not None and self.access.may_read_reports(team)

    def add_review(self, deal_id: str, *, version: int, by: str, note: str = "",
                   dismissed: Sequence[Dismissal] = (), actions: Sequence[Action] = ()
                   ) -> Review:
        self._readable(deal_id)
        if not self.may_review(deal_id):
            raise Refused(f"only a manager of the deal's team reviews it ({self.access.user} "
                          f"manages {', '.join(sorted(self.access.manages)) or 'no team'})")
        return self._store.add_review(deal_id, version=version, by=self.access.user,
                                      note=note, dismissed=dismissed, actions=actions)

    def add_review_event(self, deal_id: str, number: int, event: ReviewEvent) -> None:
        """A seller ticks an action or answers, as themselves, on their teams' deals."""
        self._readable(deal_id)
        self._store.add_review_event(deal_id, number,
                                     event.model_copy(update={"by": self.access.user}))


def page_store(location: str | None) -> Store | ScopedStore:
    """The store a page of the app uses: scoped to the signed-in user when JupyterHub runs
    the app (``$JUPYTERHUB_USER`` set), the whole store on a laptop."""
    if os.environ.get(SHARED_VAR):  # the shared app: user and store come with the page
        access, own = shared_access()
        shared = Store(own)
        try:
            return ScopedStore(shared, access)
        except Exception:
            shared.close()
            raise
    store = Store(location or None)
    if not os.environ.get("JUPYTERHUB_USER"):
        return store
    try:
        return ScopedStore(store, hub_access())
    except Exception:
        store.close()
        raise


__all__ = ["ScopedStore", "page_store"]
