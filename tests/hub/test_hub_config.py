"""The team server's configuration, without starting it: TEAMS.toml, the hub configuration
``coachkit hub`` loads (through JupyterHub's own config loader), ``--print-config`` for an
existing hub, the store password's ways in, and the Kubernetes files in deploy/k8s/."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

import coachkit.hub
from coachkit.errors import CoachkitError
from coachkit.hub.config import (
    PROXY_TIMEOUT_MS,
    server_token_scopes,
    shared_app_command,
    user_server_command,
)
from coachkit.hub.settings import SETTINGS_VAR, HubSettings
from coachkit.hub.teams import load_teams, parse_teams
from coachkit.store import Store
from coachkit.training.demo import demo_deals
from support.helpers import REPO, TODAY
from support.hubserver import run_as

ROOT = REPO
K8S = ROOT / "deploy" / "k8s"
TEAMS = """\
admins = ["adam"]
[teams.east]
sellers = ["ana", "ben"]
managers = ["maria"]
[teams.west]
sellers = ["wes"]
managers = ["walt", "maria"]
[trial]
password = "trial-password"
"""


@pytest.fixture
def teams_file(tmp_path: Path) -> Path:
    path = tmp_path / "teams.toml"
    path.write_text(TEAMS)
    return path


def test_teams_become_hub_groups(teams_file: Path):
    teams = load_teams(teams_file)
    assert teams.groups() == {
        "coachkit-team-east": {"users": ["ana", "ben"]},
        "coachkit-managers-east": {"users": ["maria"]},
        "coachkit-team-west": {"users": ["wes"]},
        "coachkit-managers-west": {"users": ["maria", "walt"]},
    }
    assert teams.users == {"ana", "ben", "maria", "wes", "walt", "adam"}
    assert teams.trial_password == "trial-password"
    shipped = load_teams(ROOT / "examples" / "teams.toml")
    assert set(shipped.teams) == {"emea-industry", "nordics-services"}  # the demo deals' teams
    assert shipped.trial_password


@pytest.mark.parametrize(("data", "says"), [
    ({}, "no [teams.NAME] table"),
    ({"teams": {"east": {"sellers": ["ana"]}}, "trail": {}}, "unknown key 'trail'"),
    ({"teams": {"east west": {}}}, "team name 'east west' must be"),
    ({"teams": {"east": {"seller": ["ana"]}}}, "teams.east: unknown key 'seller'"),
    ({"teams": {"east": {"sellers": "ana"}}}, "teams.east.sellers must be a list"),
    ({"teams": {"east": {"sellers": ["Ana Smith"]}}}, "'Ana Smith' is not a hub user name"),
    ({"teams": {"east": {}}, "trial": {"password": "short"}}, "8 characters or more"),
    ({"teams": {"east": {}}, "trial": {"password": "long enough", "admin_password": "x"}},
     "32 characters or more"),
])
def test_a_wrong_teams_file_is_one_line(data, says):
    with pytest.raises(CoachkitError) as error:
        parse_teams(data, "t.toml")
    assert says in str(error.value) and "\n" not in str(error.value)
    assert str(error.value).startswith("t.toml: ")


def test_a_missing_or_broken_teams_file_is_one_line(cli, tmp_path: Path):
    result = cli("hub", "--teams", str(tmp_path / "none.toml"))
    assert result.code == 1 and "no such file" in result.err
    (tmp_path / "bad.toml").write_text("[teams.east\n")
    result = cli("hub", "--teams", str(tmp_path / "bad.toml"))
    assert result.code == 1 and "not valid TOML" in result.err and result.err.count("\n") == 1


def load_hub_config(settings: HubSettings, tmp_path: Path, monkeypatch, store: str) -> Config:
    """The shipped jupyterhub_config.py as JupyterHub loads it."""
    settings_file = tmp_path / "settings.json"
    settings.write(settings_file)
    monkeypatch.setenv(SETTINGS_VAR, str(settings_file))
    monkeypatch.setenv("COACHKIT_STORE", store)
    path = Path(coachkit.hub.__file__).with_name("jupyterhub_config.py")
    return PyFileConfigLoader(path.name, str(path.parent)).load_config()


def test_the_local_hub_is_on_loopback_with_private_files(teams_file, tmp_path, monkeypatch):
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    store = "postgresql+psycopg://coachkit:s3cret-pw@db.example:5432/coachkit"
    c = load_hub_config(HubSettings(str(teams_file), str(runtime), port=8000, hub_port=8101,
                                    proxy_api_port=8102, reports_port=8103, app="per-user"),
                        tmp_path, monkeypatch, store)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert c.JupyterHub.hub_bind_url == "http://127.0.0.1:8101"
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8102"
    assert c.Spawner.ip == "127.0.0.1"
    assert c.JupyterHub.services[1]["url"] == "http://127.0.0.1:8103"
    # the proxy's token is in a 0600 file and reaches the proxy in its environment
    token = (runtime / "proxy_auth_token").read_text()
    assert stat.S_IMODE((runtime / "proxy_auth_token").stat().st_mode) == 0o600
    assert c.ConfigurableHTTPProxy.auth_token == token
    assert f"--proxy-timeout={PROXY_TIMEOUT_MS}" in c.ConfigurableHTTPProxy.command
    assert token not in " ".join(c.ConfigurableHTTPProxy.command)
    # the store's URL: in the reports service's environment only; a user's server gets a
    # URL for its own database role, made when it starts (coachkit.hub.storeroles)
    assert "COACHKIT_STORE" not in os.environ  # taken out of the hub's (the proxy's) own
    assert "COACHKIT_STORE" not in c.Spawner.environment
    assert c.Spawner.pre_spawn_hook.__qualname__.startswith("user_store_hook")
    assert c.Spawner.post_stop_hook.__qualname__.startswith("user_store_stop_hook")
    reports = c.JupyterHub.services[1]
    assert reports["environment"]["COACHKIT_STORE"] == store
    argv = [*c.Spawner.cmd, *(a for s in c.JupyterHub.services for a in s["command"])]
    assert not [a for a in argv if "s3cret" in a]
    # sign-in: the trial password, only the listed users, groups from TEAMS.toml
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.SharedPasswordAuthenticator.user_password == "trial-password"
    assert c.Authenticator.allowed_users == {"ana", "ben", "maria", "wes", "walt", "adam"}
    assert c.Authenticator.allow_existing_users is False
    assert c.Authenticator.admin_users == {"adam"}
    assert len(c.SharedPasswordAuthenticator.admin_password) >= 32
    assert stat.S_IMODE((runtime / "admin_password").stat().st_mode) == 0o600
    assert c.JupyterHub.load_groups == load_teams(teams_file).groups()
    assert c.JupyterHub.db_url == f"sqlite:///{runtime / 'jupyterhub.sqlite'}"
    assert c.JupyterHub.cookie_secret_file == str(runtime / "jupyterhub_cookie_secret")


def test_user_servers_run_the_app_only(teams_file, tmp_path, monkeypatch):
    c = load_hub_config(HubSettings(str(teams_file), str(tmp_path), app="per-user"), tmp_path,
                        monkeypatch, str(tmp_path / "store.db"))
    command = c.Spawner.cmd
    assert command == user_server_command(kernel_idle=900)
    # the user's proxy checks the hub's sign-in on websockets too, and reaches Voila over a
    # Unix socket in a new 0700 folder: Voila opens no TCP port
    assert command[1:3] == ["-m", "coachkit.hub.userproxy"]
    assert "--unix-socket=True" in command[:command.index("--")]
    voila = command[command.index("--") + 1:]
    assert voila[1:3] == ["-m", "coachkit.hub.uservoila"] and voila[3].endswith("/coachkit.ipynb")
    assert Path(voila[3]).is_file()
    assert not any(arg.startswith(("--port", "--Voila.ip", "--Voila.port")) for arg in voila)
    assert {"--preheat_kernel=True", "--pool_size=1", "--HubVoila.unix_socket={unix_socket}",
            "--VoilaConfiguration.show_tracebacks=False",
            # the hub signs users in and its proxy passes the public host name
            "--CoachkitVoila.require_token=False", "--CoachkitVoila.check_host=False"} <= set(voila)
    # the default server role's scopes kept, plus the user's own groups
    assert c.Spawner.server_token_scopes == [
        "users:activity!user", "access:servers!server", "read:users:groups!user"]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["user"]["scopes"] == ["self", "access:services!service=coachkit-reports"]
    assert set(roles["idle-culler"]["scopes"]) == {
        "list:users", "read:users:activity", "read:servers", "delete:servers"}
    culler, reports = c.JupyterHub.services
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert reports["command"][1:] == ["-m", "coachkit.hub.reports"]
    assert reports["oauth_no_confirm"] is True
    assert reports["environment"]["COACHKIT_REPORTS_TEAMS"] == "east,west"
    # coachkit's face on the hub's pages, the wait page shown at once
    (folder,) = c.JupyterHub.template_paths
    assert {p.name for p in Path(folder).iterdir()} >= {
        "page.html", "login.html", "spawn_pending.html", "error.html", "not_running.html"}
    assert c.JupyterHub.tornado_settings["slow_spawn_timeout"] == 0


def test_no_preheated_kernel_when_asked(teams_file, tmp_path, monkeypatch):
    """``--preheated 0``: the lighter server of docs/team-server.md (no kernel waits)."""
    c = load_hub_config(HubSettings(str(teams_file), str(tmp_path), preheated=0,
                                    app="per-user"), tmp_path, monkeypatch,
                        str(tmp_path / "store.db"))
    voila = c.Spawner.cmd[c.Spawner.cmd.index("--") + 1:]
    assert {"--preheat_kernel=False", "--pool_size=0"} <= set(voila)
    assert "--pool_size=1" not in voila


def test_print_config_for_an_existing_hub(cli, teams_file, tmp_path, monkeypatch):
    result = cli("hub", "--teams", str(teams_file), "--print-config",
                 "--runtime-dir", str(tmp_path / "rt"), "--report-every", "30")
    assert result.code == 0, result.err
    assert "coachkit hub --print-config" in result.out
    monkeypatch.setenv("COACHKIT_STORE", "postgresql+psycopg://coachkit@db/coachkit")
    config_file = tmp_path / "jupyterhub_config.py"
    config_file.write_text(result.out)
    c = PyFileConfigLoader(config_file.name, str(tmp_path)).load_config()
    # sign-in, network and spawner class stay the existing hub's
    assert "authenticator_class" not in c.JupyterHub and "bind_url" not in c.JupyterHub
    assert "spawner_class" not in c.JupyterHub
    assert c.Spawner.cmd == user_server_command()
    # user servers get a role of their own at each start, the reports service the store
    assert "COACHKIT_STORE" not in c.Spawner.environment and c.Spawner.pre_spawn_hook
    assert c.JupyterHub.services[1]["environment"]["COACHKIT_STORE"] == (
        "postgresql+psycopg://coachkit@db/coachkit")
    assert c.Spawner.server_token_scopes == server_token_scopes()
    assert c.JupyterHub.load_groups == load_teams(teams_file).groups()
    assert c.JupyterHub.services[1]["environment"]["COACHKIT_REPORTS_EVERY"] == "30.0"


def test_the_trial_needs_its_password_and_argv_never_carries_one(cli, tmp_path):
    idp = tmp_path / "idp.toml"
    idp.write_text("[teams.east]\nsellers = [\"ana\"]\n")
    result = cli("hub", "--teams", str(idp))
    assert result.code == 1 and "--print-config" in result.err
    teams = tmp_path / "teams.toml"
    teams.write_text(TEAMS)
    result = cli("hub", "--teams", str(teams), "--store",
                 "postgresql+psycopg://coachkit:hunter22@127.0.0.1/db")
    assert result.code == 1 and "must not carry a password" in result.err
    assert "hunter22" not in result.err
    empty = tmp_path / "pw"
    empty.write_text("\n")
    result = cli("hub", "--teams", str(teams), "--store", "postgresql+psycopg://c@h/db",
                 "--store-password-file", str(empty))
    assert result.code == 1 and "is empty" in result.err
    result = cli("hub", "--teams", str(teams), "--store", str(tmp_path / "s.db"),
                 "--store-password-file", str(teams))
    assert result.code == 1 and "a SQLite file has none" in result.err


def test_a_password_from_a_file_or_pgpassword_joins_the_url(tmp_path, monkeypatch):
    from sqlalchemy.engine import make_url

    from coachkit.cli.hub import store_location
    from coachkit.store.sql import display

    secret = tmp_path / "pw"
    secret.write_text("p@ss word/1\n")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    url = store_location("postgresql+psycopg://coachkit@127.0.0.1:5432/db", str(secret))
    assert make_url(url).password == "p@ss word/1" and make_url(url).host == "127.0.0.1"
    assert display(url) == "postgresql+psycopg://coachkit:***@127.0.0.1:5432/db"
    monkeypatch.setenv("PGPASSWORD", "from-env")
    assert store_location("postgresql+psycopg://coachkit@h/db", None) == \
        "postgresql+psycopg://coachkit:from-env@h/db"
    monkeypatch.setenv("COACHKIT_STORE", "postgresql+psycopg://coachkit:whole@h/db")
    assert store_location(None, None) == "postgresql+psycopg://coachkit:whole@h/db"


# -- Kubernetes (zero-to-jupyterhub) ---------------------------------------------------------


def test_the_kubernetes_values_match_the_hub_config():
    values = yaml.safe_load((K8S / "values.yaml").read_text())
    image_python = re.search(r"^FROM python:(\d+\.\d+)", (K8S / "Dockerfile.user").read_text(),
                             re.M)
    assert image_python
    workbooks = f"/usr/local/lib/python{image_python.group(1)}/site-packages/coachkit/workbooks"
    assert values["singleuser"]["cmd"] == user_server_command("python3", workbooks=workbooks)
    assert '"/src/coachkit[hub,postgres]"' in (K8S / "Dockerfile.user").read_text()
    hub = values["hub"]
    assert hub["config"]["KubeSpawner"]["server_token_scopes"] == server_token_scopes()
    assert hub["config"]["GenericOAuthenticator"]["manage_groups"] is True
    assert hub["loadRoles"]["user"]["scopes"] == [
        "self", "access:services!service=coachkit-reports"]
    reports = hub["services"]["coachkit-reports"]
    assert reports["command"] == ["python3", "-m", "coachkit.hub.reports"]
    assert reports["oauth_no_confirm"] is True
    assert {"COACHKIT_REPORTS_DIR", "COACHKIT_REPORTS_TEAMS", "COACHKIT_REPORTS_EVERY",
            "COACHKIT_REPORTS_BIND"} <= set(reports["environment"])
    port = int(reports["url"].rsplit(":", 1)[1])
    assert {"name": "coachkit-reports", "port": port, "targetPort": port} in \
        hub["service"]["extraPorts"]
    assert "coachkit" in (K8S / "Dockerfile.hub").read_text()
    # the store's URL only ever comes from a Secret
    assert hub["extraEnv"]["COACHKIT_STORE"] == {
        "valueFrom": {"secretKeyRef": {"name": "coachkit-store", "key": "url"}}}
    # user pods never get the store's URL: the hub makes each a role of its own
    assert "COACHKIT_STORE" not in values["singleuser"].get("extraEnv", {})
    roles = hub["extraConfig"]["coachkit-store-roles"]
    assert "c.KubeSpawner.pre_spawn_hook = user_store_hook(" in roles
    assert "c.KubeSpawner.post_stop_hook = user_store_stop_hook(" in roles
    compile(roles, "extraConfig", "exec")
    assert "COACHKIT_STORE" in hub["extraConfig"]["coachkit-reports-store"]
    assert "configure_face(c)" in hub["extraConfig"]["coachkit-face"]
    compile(hub["extraConfig"]["coachkit-face"], "extraConfig", "exec")
    compile(hub["extraConfig"]["coachkit-reports-store"], "extraConfig", "exec")
    assert f"--proxy-timeout={PROXY_TIMEOUT_MS}" in values["proxy"]["chp"][
        "extraCommandLineFlags"]
    assert values["cull"]["enabled"] is True and values["singleuser"]["storage"]["type"] == "none"
    assert not re.search(r"(?i)password\s*:\s*\S", (K8S / "values.yaml").read_text())


# -- the trial's SQLite store: its owner's only (issue 18) --------------------------------

READ_AS_OTHER = """\
import json, sys
seen = {}
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            seen[path] = f"read {len(f.read())} bytes"
    except OSError as exc:
        seen[path] = type(exc).__name__
print(json.dumps(seen))
"""


def stopped_after_the_store(cli, teams_file: Path, tmp_path: Path, store: Path):
    """``coachkit hub`` on a port already taken: it stops right after opening its store."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("hub", "--teams", str(teams_file), "--store", str(store),
                     "--port", str(taken.getsockname()[1]),
                     "--runtime-dir", str(tmp_path / "runtime"))
    assert result.code == 1 and "cannot listen on" in result.err, result.err
    return result


def test_the_trial_store_is_made_private(cli, teams_file, tmp_path, other_user):
    """Another Unix user cannot read the SQLite store, its WAL or its shared memory."""
    tmp_path.chmod(0o755)  # as a home folder may be
    store = tmp_path / "trial" / "team.db"
    result = stopped_after_the_store(cli, teams_file, tmp_path, store)
    assert "made it private" not in result.err  # nothing was there to tighten
    # two teams on SQLite: the trial says that the app's check is its only wall
    assert "a SQLite store has no database roles" in result.err
    with Store(str(store)) as opened:  # as the app's kernels write into it
        opened.put(demo_deals(TODAY)[0], author="ana")
        files = [store, store.with_name("team.db-wal"), store.with_name("team.db-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
            f.name: 0o600 for f in files}
        assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700
        store.parent.chmod(0o755)  # even in an open folder, the files stay closed
        seen = json.loads(run_as(other_user, READ_AS_OTHER, *map(str, files)).stdout)
    assert seen == {str(f): "PermissionError" for f in files}


def test_an_existing_trial_store_is_tightened_with_one_line(cli, teams_file, tmp_path,
                                                             other_user):
    tmp_path.chmod(0o755)
    store = tmp_path / "team.db"
    with Store(str(store)) as opened:
        opened.put(demo_deals(TODAY)[0], author="ana")
        files = [store, store.with_name("team.db-wal"), store.with_name("team.db-shm")]
        for f in files:
            f.chmod(0o644)  # as made before this fix, under umask 022
        result = stopped_after_the_store(cli, teams_file, tmp_path, store)
        notice = [line for line in result.err.splitlines() if "made it private" in line]
        # one line for each file that was open to others, naming it
        assert sorted(notice) == sorted(next(line for line in notice if f"{f} was" in line)
                                        for f in files), result.err
        seen = json.loads(run_as(other_user, READ_AS_OTHER, *map(str, files)).stdout)
        assert opened.get(demo_deals(TODAY)[0].id).author == "ana"  # still the same store
    assert seen == {str(f): "PermissionError" for f in files}


def test_the_shared_app_is_one_hub_service(teams_file, tmp_path, monkeypatch):
    """``--app shared``: one app service (its proxy naming the signed-in user, one Voila with
    a pool) that every team member may open; signing in, the hub's pages and report links
    lead to it; it alone (besides the reports) holds the store's URL, to make users' roles."""
    store = "postgresql+psycopg://coachkit:s3cret-pw@db.example:5432/coachkit"
    c = load_hub_config(HubSettings(str(teams_file), str(tmp_path), app="shared", pool=3,
                                    app_port=8110), tmp_path, monkeypatch, store)
    services = {s["name"]: s for s in c.JupyterHub.services}
    app = services["coachkit-app"]
    assert app["url"] == "http://127.0.0.1:8110" and app["oauth_no_confirm"] is True
    assert app["command"] == shared_app_command(kernel_idle=900, pool=3)
    proxy, voila = app["command"][:app["command"].index("--")], \
        app["command"][app["command"].index("--") + 1:]
    assert proxy[1:3] == ["-m", "coachkit.hub.appproxy"] and "--unix-socket=True" in proxy
    assert voila[1:3] == ["-m", "coachkit.hub.sharedvoila"]
    assert {"--preheat_kernel=True", "--pool_size=3", "--CoachkitVoila.max_pages=6"} <= set(voila)
    assert app["environment"]["COACHKIT_STORE"] == store
    assert not [a for a in app["command"] if "s3cret" in a]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    # no user servers, so no idle culler of them (it polled the hub for nothing)
    assert set(services) == {"coachkit-app", "coachkit-reports"} and set(roles) == {"user"}
    # no "self": it holds "servers", and a server of one's own (via /hub/spawn) is not served
    assert roles["user"]["scopes"] == ["read:users!user", "users:activity!user", "tokens!user",
                                       "access:services!service=coachkit-reports",
                                       "access:services!service=coachkit-app"]
    assert services["coachkit-reports"]["environment"]["COACHKIT_APP_PATH"] == \
        "services/coachkit-app/"
    assert c.JupyterHub.template_vars == {"workbook_path": "services/coachkit-app/"}

    class Handler:
        base_url = "/"

    class Request:
        query = "deal_id=d-1"

    assert c.JupyterHub.default_url(Handler()) == "/services/coachkit-app/"
    assert c.JupyterHub.user_redirect_hook("", Request(), None, "/") == \
        "/services/coachkit-app/?deal_id=d-1"
    # the shared app is the default of coachkit hub (one machine)
    default = HubSettings(str(teams_file), str(tmp_path))
    assert default.app == "shared"


def test_the_shared_apps_command_sets_each_option_once():
    """traitlets refuses an option given twice on the command line (the app did not start)."""
    voila = shared_app_command()[shared_app_command().index("--") + 1:]
    names = [a.split("=", 1)[0] for a in voila if a.startswith("--")]
    assert len(names) == len(set(names)), names
