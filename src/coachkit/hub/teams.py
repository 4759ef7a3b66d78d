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
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from coachkit.access import managers_group, sellers_group
from coachkit.errors import CoachkitError
from coachkit.model.messages import first_problem

TEAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
"""Team names are part of group names, URLs and folder names: letters, digits, ``_.-``."""
USER_NAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,127}")
"""JupyterHub user names as the hub keeps them (it lowercases what people type)."""
MIN_PASSWORD = 8
MIN_ADMIN_PASSWORD = 32


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
    """Check what a TEAMS.toml holds against :class:`TeamsFile`, as the settings are checked
    (pydantic); a mistake is one line naming the file and the key."""
    try:
        file = TeamsFile.model_validate(data)
    except ValidationError as exc:
        raise CoachkitError(f"{where}: {first_problem(exc, _describe, count_more=False)}"
                            ) from None
    teams = {name: Team(tuple(dict.fromkeys(t.sellers)), tuple(dict.fromkeys(t.managers)))
             for name, t in file.teams.items()}
    trial = file.trial
    return Teams(teams, tuple(dict.fromkeys(file.admins)), trial.password if trial else None,
                 trial.admin_password if trial else None)


def _user_name(name: str) -> str:
    if not USER_NAME.fullmatch(name):
        raise PydanticCustomError("user_name", "'{name}' is not a hub user name (lowercase "
                                  "letters, digits, '_', '.', '@', '-')", {"name": name})
    return name


def _team_name(name: str) -> str:
    if not TEAM_NAME.fullmatch(name):
        raise PydanticCustomError("team_name", "team name '{name}' must be letters, digits, "
                                  "'_', '.' or '-'", {"name": name})
    return name


UserName = Annotated[str, AfterValidator(_user_name)]
TeamName = Annotated[str, AfterValidator(_team_name)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TeamTable(_Table):
    """``[teams.NAME]``."""

    sellers: list[UserName] = []
    managers: list[UserName] = []


class TrialTable(_Table):
    """``[trial]``: a local trial's shared password (and the admins' own)."""

    password: str = Field(min_length=MIN_PASSWORD)
    admin_password: str | None = Field(None, min_length=MIN_ADMIN_PASSWORD)

    @field_validator("admin_password")
    @classmethod
    def _unlike_password(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == info.data.get("password"):
            raise PydanticCustomError("same_password", "the same as password")
        return value


class TeamsFile(_Table):
    """The keys of a TEAMS.toml, typed like the settings: no unknown key, no conversion."""

    teams: dict[TeamName, TeamTable] = Field(min_length=1)
    admins: list[UserName] = []
    trial: TrialTable | None = None
    digest: dict[str, Any] | None = None  # the weekly digest's mail: checked by coachkit.mail


_USERS = 'must be a list of user names, e.g. ["ana", "ben"]'
_TAKES = {
    "teams": "no [teams.NAME] table; every team needs sellers and managers lists",
    "teams.*": "{path} must be a table with sellers and managers",
    "teams.*.sellers": f"{{path}} {_USERS}",
    "teams.*.managers": f"{{path}} {_USERS}",
    "admins": f"{{path}} {_USERS}",
    "trial": '[trial] must be a table with password = "..."',
    "trial.password": f"{{path}} must be a text of {MIN_PASSWORD} characters or more",
    "trial.admin_password": f"{{path}} must be {MIN_ADMIN_PASSWORD} characters or more, "
                            "unlike password",
}
"""What each key takes, said when its value is refused (``*``: any team name)."""
_OWN = ("user_name", "team_name")
"""Errors whose message already says what is wrong with one name."""


def _describe(error: Any) -> str:
    """One pydantic error in the words of a TEAMS.toml's author."""
    loc = [str(p) for p in error["loc"]]
    if error["type"] == "extra_forbidden":
        table, key = loc[:-1], loc[-1]
        model = TeamTable if table[:1] == ["teams"] else TrialTable if table else TeamsFile
        keys = ", ".join(model.model_fields)
        return f"{'.'.join(table) + ': ' if table else ''}unknown key '{key}' (keys: {keys})"
    if error["type"] in _OWN:
        path = ".".join(p for p in loc if not p.isdigit() and p != "[key]")
        said = str(error["msg"])
        return said if error["type"] == "team_name" else f"{path}: {said}"
    while loc and loc[-1].isdigit():  # an item of a list: the list is what is wrong
        loc.pop()
    path = ".".join(loc)
    pattern = ".".join("*" if i == 1 and loc[0] == "teams" else p for i, p in enumerate(loc))
    return _TAKES.get(pattern, "{path}: " + str(error["msg"])).format(path=path)
