"""The JupyterHub configuration of the team server, in one place.

:func:`configure` sets what coachkit needs in any hub: the teams as groups, the user server
(:func:`user_server_command`), the scopes of its token, the idle culler (of users' servers) and
the ``coachkit-reports`` service, and the roles that let users reach it. :func:`configure_local`
adds what ``coachkit hub`` runs on one machine: loopback addresses, runtime files in one
0700 folder, the trial sign-in, and local processes for user servers. The shipped
``jupyterhub_config.py`` reads :class:`HubSettings` from ``$COACHKIT_HUB_SETTINGS``;
``coachkit hub --print-config`` prints the configuration for an existing hub.

The store's location (with its password, if any) reaches the hub only through
``$COACHKIT_STORE``: it is taken out of the hub's own environment (the proxy inherits that
one) and handed to the user servers and the reports service in theirs, never in argv.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from jupyterhub.utils import url_path_join

from coachkit.hub.rendering import APP_PATH_VAR
from coachkit.hub.settings import SETTINGS_VAR, HubSettings
from coachkit.hub.storeroles import is_postgres, user_store_hook, user_store_stop_hook
from coachkit.hub.teams import Teams, load_teams
from coachkit.processes import not_dumpable
from coachkit.shipped import APP_NOTEBOOK, hub_templates_dir, workbooks_dir
from coachkit.store.location import ENV_VAR

REPORTS_SERVICE = "coachkit-reports"
APP_SERVICE = "coachkit-app"
"""The shared app (``--app shared``): one hub service serving every user's pages."""
SHARED_USER_SCOPES = ["read:users!user", "users:activity!user", "tokens!user"]
"""A user's scopes on themselves with the shared app: JupyterHub's ``self`` without
``servers``, ``access:servers`` and sharing, so nobody starts a server of their own."""
IOPUB_TIMEOUT = 60
SHARED_FILL_DELAY = 20
"""Seconds after a page takes a kernel before the shared app's pool starts its replacement."""
"""Seconds the shared app's Voila waits for a cell's outputs once the cell has run."""
PROXY_TIMEOUT_MS = 180_000
"""The proxy's upstream timeout: a first page starts Voila and a kernel, which takes far
longer than the proxy's default 20 s on two busy cores (then it answers 503)."""
PASSED_THROUGH = ("COACHKIT_TODAY", "COACHKIT_SETTINGS")
"""Variables of the hub's environment that user servers and the reports service also get."""




def voila_options(folder: str, *, kernel_idle: int, preheated: int, fill_delay: int = 4
                  ) -> list[str]:
    """Voila's options behind a hub proxy (``{unix_socket}`` and ``{base_url}`` are filled
    in by the proxy): see :func:`user_server_command`."""
    return [
        "--HubVoila.unix_socket={unix_socket}",
        "--CoachkitVoila.require_token=False", "--CoachkitVoila.check_host=False",
        "--no-browser", "--Voila.base_url={base_url}/", f"--Voila.root_dir={folder}",
        f"--preheat_kernel={preheated > 0}", f"--pool_size={preheated}",
        # refill the pool once the page that took the kernel has rendered, not while it does
        # (on 2 cores a refill started at once makes that page ~1.5 s slower)
        f"--VoilaKernelManager.fill_delay={fill_delay}",
        # kernels talk over Unix sockets in a private folder, not TCP ports: no port clashes
        # when many kernels start at once (10 sellers signing in), none open on loopback
        "--KernelManager.transport=ipc",
        "--VoilaConfiguration.show_tracebacks=False",
        "--MappingKernelManager.cull_interval=60",
        f"--MappingKernelManager.cull_idle_timeout={kernel_idle}",
        "--MappingKernelManager.cull_connected=False",
    ]


PROXY_OPTIONS = [
    "--absolute-url",  # Voila gets /user/<name>/... and knows that base_url
    "--unix-socket=True",  # Voila's socket, in a new 0700 folder
    "--timeout=60",  # its readiness wait (default 5 s) is too short on 2 busy cores
    # its activity notifier would post "now" forever (no idle cull) or log errors;
    # the proxy reports activity to the hub instead
    "--activity-interval=0",
]


def shared_app_command(python: str = sys.executable, *, workbooks: str | None = None,
                       kernel_idle: int = 900, pool: int = 10, max_pages: int = 6
                       ) -> list[str]:
    """The shared app (``--app shared``), a hub service: :mod:`coachkit.hub.appproxy` (the
    hub's sign-in on pages and websockets, naming the user) in front of ONE
    :mod:`coachkit.hub.sharedvoila` on a Unix socket in a new 0700 folder, with ``pool``
    kernels preheated for the next pages and at most ``max_pages`` open pages per user."""
    folder = workbooks or str(workbooks_dir())
    return [python, "-m", "coachkit.hub.appproxy", *PROXY_OPTIONS, "--",
            python, "-m", "coachkit.hub.sharedvoila", f"{folder}/{APP_NOTEBOOK}",
            # a burst of pages (a team signing in at 9:00) renders before the pool refills:
            # ten kernels starting at once beside ten pages made every page 2-3 times slower
            *voila_options(folder, kernel_idle=kernel_idle, preheated=max(pool, 1),
                           fill_delay=SHARED_FILL_DELAY),
            f"--CoachkitVoila.max_pages={max_pages}",
            # one Voila renders everybody's pages: with ten pages and their kernels on two
            # cores, the page's last output (the app itself) came after nbclient's 4 s wait
            # and was dropped, leaving a blank page
            f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}"]


def user_server_command(python: str = sys.executable, *, workbooks: str | None = None,
                        kernel_idle: int = 900, preheated: int = 1) -> list[str]:
    """A user's server: standalone Voila on the workbook app, behind the hub's sign-in.

    In front, :mod:`coachkit.hub.userproxy` (``jupyter-standaloneproxy`` that also checks
    websockets) lets only the server's owner through, signed in at the hub, and forwards to
    Voila over a Unix socket in a new 0700 folder (``--unix-socket=True``): Voila opens no
    TCP port another local program could reach. Standalone Voila serves the one notebook and
    nothing else (no JupyterLab, terminals, contents or files API; it refuses execute
    requests from the browser), keeps a kernel preheated for the next page and shuts down
    kernels of closed tabs. It is coachkit's Voila (:mod:`coachkit.hub.uservoila`, the app's
    :mod:`coachkit.app.voila` on that socket): the page template with no third-party
    request, kernels of pages gone ended, and a cap on a user's open pages; its own token
    and Host check are off, since the hub signs users in and its proxy passes the public
    host name. ``{unix_socket}`` and ``{base_url}`` are filled in by the user's proxy.
    """
    folder = workbooks or str(workbooks_dir())
    return [python, "-m", "coachkit.hub.userproxy", *PROXY_OPTIONS, "--",
            python, "-m", "coachkit.hub.uservoila", f"{folder}/{APP_NOTEBOOK}",
            *voila_options(folder, kernel_idle=kernel_idle, preheated=preheated)]


def server_token_scopes() -> list[str]:
    """The scopes of a user server's ``$JUPYTERHUB_API_TOKEN``. Setting them replaces the
    default ``server`` role, so its two scopes stay; the app adds reading the user's own
    groups (their teams)."""
    return ["users:activity!user", "access:servers!server", "read:users:groups!user"]


def configure(c: Any, settings: HubSettings, teams: Teams, *, store: str,
              load_groups: bool = True) -> None:
    """What coachkit needs in any JupyterHub (``c`` is the hub's config object)."""
    env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    if store:
        env[ENV_VAR] = store
    user_env = dict(env)
    if is_postgres(store):
        # the second wall: a user's server gets a role of its own, reaching only its user's
        # teams (row-level security), never the store's own credentials
        del user_env[ENV_VAR]
        c.Spawner.pre_spawn_hook = user_store_hook(store)
        c.Spawner.post_stop_hook = user_store_stop_hook(store)
    if load_groups:
        # load_groups only adds members: coachkit hub starts each run on a fresh hub database
        c.JupyterHub.load_groups = teams.groups()
    configure_face(c)
    c.Spawner.cmd = user_server_command(settings.python, kernel_idle=settings.kernel_idle,
                                        preheated=settings.preheated)
    c.Spawner.environment = user_env
    c.Spawner.server_token_scopes = server_token_scopes()
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 90
    runtime = Path(settings.runtime)
    user_scopes = ["self", f"access:services!service={REPORTS_SERVICE}"]
    reports_env = {}
    services: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    if settings.app == "shared":
        # no server of one's own: /hub/spawn typed by hand would start one (and its memory)
        user_scopes[:1] = SHARED_USER_SCOPES
        user_scopes.append(f"access:services!service={APP_SERVICE}")
        app_path = f"services/{APP_SERVICE}/"
        reports_env[APP_PATH_VAR] = app_path  # a report's deal links open the shared app
        # signing in (and the hub's own pages) lead to the shared app, not a user's server
        c.JupyterHub.default_url = lambda handler: url_path_join(handler.base_url, app_path)
        c.JupyterHub.template_vars = {"workbook_path": app_path}
        c.JupyterHub.user_redirect_hook = shared_app_redirect(app_path)
        services.append({
            "name": APP_SERVICE,
            "url": f"http://127.0.0.1:{settings.app_port}",
            "command": shared_app_command(settings.python, kernel_idle=settings.kernel_idle,
                                          pool=settings.pool, max_pages=settings.max_pages),
            "oauth_no_confirm": True,
            # the store's own URL: the app makes each user's database role at page time
            "environment": {**env, **service_env(runtime, APP_SERVICE)},
        })
    else:  # the idle culler stops users' servers; the shared app has none to stop
        services.append({
            "name": "idle-culler",
            "command": [settings.python, "-m", "jupyterhub_idle_culler",
                        f"--timeout={settings.server_idle}", "--cull-every=300"],
        })
        roles.append({
            "name": "idle-culler", "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
    c.JupyterHub.services = [
        *services,
        {
            "name": REPORTS_SERVICE,
            "url": f"http://127.0.0.1:{settings.reports_port}",
            "command": [settings.python, "-m", "coachkit.hub.reports"],
            "oauth_no_confirm": True,  # no "Authorize access" page before the reports
            "environment": {
                **env,
                **service_env(runtime, REPORTS_SERVICE),
                "COACHKIT_REPORTS_DIR": str(runtime / "reports"),
                "COACHKIT_REPORTS_TEAMS": ",".join(sorted(teams.teams)),
                "COACHKIT_REPORTS_EVERY": str(settings.report_every),
                **reports_env,
            },
        },
    ]
    c.JupyterHub.load_roles = [{"name": "user", "scopes": user_scopes}, *roles]


def shared_app_redirect(app_path: str) -> Any:
    """``/hub/user-redirect/PATH?QUERY`` (links in reports and bookmarks made for per-user
    servers) leads to the shared app instead of a user's server."""

    def hook(path: str, request: Any, _user: Any, base_url: str) -> str:
        url = url_path_join(base_url, app_path, path)
        return url + (f"?{request.query}" if request.query else "")

    return hook


def service_env(runtime: Path, name: str) -> dict[str, str]:
    """What a hub service needs of the environment besides coachkit's variables."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(runtime / "homes" / name)}


def configure_face(c: Any) -> None:
    """coachkit's pages instead of JupyterHub's: sign-in, the wait with its steps, errors,
    a closed workbook (:func:`coachkit.shipped.hub_templates_dir`). The wait page shows at
    once (``slow_spawn_timeout`` 0) rather than after 10 s of a blank browser."""
    c.JupyterHub.template_paths = [str(hub_templates_dir())]
    c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}


def configure_local(c: Any, settings: HubSettings) -> None:
    """``coachkit hub``: the whole hub on this machine, every address on loopback except the
    public one the operator chose, sign-in with the trial password of TEAMS.toml."""
    # the hub's environment held the store's URL at its start (and /proc keeps that copy),
    # and it holds the hub's secrets: no other process of this Unix user (a kernel) reads it
    not_dumpable()
    teams = load_teams(settings.teams_file)
    runtime = Path(settings.runtime)
    store = os.environ.pop(ENV_VAR, "")  # not for the proxy, which gets our env
    configure(c, settings, teams, store=store)
    c.JupyterHub.bind_url = f"http://{settings.ip}:{settings.port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings.hub_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    # PyPI's configurable-http-proxy, forwarding binary websocket frames as binary
    c.ConfigurableHTTPProxy.command = [settings.python, "-m", "coachkit.hub.proxy",
                                       f"--proxy-timeout={PROXY_TIMEOUT_MS}"]
    # the proxy gets its token in its environment (CONFIGPROXY_AUTH_TOKEN), not in argv
    c.ConfigurableHTTPProxy.auth_token = secret_file(runtime / "proxy_auth_token")
    c.ConfigurableHTTPProxy.pid_file = str(runtime / "jupyterhub-proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{runtime / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(runtime / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(runtime / "jupyterhub.pid")
    c.Spawner.ip = "127.0.0.1"
    c.JupyterHub.spawner_class = "simple"  # local processes; no Unix account per user
    c.SimpleLocalProcessSpawner.home_dir_template = str(runtime / "homes" / "{username}")

    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = teams.trial_password
    c.Authenticator.allowed_users = teams.users
    # else anyone ever signed in could still sign in after leaving TEAMS.toml
    c.Authenticator.allow_existing_users = False
    if teams.admins:
        c.Authenticator.admin_users = set(teams.admins)
        c.SharedPasswordAuthenticator.admin_password = (
            teams.admin_password or secret_file(runtime / "admin_password", 32))


def configure_from_environment(c: Any) -> None:
    """The shipped ``jupyterhub_config.py``: :func:`configure_local` with the settings that
    ``coachkit hub`` wrote to ``$COACHKIT_HUB_SETTINGS``."""
    path = os.environ.get(SETTINGS_VAR)
    if not path:
        raise SystemExit(f"{SETTINGS_VAR} is not set: start the team server with "
                         "coachkit hub --teams TEAMS.toml")
    configure_local(c, HubSettings.read(path))


def secret_file(path: Path, nbytes: int = 32) -> str:
    """A random secret kept in ``path`` (mode 0600), made on first use."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def existing_hub_config(teams_file: str, runtime: str, *, python: str = sys.executable,
                        report_every: float = 60.0) -> str:
    """``coachkit hub --print-config``: a jupyterhub_config.py for a hub that already signs
    people in (any authenticator). It uses the hub's own network, spawner and sign-in: user
    servers (per-user), where that hub's spawner puts them, not a service in the hub's host."""
    settings = HubSettings(teams_file=str(Path(teams_file).resolve()), runtime=runtime,
                           python=python, report_every=report_every, app="per-user")
    return f'''\
# jupyterhub_config.py: coachkit on an existing JupyterHub (coachkit hub --print-config).
#
# Sign-in stays your authenticator's. Teams are hub groups coachkit-team-<team> (sellers)
# and coachkit-managers-<team> (managers): let your identity provider fill them (e.g.
# OAuthenticator with manage_groups = True), or keep load_groups below. The store's URL
# (and its password) comes from the hub's environment: {ENV_VAR}, or PGPASSWORD beside
# a URL without one. Never put it in this file or in argv.
# User servers run `coachkit.hub.config.user_server_command()` (standalone Voila on a Unix
# socket behind coachkit.hub.userproxy); they need coachkit[hub] installed where they run.
# Your hub's proxy must forward binary websocket frames (uploads): Node's
# configurable-http-proxy does; PyPI's needs `python -m coachkit.hub.proxy` as its command.
import os

from coachkit.hub.config import configure
from coachkit.hub.settings import HubSettings
from coachkit.hub.teams import load_teams

settings = HubSettings(**{json.dumps(dataclasses.asdict(settings), indent=4)})
os.makedirs(settings.runtime, mode=0o700, exist_ok=True)
configure(
    get_config(),  # noqa: F821 (given by JupyterHub)
    settings,
    load_teams(settings.teams_file),
    store=os.environ.get("{ENV_VAR}", ""),
    load_groups=True,  # False when your authenticator manages the groups
)
'''
