"""The team server end to end: a real ``coachkit hub`` (JupyterHub, its proxy, the idle
culler, the reports service) on a real PostgreSQL, real user servers (standalone Voila behind
jupyter-standaloneproxy) and Debian's Chromium.

Users: ana sells in east, wes in west, maria manages east, max manages east and west, adam
is a hub admin; and an anonymous visitor. Two user servers are started in the whole module
(ana's and wes's): each cold start costs ~20 CPU-seconds on this machine."""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from coachkit.store import Store
from support.helpers import REPO
from support.hubprobe import (
    coachkit_face,
    cookie_of,
    environ_of,
    listening,
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
from support.hubserver import REPORTS, SOCKETS_SEEN, Hub, run_as, signed_in_page, wait_for_reports

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hub")]


def open_server(hub: Hub, user: str) -> requests.Session:
    """Sign in and wait until the user's server answers with the app page."""
    return served_page(hub, user)[0]


def served_page(hub: Hub, user: str) -> tuple[requests.Session, str]:
    """Sign in, wait until the user's server answers with the app page; the session and the
    kernel id of that page (as the page's source shows it)."""
    session, _ = hub.login(user)
    session.get(f"{hub.url}hub/spawn", timeout=60)  # what the sign-in would lead to
    deadline = time.monotonic() + 300
    while True:
        page = session.get(f"{hub.url}user/{user}/", timeout=300)
        kernel = re.search(r'"kernelId": "([0-9a-f-]+)"', page.text)
        if page.status_code == 200 and "/spawn-pending/" not in page.url \
                and "coachkit" in page.text and kernel:
            return session, kernel.group(1)
        assert time.monotonic() < deadline, (page.status_code, page.url)
        time.sleep(2)


# -- the reports service ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(hub: Hub):
    for path in (REPORTS, f"{REPORTS}teams/east/", "user/ana/", "hub/home"):
        answer = requests.get(hub.url + path, timeout=60)
        assert answer.status_code == 200 and "/hub/login" in answer.url, path
        assert 'name="password"' in answer.text


def test_the_reports_index_lists_exactly_the_teams_a_user_manages(hub: Hub, team_store):
    maria, _ = hub.login("maria")
    index = wait_for_reports(hub, maria, ["east"])
    assert re.findall(r"data-team='([^']+)'", index) == ["east"]
    max_, _ = hub.login("max")
    index = wait_for_reports(hub, max_, ["east", "west"])
    assert re.findall(r"data-team='([^']+)'", index) == ["east", "west"]
    assert re.search(r"class='rendered'>\d{4}-\d\d-\d\d \d\d:\d\d UTC<", index)
    adam, _ = hub.login("adam")
    assert re.findall(r"data-team='([^']+)'", adam.get(hub.url + REPORTS).text) == [
        "east", "west"]
    for seller in ("ana", "wes"):
        session, _ = hub.login(seller)
        answer = session.get(hub.url + REPORTS)
        assert answer.status_code == 403 and "You manage no team" in answer.text
    assert str(team_store["password"]) not in index


def test_only_a_teams_managers_read_its_reports(hub: Hub, team_store):
    east, west = team_store["teams"]["east"], team_store["teams"]["west"]  # type: ignore[index]
    maria, _ = hub.login("maria")
    wait_for_reports(hub, maria, ["east"])
    team_report = maria.get(f"{hub.url}{REPORTS}teams/east/")
    assert team_report.status_code == 200
    linked = set(re.findall(r'href="([a-z0-9-]+)\.html"', team_report.text))
    assert linked == set(east)
    deal_report = maria.get(f"{hub.url}{REPORTS}teams/east/{east[0]}.html")
    assert deal_report.status_code == 200
    assert team_store["customers"][east[0]] in deal_report.text  # type: ignore[index]
    # maria does not manage west; wes sells in west but manages nothing; ana neither
    wes, _ = hub.login("wes")
    ana, _ = hub.login("ana")
    refused = {
        "maria west": maria.get(f"{hub.url}{REPORTS}teams/west/"),
        "maria west deal": maria.get(f"{hub.url}{REPORTS}teams/west/{west[0]}.html"),
        "maria east deal under west": maria.get(f"{hub.url}{REPORTS}teams/west/{east[0]}.html"),
        "wes west": wes.get(f"{hub.url}{REPORTS}teams/west/"),
        "wes east deal": wes.get(f"{hub.url}{REPORTS}teams/east/{east[0]}.html"),
        "ana east": ana.get(f"{hub.url}{REPORTS}teams/east/"),
        "maria unknown team": maria.get(f"{hub.url}{REPORTS}teams/north/"),
    }
    assert {k: v.status_code for k, v in refused.items()} == {k: 403 for k in refused}
    assert all(team_store["customers"][west[0]] not in v.text  # type: ignore[index]
               for v in refused.values())


def test_report_urls_cannot_leave_the_teams_folder(hub: Hub, team_store):
    max_, _ = hub.login("max")
    wait_for_reports(hub, max_, ["east", "west"])
    west = team_store["teams"]["west"][0]  # type: ignore[index]
    for path in (f"teams/east/..%2F..%2Fwest%2F{west}.html", "teams/east/%2e%2e",
                 "teams/east/..%2F..%2F..%2Fsettings.json", "teams/east/.%2Fteam-east.html",
                 "teams/east/..", f"teams/east/..%2Fwest%2F{west}.html",
                 "teams/east/%2Fetc%2Fpasswd", "teams/east/team-east.ipynb"):
        answer = max_.get(f"{hub.url}{REPORTS}{path}")
        assert answer.status_code in (403, 404), (path, answer.status_code)
        # whatever answers the refusal (the service or the hub), nothing of the west deal
        assert team_store["customers"][west] not in answer.text, path  # type: ignore[index]
    maria, _ = hub.login("maria")
    for path in ("teams/..%2Fteams%2Fwest/", "teams/east%2F..%2Fwest/",
                 f"teams/..%2Fruns/{west}.html"):
        assert maria.get(f"{hub.url}{REPORTS}{path}").status_code in (403, 404), path


# -- the runtime: loopback, private files, no secret in argv, logs or pages ----------------


PER_USER = ("coachkit.hub.userproxy", "coachkit.hub.uservoila")
"""A user's server: its proxy (on a loopback port), its Voila (on a Unix socket)."""


def test_runtime_files_are_private_and_no_secret_is_in_argv_or_logs(hub: Hub, team_store):
    open_server(hub, "ana")
    roles = set()
    for pid in users_processes(hub, "ana"):
        try:
            roles.add(environ_of(pid).get("COACHKIT_STORE"))
        except OSError:  # a kernel ended meanwhile
            continue
    (role,) = roles - {None}
    runtime_is_private(hub, team_store, HUB_PROGRAMS + PER_USER, str(role))


# -- the sellers' app -----------------------------------------------------------------------


@pytest.mark.browser
def test_sellers_see_and_open_only_their_teams_deals(browser, hub: Hub, team_store):
    sellers_see_only_their_teams(browser, hub, team_store, "user/{user}/")


@pytest.mark.browser
def test_a_new_deal_goes_to_the_sellers_team_and_saves_as_the_hub_user(browser, hub: Hub,
                                                                     team_store):
    context, page = signed_in_page(browser, hub, "ana")
    try:
        assert page.eval_on_selector(".ck-new-team select",
                                     "el => [...el.options].map(o => o.value)") == ["east"]
        page.fill(".ck-new-customer input", "Hub Test Customer")
        page.fill(".ck-new-title input", "Fewer late deliveries")
        page.locator(".ck-create").click()
        page.wait_for_selector(".ck-steps", state="visible", timeout=120_000)
        page.wait_for_selector(".ck-status:has-text('New deal saved')", timeout=60_000)
        with Store(str(team_store["url"])) as store:
            (created,) = [d for d in store.list_deals() if d.customer == "Hub Test Customer"]
            assert created.team == "east" and created.updated_by == "ana"
            # moving the deal to another team in its Team field is refused with one line
            team = page.locator(".ck-field-deal-team input")
            team.fill("west")
            team.press("Tab")
            page.wait_for_selector("text=is not one of your teams (east)", timeout=60_000)
            time.sleep(2.5)  # longer than the save delay
            assert store.team_of(created.id) == "east"
            assert {v.author for v in store.history(created.id)} == {"ana"}
    finally:
        context.close()


SHOTS = REPO / ".shots"
"""Screenshots of the coachkit pages, to look at (not committed)."""


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_a_manager_and_a_seller_sign_in_through_coachkit_pages(browser, hub: Hub):
    """maria (a manager whose workbook is not running) signs in on coachkit's page, waits on
    coachkit's steps fed by the hub's progress events, works in the app, meets coachkit's
    error page on another user's spawn page, and signs out from the app; ana (a seller) signs in
    and out the same way and gets no reports link."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{hub.url}hub/login")
        assert "Sign in to coachkit" in coachkit_face(page)
        shot(page, "sign-in")
        page.fill("input[name=username]", "maria")
        page.fill("input[name=password]", hub.password)
        page.click("input[type=submit]")
        # her server starts: the wait page at once, step 2 once the spawner reports
        page.wait_for_selector("#ck-step:has-text('step 2 of 3')", timeout=120_000)
        assert "Starting your workbook..." in coachkit_face(page)
        assert "/hub/spawn-pending/maria" in page.url
        shot(page, "starting")
        page.wait_for_selector(".ck-deal-list select", timeout=300_000)
        assert page.url == f"{hub.url}user/maria/"
        who = page.locator(".ck-who")
        assert who.locator("a.ck-reports").get_attribute("href") == "/services/coachkit-reports/"
        assert who.locator("a.ck-sign-out").get_attribute("href") == "/hub/logout"
        shot(page, "app-manager")
        # the hub's own pages keep coachkit's face: home, and an error
        page.goto(f"{hub.url}hub/home")
        assert "Open your workbook" in coachkit_face(page)
        assert page.locator("nav a.ck-nav-reports").count() == 1
        page.goto(f"{hub.url}hub/spawn/ana")  # the hub answers 404: no user is revealed
        assert "Nothing here" in coachkit_face(page)
        shot(page, "error")
        page.goto(f"{hub.url}user/maria/")
        page.wait_for_selector(".ck-who a.ck-sign-out", timeout=300_000)
        page.click(".ck-who a.ck-sign-out")
        page.wait_for_selector("text=Sign in to coachkit", timeout=60_000)
        assert "/hub/login" in page.url
        # signed out: her workbook no longer opens without signing in again
        page.goto(f"{hub.url}user/maria/")
        page.wait_for_selector("text=Sign in to coachkit", timeout=60_000)
    finally:
        context.close()
    context, page = signed_in_page(browser, hub, "ana")
    try:
        assert page.locator(".ck-who a.ck-reports").count() == 0
        page.click(".ck-who a.ck-sign-out")
        page.wait_for_selector("text=Sign in to coachkit", timeout=60_000)
        page.goto(f"{hub.url}hub/home")
        assert "/hub/login" in page.url
    finally:
        context.close()


def test_a_users_server_serves_the_app_only(hub: Hub):
    serves_the_app_only(hub, open_server(hub, "ana"), "user/ana/")


def test_the_apps_own_logout_is_the_hubs(hub: Hub):
    signs_out_at_the_app(hub, open_server(hub, "ana"), "user/ana/")


def test_code_sent_from_the_browser_is_not_run(hub: Hub, tmp_path: Path):
    ana, kernel = served_page(hub, "ana")
    code_from_the_browser_is_not_run(hub, ana, "user/ana/", kernel, tmp_path)


def test_code_run_in_a_sellers_kernel_reaches_no_other_teams_deal(hub: Hub, team_store):
    """The second wall: as if code ran in ana's kernel after all (Voila's filter bypassed on
    purpose: the attack runs with the exact environment her kernel was given), PostgreSQL
    refuses every row of west's deals, for reading and writing; no process of her server
    holds the store's own password."""
    from support.attacker import attack

    open_server(hub, "ana")
    kernels, servers = [], []
    for pid, argv in hub.processes().items():
        try:
            env = environ_of(pid)
        except OSError:
            continue
        if env.get("JUPYTERHUB_USER") == "ana":
            servers.append((argv, env))
            if "ipykernel" in argv:
                kernels.append(env)
    assert kernels and len(servers) > len(kernels)
    password = str(team_store["password"])
    for argv, env in servers:
        assert password not in argv and password not in "\0".join(env.values())
    env = kernels[0]
    east, west = team_store["teams"]["east"], team_store["teams"]["west"]  # type: ignore[index]
    seen = attack(env["COACHKIT_STORE"], west, east, env=env)
    assert set(seen["deals"]) >= set(east) and not set(seen["deals"]) & set(west), seen
    assert seen["versions"] == seen["reviews"] == seen["conflicts"] == 0 and seen["updated"] == 0
    refused = {k: v for k, v in seen.items() if isinstance(v, str)}
    assert len(refused) == 9 and all(v.startswith("refused") for v in refused.values()), seen
    with Store(str(team_store["url"])) as store:
        assert {d.id: d.team for d in store.list_deals() if d.id in west} == {
            i: "west" for i in west}
        assert "planted" not in {d.id for d in store.list_deals()}


def test_another_users_server_is_refused(hub: Hub):
    open_server(hub, "wes")
    ana, _ = hub.login("ana")
    for path in ("user/wes/", "user/wes/?deal_id=x", "user/wes/api/kernels"):
        answer = ana.get(hub.url + path, timeout=60)
        assert answer.status_code == 403, (path, answer.status_code)
    maria, _ = hub.login("maria")  # a manager of wes's team gets no way into his server
    assert maria.get(f"{hub.url}user/wes/", timeout=60).status_code == 403


def test_every_listening_socket_is_on_loopback(hub: Hub):
    open_server(hub, "ana")
    listens_on_loopback_only(hub, serving=(*HUB_PROGRAMS, PER_USER[0]),
                             unix_only=PER_USER[1:])


# -- what an anonymous client and another Unix user reach (issue 18) ------------------------


def close_page(hub: Hub, session: requests.Session, user: str, kernel: str) -> str:
    """Connect to a served page's kernel as its owner and leave, as a tab would: its kernel
    then ends after the server's grace (a page that never connects holds one of the user's
    pages for a minute). Returns what the websocket answered."""
    return websocket_answer(
        f"{hub.url.replace('http', 'ws', 1)}user/{user}/api/kernels/{kernel}/channels"
        f"?session_id={uuid.uuid4()}", cookie=cookie_of(session), origin=hub.url.rstrip("/"))


def test_a_kernel_websocket_needs_the_hub_sign_in(hub: Hub):
    """jupyter-standaloneproxy checks the sign-in on HTTP only; a kernel's channels opened
    with no cookie, or with another user's, must be refused before reaching Voila."""
    ana, kernel = served_page(hub, "ana")
    channels = (f"{hub.url.replace('http', 'ws', 1)}user/ana/api/kernels/{kernel}/channels"
                f"?session_id={uuid.uuid4()}")
    wes, _ = hub.login("wes")
    answers = {
        "no cookie": websocket_answer(channels),
        "no cookie, the hub's origin": websocket_answer(channels, origin=hub.url.rstrip("/")),
        "wes's cookie": websocket_answer(channels, cookie=cookie_of(wes),
                                         origin=hub.url.rstrip("/")),
    }
    assert answers == {k: "403" for k in answers}
    # the owner still gets through (and closing the page's websocket ends its kernel soon)
    assert close_page(hub, ana, "ana", kernel) == "open"


def test_anonymous_upgrades_take_no_page_from_the_seller(hub: Hub):
    """Eight websocket upgrades of wes's page URL at once, with no sign-in: none makes Voila
    render a page (each would take a kernel), so wes still gets his page."""
    wes, kernel = served_page(hub, "wes")
    close_page(hub, wes, "wes", kernel)
    url = f"{hub.url.replace('http', 'ws', 1)}user/wes/"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: websocket_answer(url), range(8)))
    page = wes.get(f"{hub.url}user/wes/", timeout=120)
    served = re.search(r'"kernelId": "([0-9a-f-]+)"', page.text)
    assert page.status_code == 200 and served, (page.status_code, page.text[:300])
    close_page(hub, wes, "wes", served.group(1))
    assert answers == ["403"] * 8


def users_processes(hub: Hub, user: str) -> set[int]:
    """The processes of a user's server: its proxy, Voila and kernels."""
    mine = set()
    for pid in hub.processes():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"JUPYTERHUB_USER={user}".encode() in environ:
            mine.add(pid)
    return mine


PROBE = """\
# run as another Unix user, with the standard library only (any python3 of the machine)
import base64, http.client, json, os, socket, sys  # noqa
kernel, tcp, unix = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
seen = {}
for address in tcp:
    host, port = address.rsplit(":", 1)
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.request("GET", "/user/ana/")
        answer = conn.getresponse()
        body = answer.read().decode(errors="replace")
        seen[f"GET {address}"] = [answer.status, '"kernelId"' in body or "ck-app" in body]
    except (OSError, http.client.HTTPException) as exc:
        seen[f"GET {address}"] = ["failed", type(exc).__name__]
    try:
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall((f"GET /user/ana/api/kernels/{kernel}/channels HTTP/1.1\\r\\n"
                          f"Host: {address}\\r\\nUpgrade: websocket\\r\\n"
                          "Connection: Upgrade\\r\\nSec-WebSocket-Version: 13\\r\\n"
                          f"Sec-WebSocket-Key: {key}\\r\\n\\r\\n").encode())
            status = sock.recv(4096).split(b"\\r\\n", 1)[0].decode(errors="replace")
        seen[f"WS {address}"] = "open" if " 101 " in f"{status} " else status.split(" ")[1]
    except (OSError, IndexError) as exc:
        seen[f"WS {address}"] = type(exc).__name__
for path in unix:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.connect(path)
        seen[f"UNIX {path}"] = "connected"
    except OSError as exc:
        seen[f"UNIX {path}"] = type(exc).__name__
    finally:
        sock.close()
print(json.dumps(seen))
"""


def test_another_unix_user_gets_nothing_from_a_users_server(hub: Hub, other_user: str):
    """Another local account connects straight to every port and socket of ana's server
    (its proxy, Voila, the kernels): no page, no kernel channel, no socket opens."""
    ana, kernel = served_page(hub, "ana")
    pids = users_processes(hub, "ana")
    argv = hub.processes()
    owners = {address: argv.get(pid, "") for pid in pids for address in listening({pid})}
    unix = sorted(unix_sockets(pids))
    SOCKETS_SEEN.extend(unix)
    # Voila itself opens no TCP port: it is reached only through the user's proxy
    program = {address: command.split()[2:3] for address, command in owners.items()}
    assert not [a for a, p in program.items()
                if p in (["coachkit.hub.uservoila"], ["coachkit.app.voila"])], owners
    proxy = [a for a, p in program.items() if p == ["coachkit.hub.userproxy"]]
    assert len(proxy) == 1, owners  # where the hub's proxy sends ana's requests
    probe = run_as(other_user, PROBE, kernel, json.dumps(sorted(owners)), json.dumps(unix))
    assert probe.returncode == 0, probe.stderr[-2000:]
    seen = json.loads(probe.stdout)
    # the user's proxy sends anyone not signed in to the hub's sign-in, refuses websockets
    assert seen[f"GET {proxy[0]}"] == [302, False] and seen[f"WS {proxy[0]}"] == "403", seen
    # the rest (each kernel's pipe for output of forked processes, ipykernel's, which takes
    # only messages carrying a random key of that kernel) answers no page and no websocket
    for address in owners:
        status, app = seen[f"GET {address}"]  # app: whether the answer was the app's page
        assert status != 200 and app is not True, seen
        assert seen[f"WS {address}"] != "open", seen
    assert unix and all(seen[f"UNIX {path}"] == "PermissionError" for path in unix), seen
    assert close_page(hub, ana, "ana", kernel) == "open"
