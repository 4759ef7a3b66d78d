"""Where a store is: ``$COACHKIT_STORE`` or the user's data folder, and what a location says
(a path or a database URL, and whether it holds a secret).

Every part of coachkit (CLI, app, team server, reports) reads these facts here, so that a
path, a URL and a password are told apart in one way.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from coachkit.store.private import private_sqlite_path

ENV_VAR = "COACHKIT_STORE"
"""The environment variable naming the store (a path or a whole database URL)."""
SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "sslpassword"})
"""Query parameters of a database URL that hold a secret."""


def default_location() -> str:
    """``$COACHKIT_STORE``, else ``coachkit.db`` in the user's data folder."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    return str(_data_folder() / "coachkit.db")


def _data_folder() -> Path:
    """coachkit's own folder in the user's data folder (``~/.local/share/coachkit``)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("coachkit", appauthor=False))


def is_url(location: str) -> bool:
    """A database URL (``postgresql+psycopg://...``, ``sqlite:///...``), not a file path."""
    return "://" in location


def to_url(location: str) -> str:
    """A path or a database URL -> a SQLAlchemy URL (paths become SQLite files)."""
    if is_url(location):
        return location
    path = private_sqlite_path(Path(location), own_folder=_is_default(location))
    return f"sqlite:///{path}"


def _is_default(location: str) -> bool:
    """Whether ``location`` is the store in coachkit's own data folder."""
    own = _data_folder().expanduser().resolve()
    return Path(location).expanduser().resolve().parent == own


def has_secret(location: str) -> bool:
    """Does a store location carry a password (in the URL or its query)?"""
    if not is_url(location):
        return False
    parts = urlsplit(location)
    return bool(parts.password) or any(k.lower() in SECRET_PARAMS
                                       for k, _ in parse_qsl(parts.query))


def secrets_of(location: str) -> list[str]:
    """The passwords a location holds (in the URL and its query), to keep out of messages."""
    if not is_url(location):
        return []
    parts = urlsplit(location)
    found = [parts.password] if parts.password else []
    return found + [v for k, v in parse_qsl(parts.query) if k.lower() in SECRET_PARAMS and v]


def display(location: str) -> str:
    """A store location safe to print and to write down: passwords replaced by ``***``."""
    if not is_url(location):
        return location
    parts = urlsplit(location)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = urlencode([(k, "***" if k.lower() in SECRET_PARAMS else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


__all__ = ["ENV_VAR", "default_location", "display", "has_secret", "is_url", "secrets_of",
           "to_url"]
