"""``coachkit hub``: the team server (JupyterHub with the workbook app and the reports).

    coachkit hub --teams TEAMS.toml [--store URL] [--store-password-file FILE] [--port N]
                 [--ip ADDRESS] [--report-every MINUTES] [--runtime-dir DIR]
                 [--preheated N] [--app shared|per-user] [--pool N]
    coachkit hub --teams TEAMS.toml --print-config

The store's password never goes in argv: it comes from ``$COACHKIT_STORE`` (a whole URL),
``$PGPASSWORD`` or a file (``--store-password-file``), and reaches the hub's processes only
through their environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from coachkit.cli.common import Parents
from coachkit.errors import CoachkitError
from coachkit.hub.settings import APP_MODES, default
from coachkit.processes import bind_error, free_port

if TYPE_CHECKING:
    from coachkit.hub.teams import Teams


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("hub", help="start the team server (JupyterHub: sign-in, teams, reports)",
                       description="Start JupyterHub with its proxy on this machine: sellers "
                       "sign in and work on their teams' deals in the workbook app, managers "
                       "read their teams' reports. Every address is on 127.0.0.1 unless --ip "
                       "says otherwise. See docs/team-server.md.")
    p.add_argument("--teams", metavar="TEAMS.toml", required=True,
                   help="the teams, their sellers and managers, and the trial password "
                        "(examples/teams.toml)")
    p.add_argument("--store", metavar="PATH_OR_URL", default=None,
                   help="SQLite file (a trial) or PostgreSQL URL without its password "
                        "(default: $COACHKIT_STORE, else coachkit.db in your data folder)")
    p.add_argument("--store-password-file", metavar="FILE",
                   help="a file holding the database password (else $PGPASSWORD, or the "
                        "whole URL in $COACHKIT_STORE)")
    p.add_argument("--port", type=int, default=default("port"),
                   help=f"the hub's port (default {default('port')})")
    p.add_argument("--ip", default=default("ip"),
                   help=f"the address the hub's port listens on (default {default('ip')}: "
                        "this machine only); every other port stays on 127.0.0.1")
    p.add_argument("--report-every", type=float, default=default("report_every"),
                   metavar="MINUTES", help="render the teams' reports every MINUTES "
                   f"(default {default('report_every'):g}; also at start)")
    p.add_argument("--preheated", type=int, choices=(0, 1), default=default("preheated"),
                   metavar="N",
                   help="with --app per-user: kernels kept preheated in each user's server: 1 "
                        "(a page opens without waiting for Python) or 0 (~80 MB less per "
                        f"signed-in seller; each page waits for its kernel); default "
                        f"{default('preheated')}")
    p.add_argument("--app", choices=APP_MODES, default=default("app"),
                   help="shared: one app service for everyone, a kernel per open page from a "
                        "preheated pool; per-user: each signed-in user gets a workbook server "
                        "of their own (more memory, slower first sign-in; see "
                        f"docs/team-server.md); default {default('app')}")
    p.add_argument("--pool", type=int, default=default("pool"), metavar="N",
                   help="the shared app's kernels kept preheated for the next pages, "
                        "~80 MB each, open pages counting against them, one at least "
                        f"(default {default('pool')}: as many sellers open a page at once "
                        "without waiting for Python)")
    p.add_argument("--runtime-dir", metavar="DIR",
                   help="the hub's own files: database, secrets, logs of reports "
                        "(default: hub/ in coachkit's data folder)")
    p.add_argument("--print-config", action="store_true",
                   help="print a jupyterhub_config.py for an existing JupyterHub and exit")
    p.set_defaults(run=hub)


def hub(args: argparse.Namespace) -> int:
    from coachkit.hub.config import existing_hub_config
    from coachkit.hub.teams import load_teams

    teams = load_teams(args.teams)
    runtime = runtime_dir(args.runtime_dir)
    if args.report_every <= 0:
        raise CoachkitError("--report-every must be a number of minutes above 0")
    if args.pool < 1:
        raise CoachkitError("--pool must be 1 or more (kernels preheated for the next pages)")
    if args.print_config:
        print(existing_hub_config(args.teams, str(runtime), report_every=args.report_every),
              end="")
        return 0
    if teams.trial_password is None:
        raise CoachkitError(f"{args.teams} has no [trial] password: coachkit hub signs people "
                            "in only for a local trial; for a hub with a real identity "
                            "provider, use coachkit hub --print-config (docs/team-server.md)")
    return start(args, teams, runtime)


def runtime_dir(given: str | None) -> Path:
    if given:
        return Path(given).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("coachkit", appauthor=False)) / "hub"


def store_location(given: str | None, password_file: str | None) -> str:
    """The store's full location (password included), from argv without a password plus the
    environment or a file."""
    from coachkit.store import default_location
    from coachkit.store.location import has_secret, is_url

    if given and has_secret(given):
        raise CoachkitError("--store must not carry a password (every user of this machine "
                            "can read argv); put it in --store-password-file, $PGPASSWORD, "
                            "or the whole URL in $COACHKIT_STORE")
    location = given or default_location()
    password = None
    if password_file:
        try:
            password = Path(password_file).read_text("utf-8").strip()
        except OSError as exc:
            raise CoachkitError(f"--store-password-file: cannot read {password_file} "
                                f"({exc.strerror})") from None
        if not password:
            raise CoachkitError(f"--store-password-file: {password_file} is empty")
    elif os.environ.get("PGPASSWORD") and not has_secret(location):
        password = os.environ["PGPASSWORD"]
    if password is None:
        return location
    if not is_url(location) or location.startswith("sqlite"):
        raise CoachkitError("a store password needs a database URL (--store "
                            "postgresql+psycopg://USER@HOST/DB); a SQLite file has none")
    if has_secret(location):
        raise CoachkitError("the store URL in $COACHKIT_STORE already has a password; give "
                            "it once")
    from sqlalchemy.engine import make_url

    return make_url(location).set(password=password).render_as_string(hide_password=False)


def check_port(ip: str, port: int) -> None:
    if exc := bind_error(port, ip):
        raise CoachkitError(f"cannot listen on {ip}:{port} ({exc.strerror}); pick another "
                            "port with --port")


def start(args: argparse.Namespace, teams: Teams, runtime: Path) -> int:
    import coachkit.hub
    from coachkit.hub.process import run_hub
    from coachkit.hub.settings import SETTINGS_VAR, HubSettings
    from coachkit.hub.storeroles import TeamRoles, is_postgres
    from coachkit.processes import not_dumpable
    from coachkit.store import ENV_VAR as STORE_VAR
    from coachkit.store import Store

    not_dumpable()  # it holds the store's URL, with its password, from here on
    location = store_location(args.store, args.store_password_file)
    # a wrong store fails here, on one line; a trial's SQLite file is made private (the
    # owner's only, a notice per file that was open to others: store.private)
    with Store(location) as store:
        name = store.name
    if is_postgres(location):
        TeamRoles(location).prepare()
    elif len(teams.teams) > 1:
        print("coachkit hub: a SQLite store has no database roles: every user's server can "
              "read every team's deals, and the app's own check is the only wall; use "
              "PostgreSQL for more than one team", file=sys.stderr)
    check_port(args.ip, args.port)
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    (runtime / "homes").mkdir(exist_ok=True)
    # a fresh hub database each start: groups are loaded from TEAMS.toml as they are now
    # (JupyterHub's load_groups only ever adds members)
    for stale in ("jupyterhub.sqlite", "jupyterhub.pid", "jupyterhub-proxy.pid"):
        (runtime / stale).unlink(missing_ok=True)
    settings = HubSettings(
        teams_file=str(Path(args.teams).resolve()), runtime=str(runtime), port=args.port,
        ip=args.ip, hub_port=free_port(), proxy_api_port=free_port(),
        reports_port=free_port(), report_every=args.report_every, python=sys.executable,
        preheated=args.preheated, app=args.app, pool=args.pool, app_port=free_port())
    settings_file = runtime / "settings.json"
    settings.write(settings_file)
    env = {**os.environ, STORE_VAR: location, SETTINGS_VAR: str(settings_file)}
    env.pop("PGPASSWORD", None)  # now in COACHKIT_STORE
    config = Path(coachkit.hub.__file__).with_name("jupyterhub_config.py")
    host = "127.0.0.1" if args.ip in ("", "0.0.0.0") else args.ip

    def running() -> None:
        print(f"coachkit hub: http://{host}:{args.port}/  (store: {name}; sign in at "
              f"/hub/login; Ctrl-C stops)", flush=True)
        if teams.admins and not teams.admin_password:
            print(f"coachkit hub: admins sign in with the password in "
                  f"{runtime / 'admin_password'}", flush=True)

    return run_hub([sys.executable, "-m", "jupyterhub", "-f", str(config)], env=env,
                   cwd=str(runtime), log=sys.stderr, on_running=running)
