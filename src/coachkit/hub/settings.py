"""What ``coachkit hub`` decides and the hub's configuration reads (:class:`HubSettings`),
with the defaults its command line offers. Light on purpose: ``coachkit hub --help`` imports
it, so the options and the settings share one home for every default."""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SETTINGS_VAR = "COACHKIT_HUB_SETTINGS"
"""Where the shipped ``jupyterhub_config.py`` finds the settings file."""
APP_MODES = ("shared", "per-user")
"""How the app is served; the first is the default (docs/team-server.md says when which)."""


@dataclass(frozen=True)
class HubSettings:
    """Everything the hub's configuration depends on, written as JSON by ``coachkit hub``."""

    teams_file: str
    runtime: str
    """A 0700 folder: the hub's database, cookie secret, pid files, tokens, reports, homes."""
    port: int = 8000
    ip: str = "127.0.0.1"
    hub_port: int = 8081
    proxy_api_port: int = 8001
    reports_port: int = 8082
    report_every: float = 60.0
    """Minutes between two renderings of the reports."""
    server_idle: int = 3600
    """Seconds without activity after which the idle culler stops a user's server."""
    kernel_idle: int = 900
    """Seconds after which a page's kernel with no open tab is shut down."""
    preheated: int = 1
    """Kernels each user's server keeps preheated (0: less memory, slower pages)."""
    python: str = sys.executable
    app: str = APP_MODES[0]
    """``shared``: one app service for all (one machine); ``per-user``: a server per
    signed-in user (an existing hub's spawner, Kubernetes)."""
    pool: int = 10
    """The shared app's preheated kernels, waiting for the next pages."""
    app_port: int = 8083
    max_pages: int = 6
    """Most open pages per user (each keeps a kernel)."""

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2), "utf-8")

    @classmethod
    def read(cls, path: str | Path) -> HubSettings:
        return cls(**json.loads(Path(path).read_text("utf-8")))


def default(name: str) -> Any:
    """A setting's default, for the command line's option and its help."""
    return HubSettings.__dataclass_fields__[name].default
