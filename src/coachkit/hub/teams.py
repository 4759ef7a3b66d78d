"""TEAMS.toml: the teams of the team server, who sells in each and who manages it.

    [teams.east]
    sellers = ["ana", "ben"]
    managers = ["maria"]

    admins = ["adam"]          # optional: hub admins read every team (top level, before tables)

    [trial]                    # only for a local trial: every listed user signs in with this
    password = "..."

With a real identity provider the same hub groups come from it and ``[trial]`` is left out.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from coachkit.access import managers_group, sellers_group
from coachkit.errors import CoachkitError

TEAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
"""Team names are part of group names, URLs and folder names: letters, digits, ``_.-``."""
USER_NAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,127}")
"""JupyterHub user names as the hub keeps them (it lowercases what people type)."""
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Team:
    sellers: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Teams:
    """What a TEAMS.toml file says."""

    teams: dict[str, Team]
    admins: tuple[str, ...] = ()
    trial_password: str | None = None
    """The shared password of a local trial (None: a real identity provider signs users in)."""
    admin_password: str | None = None

    def groups(self) -> dict[str, dict[str, list[str]]]:
        """The hub groups, in ``JupyterHub.load_groups`` form."""
        out: dict[str, dict[str, list[str]]] = {}
        for name, team in sorted(self.teams.items()):
            out[sellers_group(name)] = {"users": sorted(team.sellers)}
            out[managers_group(name)] = {"users": sorted(team.managers)}
        return out

    @property
    def users(self) -> set[str]:
        return {u for t in self.teams.values() for u in (*t.sellers, *t.managers)} \
            | set(self.admins)


def load_teams(path: str | Path) -> Teams:
    """Read and check a TEAMS.toml; any mistake is one line naming the file and the key."""
    where = str(path)
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise CoachkitError(f"{where}: no such file (examples/teams.toml shows the format)") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CoachkitError(f"{where}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CoachkitError(f"{where}: not valid TOML ({exc})") from None
    return parse_teams(data, where)


def parse_teams(data: dict[str, object], where: str = "TEAMS.toml") -> Teams:
    def fail(message: str) -> CoachkitError:
        return CoachkitError(f"{where}: {message}")

    unknown = set(data) - {"teams", "admins", "trial", "digest"}  # digest: coachkit.mail
    if unknown:
        raise fail(f"unknown key '{sorted(unknown)[0]}' (keys: teams, admins, trial, digest)")
    raw_teams = data.get("teams")
    if not isinstance(raw_teams, dict) or not raw_teams:
        raise fail("no [teams.NAME] table; every team needs sellers and managers lists")
    teams = {}
    for name, raw in raw_teams.items():
        if not TEAM_NAME.fullmatch(name):
            raise fail(f"team name '{name}' must be letters, digits, '_', '.' or '-'")
        if not isinstance(raw, dict):
            raise fail(f"teams.{name} must be a table with sellers and managers")
        extra = set(raw) - {"sellers", "managers"}
        if extra:
            raise fail(f"teams.{name}: unknown key '{sorted(extra)[0]}' "
                       "(keys: sellers, managers)")
        teams[name] = Team(_users(raw.get("sellers", []), f"teams.{name}.sellers", fail),
                           _users(raw.get("managers", []), f"teams.{name}.managers", fail))
    admins = _users(data.get("admins", []), "admins", fail)
    trial = data.get("trial")
    password = admin_password = None
    if trial is not None:
        if not isinstance(trial, dict):
            raise fail("[trial] must be a table with password = \"...\"")
        extra = set(trial) - {"password", "admin_password"}
        if extra:
            raise fail(f"trial: unknown key '{sorted(extra)[0]}' (keys: password, "
                       "admin_password)")
        password = trial.get("password")
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            raise fail(f"trial.password must be a text of {MIN_PASSWORD} characters or more")
        admin_password = trial.get("admin_password")
        if admin_password is not None and (not isinstance(admin_password, str)
                                           or len(admin_password) < 32
                                           or admin_password == password):
            raise fail("trial.admin_password must be 32 characters or more, unlike password")
    return Teams(teams, admins, password, admin_password)


def _users(value: object, key: str, fail: object) -> tuple[str, ...]:
    assert callable(fail)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{key} must be a list of user names, e.g. [\"ana\", \"ben\"]")
    for name in value:
        if not USER_NAME.fullmatch(name):
            raise fail(f"{key}: '{name}' is not a hub user name (lowercase letters, digits, "
                       "'_', '.', '@', '-')")
    return tuple(dict.fromkeys(value))
