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


# -- the shared app of the team server (coachkit hub --app shared) ------------------------

USER_HEADER = "X-Coachkit-User"
"""The signed-in hub user of a request to the shared app, as JSON (name, groups, admin): set
by the app's proxy from the hub's OAuth sign-in alone (any such header the browser sends is
dropped) and believed by the app's Voila from that proxy only."""
SHARED_VAR = "COACHKIT_SHARED_APP"
"""Set in the kernels of the shared app: the user comes with the page request."""
PAGE_USER_VAR = "COACHKIT_PAGE_USER"
PAGE_STORE_VAR = "COACHKIT_PAGE_STORE"
"""What the shared app's Voila adds to a kernel's page request, from its own records of the
page (never from the request): the user (as :data:`USER_HEADER`) and the store URL of their
database role."""


def identity_header(name: str, groups: Iterable[str], *, admin: bool) -> str:
    """The :data:`USER_HEADER` value for a hub user (ASCII: JSON escapes the rest)."""
    return json.dumps({"name": name, "groups": sorted(groups), "admin": admin})


def from_identity_header(value: str) -> Access:
    """The :class:`Access` of a :data:`USER_HEADER` value; fails closed (one clear line)."""
    try:
        model = json.loads(value)
        name, groups, admin = model["name"], model["groups"], model["admin"]
    except (ValueError, KeyError, TypeError):
        raise CoachkitError("team server: the page came without its signed-in user; "
                            "reload the page") from None
    if not isinstance(name, str) or not name or not isinstance(groups, list):
        raise CoachkitError("team server: the page came without its signed-in user; "
                            "reload the page")
    return Access.from_groups(name, [str(g) for g in groups], admin=admin is True)


def shared_access(environ: dict[str, str] | None = None) -> tuple[Access, str]:
    """In a kernel of the shared app, once its page request has come: the user (from the
    server's own sign-in, never from the page) and the store URL of their database role."""
    env = os.environ if environ is None else environ
    access = from_identity_header(env.get(PAGE_USER_VAR, ""))
    store = env.get(PAGE_STORE_VAR, "")
    if not store:
        raise CoachkitError("team server: the page came without its store; reload the page")
    return access, store

