"""The team server's shared app end to end (``coachkit hub --app shared``): one real hub on a
real PostgreSQL for the module, ONE coachkit app service (its proxy in front of one Voila
with a pool of preheated kernels) serving every user, real kernels and Debian's Chromium.

Users as in test_hub.py (team_store: this folder's conftest): ana sells in east, wes in
west, maria manages east, max manages east and west, adam is a hub admin."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from jupyter_client import BlockingKernelClient

from coachkit.access import USER_HEADER, identity_header
from coachkit.hub.config import SHARED_FILL_DELAY
from coachkit.store import Store
from support.attacker import attack
from support.hubprobe import (
    coachkit_face,
    cookie_of,
    environ_of,
    sellers_see_only_their_teams,
    signs_out_at_the_app,
    unix_sockets,
    websocket_answer,
)
from support.hubsecurity import (
    HUB_PROGRAMS,
    code_from_the_browser_is_not_run,
    listens_on_loopback_only,
    runtime_is_private,
    serves_the_app_only,
)
from support.hubserver import Hub, signed_in_page, team_hub

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hub")]

APP = "services/coachkit-app/"
POOL = 2
SHARED = ("coachkit.hub.appproxy", "coachkit.hub.sharedvoila")
"""The app service: its proxy (on a loopback port), its Voila (on a Unix socket)."""


@pytest.fixture(scope="module")
def hub(team_store, tmp_path_factory) -> Iterator[Hub]:
    with team_hub(team_store, tmp_path_factory.mktemp("hub-shared"),
                  extra=("--app", "shared", "--pool", str(POOL))) as running:
        yield running


def app_processes(hub: Hub) -> dict[str, list[int]]:
    """The shared app's processes: its proxy, its Voila, and its kernels."""
    found: dict[str, list[int]] = {"proxy": [], "voila": [], "kernels": []}
    for pid, argv in hub.processes().items():
        kind = ("proxy" if "-m coachkit.hub.appproxy" in argv else
                "voila" if "-m coachkit.hub.sharedvoila" in argv else
                "kernels" if "ipykernel" in argv and "coachkit-app" in _home(pid) else "")
        if kind:
            found[kind].append(pid)
    return found


def _home(pid: int) -> str:
    try:
        return environ_of(pid).get("HOME", "")
    except OSError:
        return ""


def wait_for_pool(hub: Hub) -> list[int]:
    """The app's kernels once the pool is full (and no page holds one)."""
    deadline = time.monotonic() + 300
    while True:
        kernels = app_processes(hub)["kernels"]
        if len(kernels) == POOL:
            return sorted(kernels)
        assert time.monotonic() < deadline, kernels
        time.sleep(1)


def app_page(hub: Hub, user: str, query: str = "",
             headers: dict[str, str] | None = None) -> tuple[requests.Session, str]:
    """Sign in and get the app's page: the session and the page's kernel id."""
    session, _ = hub.login(user)
    page = session.get(f"{hub.url}{APP}{query}", timeout=300, headers=headers or {})
    kernel = re.search(r'"kernelId": "([0-9a-f-]+)"', page.text)
    assert page.status_code == 200 and kernel, (page.status_code, page.url, page.text[:300])
    return session, kernel.group(1)


def page_kernel(hub: Hub, kernel: str) -> list[int]:
    """The process of the app's kernel with this id."""
    return [pid for pid, argv in hub.processes().items()
            if "ipykernel" in argv and f"kernel-{kernel}.json" in argv]


def channels(hub: Hub, kernel: str) -> str:
    return (f"{hub.url.replace('http', 'ws', 1)}{APP}api/kernels/{kernel}/channels"
            f"?session_id={uuid.uuid4()}")


def close_page(hub: Hub, session: requests.Session, kernel: str) -> str:
    """Connect to the page's kernel as its owner and leave, as a tab would."""
    return websocket_answer(channels(hub, kernel), cookie=cookie_of(session),
                            origin=hub.url.rstrip("/"))


def test_anonymous_visitors_get_the_sign_in_page_and_no_kernel(hub: Hub):
    kernels = wait_for_pool(hub)
    answer = requests.get(hub.url + APP, timeout=60)
    assert answer.status_code == 200 and "/hub/login" in answer.url
    assert 'name="password"' in answer.text
    ws = hub.url.replace("http", "ws", 1)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda url: websocket_answer(url), [
            f"{ws}{APP}", f"{ws}{APP}?deal_id=x", *(channels(hub, "0" * 8 + "-0000-0000-0000-"
                                                             + "0" * 12) for _ in range(2)),
            f"{ws}{APP}voila/query/{uuid.uuid4()}", f"{ws}{APP}api/kernels"]))
    assert answers == ["403"] * 6
    time.sleep(3)
    assert wait_for_pool(hub) == kernels  # no page rendered, no kernel taken


def test_a_seller_reaches_only_their_own_pages_kernel(hub: Hub):
    """ana cannot open wes's page kernel (its channels, its API, its shutdown), though both
    are kernels of the same app; a header naming another user changes nothing."""
    wes, wes_kernel = app_page(hub, "wes")
    ana, ana_kernel = app_page(hub, "ana", headers={
        USER_HEADER: identity_header("wes", ["coachkit-team-west"], admin=False)})
    origin = hub.url.rstrip("/")
    answers = {
        "ana -> wes channels": websocket_answer(channels(hub, wes_kernel),
                                                cookie=cookie_of(ana), origin=origin),
        "wes -> ana channels (ana claimed to be wes)": websocket_answer(
            channels(hub, ana_kernel), cookie=cookie_of(wes), origin=origin),
        "ana -> wes channels, claiming to be wes": _claiming_ws(hub, ana, wes_kernel),
    }
    assert answers == {k: "403" for k in answers}
    xsrf = next((c.value for c in ana.cookies if c.name == "_xsrf" and c.path == f"/{APP}"), "")
    for method, path in (("GET", f"api/kernels/{wes_kernel}"),
                         ("DELETE", f"api/kernels/{wes_kernel}"),
                         ("POST", f"voila/api/shutdown/{wes_kernel}")):
        answer = ana.request(method, f"{hub.url}{APP}{path}", timeout=60,
                             headers={"X-XSRFToken": xsrf})
        assert answer.status_code == 403, (method, path, answer.status_code)
    assert close_page(hub, wes, wes_kernel) == "open"  # still his, still running
    assert close_page(hub, ana, ana_kernel) == "open"


def _claiming_ws(hub: Hub, session: requests.Session, kernel: str) -> str:
    import websocket

    try:
        channel = websocket.create_connection(
            channels(hub, kernel), origin=hub.url.rstrip("/"), timeout=60,
            header=[f"Cookie: {cookie_of(session)}",
                    f"{USER_HEADER}: " + identity_header("wes", [], admin=False)])
    except websocket.WebSocketBadStatusException as exc:
        return str(exc.status_code)
    channel.close()
    return "open"


def test_pages_at_work_count_against_the_pool(hub: Hub):
    """``--pool`` is room for pages opening at once, not kernels on top of the pages at work:
    while a page is open the pool keeps POOL - 1 kernels waiting (at least one), where it
    used to start a replacement and hold POOL more; once the page is gone it grows back."""
    wait_for_pool(hub)
    session, kernel = app_page(hub, "ana")
    during: set[int] = set()
    deadline = time.monotonic() + SHARED_FILL_DELAY + 40  # past Voila's refill of the taken one
    while time.monotonic() < deadline:
        kernels = app_processes(hub)["kernels"]
        assert len(kernels) <= POOL, kernels  # her page's kernel and POOL - 1 waiting
        during = set(kernels)
        time.sleep(1)
    close_page(hub, session, kernel)
    deadline = time.monotonic() + 300
    while True:  # her page's kernel gone, and a new one waiting in its place
        kernels = app_processes(hub)["kernels"]
        if len(kernels) == POOL and set(kernels) != during:
            break
        assert time.monotonic() < deadline, (kernels, during)
        time.sleep(1)


def test_report_links_lead_to_the_shared_app(hub: Hub):
    maria, _ = hub.login("maria")
    answer = maria.get(f"{hub.url}hub/user-redirect/?deal_id=abc", allow_redirects=False,
                       timeout=60)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/{APP}?deal_id=abc"
    home = maria.get(f"{hub.url}hub/home", timeout=60)
    assert f'href="/{APP}"' in home.text and "hub/spawn" not in home.text


def test_no_user_can_start_a_server_of_their_own(hub: Hub):
    """With the shared app nobody has a server: /hub/spawn typed by hand, the hub's API
    and a user's URL start none (each would cost a per-user server's memory)."""
    ana, _ = hub.login("ana")
    before = set(hub.processes())
    spawn = ana.get(f"{hub.url}hub/spawn", allow_redirects=False, timeout=60)
    assert spawn.status_code == 403
    xsrf = ana.cookies.get("_xsrf", "")
    api = ana.post(f"{hub.url}hub/api/users/ana/server", timeout=60,
                   headers={"X-XSRFToken": xsrf, "Referer": f"{hub.url}hub/home"})
    assert api.status_code == 403
    own = ana.get(f"{hub.url}user/ana/", timeout=60)
    assert "/user/ana/" not in own.url or own.status_code >= 400
    time.sleep(3)
    started = {pid: argv for pid, argv in hub.processes().items()
               if pid not in before and "coachkit.hub.userproxy" in argv}
    assert not started, started
    assert ana.get(f"{hub.url}hub/home", timeout=60).status_code == 200


# -- the checks a user's server passes (support.hubsecurity) -------------------------------


def test_runtime_files_are_private_and_no_secret_is_in_argv_or_logs(hub: Hub, team_store):
    ana, kernel = app_page(hub, "ana")
    (pid,) = page_kernel(hub, kernel)
    page = json.loads(run_in_kernel(pid, "import os, json; print(json.dumps(dict(os.environ)))"))
    try:
        runtime_is_private(hub, team_store, HUB_PROGRAMS + SHARED, page["COACHKIT_PAGE_STORE"])
    finally:
        close_page(hub, ana, kernel)


def test_the_app_service_serves_the_app_only(hub: Hub):
    ana, kernel = app_page(hub, "ana")
    try:
        serves_the_app_only(hub, ana, APP)
    finally:
        close_page(hub, ana, kernel)


def test_the_apps_own_logout_is_the_hubs(hub: Hub):
    session, _ = hub.login("ana")
    signs_out_at_the_app(hub, session, APP)


def test_code_sent_from_the_browser_is_not_run(hub: Hub, tmp_path: Path):
    ana, kernel = app_page(hub, "ana")
    code_from_the_browser_is_not_run(hub, ana, APP, kernel, tmp_path)


def test_every_listening_socket_is_on_loopback(hub: Hub):
    wait_for_pool(hub)  # the app's kernels are there too
    listens_on_loopback_only(hub, serving=(*HUB_PROGRAMS, SHARED[0]), unix_only=SHARED[1:])


# -- in the browser --------------------------------------------------------------------------


@pytest.mark.browser
def test_sellers_see_only_their_teams_deals(browser, hub: Hub, team_store):
    sellers_see_only_their_teams(browser, hub, team_store, APP)


@pytest.mark.browser
def test_a_manager_and_a_seller_sign_in_through_coachkit_pages(browser, hub: Hub):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{hub.url}hub/login")
        assert "Sign in to coachkit" in coachkit_face(page)
        page.fill("input[name=username]", "maria")
        page.fill("input[name=password]", hub.password)
        page.click("input[type=submit]")
        page.wait_for_selector(".ck-deal-list select", timeout=300_000)
        assert page.url == f"{hub.url}{APP}"  # no server of her own to wait for
        who = page.locator(".ck-who")
        assert "Signed in as maria" in who.inner_text()
        assert who.locator("a.ck-reports").get_attribute("href") == "/services/coachkit-reports/"
        assert who.locator("a.ck-sign-out").get_attribute("href") == "/hub/logout"
        page.goto(f"{hub.url}hub/home")
        assert "Open your workbook" in coachkit_face(page)
        page.click("#start")
        page.wait_for_selector(".ck-who a.ck-sign-out", timeout=300_000)
        assert page.url == f"{hub.url}{APP}"
        page.click(".ck-who a.ck-sign-out")
        page.wait_for_selector("text=Sign in to coachkit", timeout=60_000)
        page.goto(f"{hub.url}{APP}")  # signed out: the app asks to sign in again
        page.wait_for_selector("text=Sign in to coachkit", timeout=60_000)
    finally:
        context.close()
    context, page = signed_in_page(browser, hub, "ana")
    try:
        assert page.locator(".ck-who a.ck-reports").count() == 0
        page.click(".ck-who a.ck-sign-out")
        page.wait_for_selector("text=Sign in to coachkit", timeout=60_000)
    finally:
        context.close()


@pytest.mark.browser
def test_saves_are_recorded_as_the_hub_user(browser, hub: Hub, team_store):
    context, page = signed_in_page(browser, hub, "ana")
    try:
        assert page.eval_on_selector(".ck-new-team select",
                                     "el => [...el.options].map(o => o.value)") == ["east"]
        page.fill(".ck-new-customer input", "Shared App Customer")
        page.fill(".ck-new-title input", "Fewer late deliveries")
        page.locator(".ck-create").click()
        page.wait_for_selector(".ck-status:has-text('New deal saved')", timeout=120_000)
        with Store(str(team_store["url"])) as store:
            (created,) = [d for d in store.list_deals() if d.customer == "Shared App Customer"]
            assert created.team == "east" and created.updated_by == "ana"
            assert {v.author for v in store.history(created.id)} == {"ana"}
    finally:
        context.close()


# -- the second wall, as an attacker in ana's kernel would try it ---------------------------


def run_in_kernel(pid: int, code: str) -> str:
    """Run ``code`` in a kernel straight over its own sockets (past Voila's filter, on
    purpose, as code already running in it would); returns what it printed."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    connection = argv[argv.index(b"-f") + 1].decode()
    client = BlockingKernelClient(connection_file=connection)
    client.load_connection_file()
    client.start_channels()
    out: list[str] = []
    try:
        client.wait_for_ready(timeout=60)
        client.execute_interactive(code, timeout=60, output_hook=lambda msg: out.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
    finally:
        client.stop_channels()
    return "".join(out)


PROBE = r"""
import json, os, socket, sys
pids, path, kernel = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
seen = {}
for pid in pids:
    for part in ("environ", "mem"):
        try:
            with open(f"/proc/{pid}/{part}", "rb") as f:
                f.read(1)
            seen[f"{pid} {part}"] = "read"
        except OSError as exc:
            seen[f"{pid} {part}"] = type(exc).__name__
claim = json.dumps({"name": "wes", "groups": ["coachkit-team-west"], "admin": False})
for name, target in (("page", "/services/coachkit-app/"),
                     ("kernels", "/services/coachkit-app/api/kernels/x")):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(path)
        sock.sendall((f"GET {target} HTTP/1.1\r\nHost: localhost\r\n"
                      f"X-Coachkit-User: {claim}\r\nConnection: close\r\n\r\n").encode())
        seen[f"socket {name}"] = sock.recv(4096).split(b"\r\n", 1)[0].decode()
print(json.dumps(seen))
"""


def without_capabilities() -> list[str]:
    """A command prefix running a process as this Unix user with no capabilities: a kernel
    of the same user, as a non-root hub runs it (root's CAP_SYS_PTRACE reads everything).
    Under root, the app's processes keep root's capabilities, which alone keep such a probe
    out; :func:`test_a_non_dumpable_process_is_unreadable_to_its_own_user` shows the flag
    itself doing it between processes of equal rights."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("setpriv (util-linux) is needed to drop root's capabilities")
    return [setpriv, "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--"]


def test_code_in_a_sellers_kernel_reaches_no_other_team_and_no_service_secret(
        hub: Hub, team_store):
    """As if code ran in ana's page kernel: its environment holds no store URL and no hub
    token; the store URL it received with its page is her own role's, which PostgreSQL
    confines to east's deals; the app's own processes (which hold the store's URL) cannot be
    read by another process of the same user; and Voila's socket, which kernels reach, does
    not believe a user named in a header from anyone but the app's proxy."""
    ana, kernel = app_page(hub, "ana")
    app = app_processes(hub)
    (pid,) = page_kernel(hub, kernel)
    password = str(team_store["password"])
    started_with = environ_of(pid)
    assert "COACHKIT_STORE" not in started_with and "JUPYTERHUB_API_TOKEN" not in started_with
    assert password not in "\0".join(started_with.values())
    # the pooled kernels that have no page yet hold no store URL at all
    for other in app["kernels"]:
        assert not [v for v in environ_of(other).values() if "postgresql" in v]
    now = json.loads(run_in_kernel(pid, "import os, json; print(json.dumps(dict(os.environ)))"))
    assert "COACHKIT_STORE" not in now and "JUPYTERHUB_API_TOKEN" not in now
    assert password not in json.dumps(now)
    east, west = team_store["teams"]["east"], team_store["teams"]["west"]
    seen = attack(now["COACHKIT_PAGE_STORE"], west, east, env=now)
    assert set(seen["deals"]) >= set(east) and not set(seen["deals"]) & set(west), seen
    assert seen["versions"] == seen["reviews"] == seen["conflicts"] == 0 and seen["updated"] == 0
    refused = {k: v for k, v in seen.items() if isinstance(v, str)}
    assert len(refused) == 9 and all(v.startswith("refused") for v in refused.values()), seen

    (socket_path,) = unix_sockets(set(app["voila"]))  # kernels reach it: they must
    probe = subprocess.run([*without_capabilities(), sys.executable, "-c", PROBE,
                            json.dumps(app["proxy"] + app["voila"]), socket_path, str(pid)],
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-2000:]
    found = json.loads(probe.stdout)
    assert found.pop("socket page").split(" ")[1] == "403", found
    assert found.pop("socket kernels").split(" ")[1] == "403", found
    assert found and all(v == "PermissionError" for v in found.values()), found
    with Store(str(team_store["url"])) as store:
        assert {d.id: d.team for d in store.list_deals() if d.id in west} == {
            i: "west" for i in west}
    assert close_page(hub, ana, kernel) == "open"


SLEEPER = """
import sys, time
if sys.argv[1] == "hidden":
    from coachkit.processes import not_dumpable
    not_dumpable()
print("ready", flush=True)
time.sleep(120)
"""
READER = """
import json, sys
seen = {}
for name, pid in json.loads(sys.argv[1]).items():
    for part in ("environ", "mem"):
        try:
            with open(f"/proc/{pid}/{part}", "rb") as f:
                f.read(1) if part == "environ" else None
            seen[f"{name} {part}"] = "read"
        except OSError as exc:
            seen[f"{name} {part}"] = type(exc).__name__
print(json.dumps(seen))
"""


def test_a_non_dumpable_process_is_unreadable_to_its_own_user():
    """What the app's proxy and Voila do at start (coachkit.processes.not_dumpable): another
    process of the same user and rights (code in a kernel) then reads neither their
    environment (the store's URL) nor their memory, while it reads its twin's."""
    prefix = without_capabilities()
    env = {**os.environ, "COACHKIT_PROBE_SECRET": "s3cret"}
    twins = {name: subprocess.Popen([*prefix, sys.executable, "-c", SLEEPER, name], env=env,
                                    stdout=subprocess.PIPE, text=True)
             for name in ("hidden", "plain")}
    try:
        for proc in twins.values():
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        pids = {name: proc.pid for name, proc in twins.items()}
        if prefix:  # setpriv execs the Python it runs: same pid
            assert all("python" in Path(f"/proc/{p}/cmdline").read_text() for p in pids.values())
        read = subprocess.run([*prefix, sys.executable, "-c", READER, json.dumps(pids)],
                              capture_output=True, text=True, timeout=60)
        assert read.returncode == 0, read.stderr[-2000:]
        assert json.loads(read.stdout) == {
            "hidden environ": "PermissionError", "hidden mem": "PermissionError",
            "plain environ": "read", "plain mem": "read"}
    finally:
        for proc in twins.values():
            proc.kill()
            proc.wait()

