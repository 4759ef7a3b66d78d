"""Who a user of the team server is and which deals they may read: the access policy.

Teams are JupyterHub groups: ``coachkit-team-<team>`` holds a team's sellers,
``coachkit-managers-<team>`` its managers. A seller works on the deals of their teams, a
manager reads and works on the deals of the teams they manage, and only managers (and hub
admins) read a team's reports. A deal's team is its ``deal.team`` field.

This module only decides; :mod:`coachkit.store.scoped` enforces it for the app and
:mod:`coachkit.hub.reports` for the reports service.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from coachkit.errors import CoachkitError

SELLERS_GROUP = "coachkit-team-"
MANAGERS_GROUP = "coachkit-managers-"


def sellers_group(team: str) -> str:
    return f"{SELLERS_GROUP}{team}"


def managers_group(team: str) -> str:
    return f"{MANAGERS_GROUP}{team}"


@dataclass(frozen=True)
class Access:
    """One signed-in user: the teams they sell in and manage, and whether they are an admin
    (who may read every team)."""

    user: str
    sells: frozenset[str] = frozenset()
    manages: frozenset[str] = frozenset()
    admin: bool = False

    @classmethod
    def from_groups(cls, user: str, groups: Iterable[str], *, admin: bool = False) -> Access:
        """From the hub's group names; groups that are not coachkit's are ignored."""
        groups = list(groups)
        return cls(user,
                   frozenset(g.removeprefix(SELLERS_GROUP) for g in groups
                             if g.startswith(SELLERS_GROUP) and len(g) > len(SELLERS_GROUP)),
                   frozenset(g.removeprefix(MANAGERS_GROUP) for g in groups
                             if g.startswith(MANAGERS_GROUP) and len(g) > len(MANAGERS_GROUP)),
                   admin)

    @property
    def teams(self) -> frozenset[str]:
        """The teams whose deals this user works on in the app."""
        return self.sells | self.manages

    def may_work_on(self, team: str) -> bool:
        """May read, create, change and upload deals of ``team`` in the app."""
        return self.admin or team in self.teams

    def may_read_reports(self, team: str) -> bool:
        """May read ``team``'s reports: its managers and the hub's admins."""
        return self.admin or team in self.manages

    def describe(self) -> str:
        """The user's teams, for messages: ``east, west`` (or ``every team``)."""
        if self.admin:
            return "every team"
        return ", ".join(sorted(self.teams)) or "no team"


def hub_access(environ: dict[str, str] | None = None, *, timeout: float = 10.0) -> Access:
    """The user a JupyterHub single-user server runs for, with their groups, asked from the
    hub's REST API with the server's own token (the spawner sets ``JUPYTERHUB_USER``,
    ``JUPYTERHUB_API_URL`` and ``JUPYTERHUB_API_TOKEN``; the token needs the scope
    ``read:users:groups!user``). The groups are read when a page's kernel starts, so a change
    of team counts from the next kernel on. Fails closed: no answer, no access."""
    env = os.environ if environ is None else environ
    user = env.get("JUPYTERHUB_USER", "")
    api, token = env.get("JUPYTERHUB_API_URL", ""), env.get("JUPYTERHUB_API_TOKEN", "")
    if not (user and api and token):
        raise CoachkitError("team server: JUPYTERHUB_USER, JUPYTERHUB_API_URL and "
                            "JUPYTERHUB_API_TOKEN must all be set; start the app from the hub")
    request = urllib.request.Request(f"{api.rstrip('/')}/user",
                                     headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            model = json.load(response)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise CoachkitError(f"team server: the hub did not say who you are ({reason}); "
                            "reload the page, and if it persists ask the hub's admin") from None
    if model.get("name") != user:
        raise CoachkitError("team server: the hub's answer is for another user; reload the page")
    if "groups" not in model:
        raise CoachkitError("team server: the hub did not list your teams (the server token "
                            "needs the scope read:users:groups!user); ask the hub's admin")
    return Access.from_groups(user, model.get("groups") or [], admin=bool(model.get("admin")))
