"""Coaching settings: the shipped defaults, merged with a team's own TOML file."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from coachkit.errors import CoachkitError

ENV_VAR = "COACHKIT_SETTINGS"


def default_settings_text() -> str:
    """The documented defaults, as shipped in the package."""
    return resources.files("coachkit.coaching").joinpath("settings.toml").read_text("utf-8")


def _merge(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    """Override ``base`` key by key; a key the defaults do not know is a typo, so refuse it."""
    merged = dict(base)
    for key, value in override.items():
        path = f"{where}.{key}" if where else key
        if key not in base and where != "rules":  # plugin rules bring their own tables
            raise CoachkitError(f"settings: unknown setting '{path}'")
        if key not in base:
            merged[key] = value
        elif isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise CoachkitError(f"settings: '{path}' must be a table")
            merged[key] = _merge(base[key], value, path)
        else:
            if type(value) is not type(base[key]) and not (
                isinstance(value, int | float) and isinstance(base[key], int | float)
            ):
                raise CoachkitError(
                    f"settings: '{path}' must be {type(base[key]).__name__}, "
                    f"got {type(value).__name__}"
                )
            merged[key] = value
    return merged


def load_settings(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Defaults, overridden by ``path`` or else by the file named in $COACHKIT_SETTINGS."""
    settings = tomllib.loads(default_settings_text())
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        return settings
    file = Path(chosen)
    try:
        override = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CoachkitError(f"settings: cannot read {file}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CoachkitError(f"settings: {file} is not valid TOML: {exc}") from exc
    return _merge(settings, override, "")
