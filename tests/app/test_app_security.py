"""Another user on the same machine, against a real ``coachkit app``: without the token there
is no page, no deal data, no kernel, no websocket and no shutdown; a page for another Host is
refused (DNS rebinding)."""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import http.server
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

import pytest

from support.helpers import run_async, wait_until
from support.procs import alive, cmdline, descendants
from support.servers import (
    AppClient,
    AppServer,
    NoRedirect,
    app_command,
    app_env,
    kernel_id,
    kernel_pid,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("voila")]

FORGED = "2|deadbeef|c0ffee|1700000000"


def request(server: AppServer, path: str, *, method: str = "GET", cookie: str = "",
            host: str = "", data: bytes | None = None) -> tuple[int, str, str]:
    """Status, Location and body of one request, redirects not followed."""
    headers = {"Cookie": cookie} if cookie else {}
    if host:
        headers["Host"] = host
    req = urllib.request.Request(server.url + path, method=method, headers=headers, data=data)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=60) as response:
            return response.status, "", response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode("utf-8", "replace")


async def _websocket(server: AppServer, kernel: str, cookie: str, host: str = "") -> int:
    """The HTTP status the kernel websocket answers (101: it opened)."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    headers = {"Cookie": cookie} if cookie else {}
    if host:
        headers["Host"] = host
    url = server.url.replace("http", "ws") + f"api/kernels/{kernel}/channels"
    try:
        conn = await asyncio.wait_for(websocket_connect(HTTPRequest(url, headers=headers)), 30)
    except HTTPClientError as exc:
        return exc.code
    conn.close()
    return 101


@pytest.fixture
def seller(app_server: AppServer):
    """The seller, signed in with the printed token, with a page open."""
    client = AppClient(app_server)
    yield client
    client.close_pages()


def test_the_token_is_traded_for_a_cookie_and_leaves_the_url(seller: AppClient) -> None:
    status, location = seller.signed_in
    assert status == 302 and location == f"/{seller.server.prefix}/"  # the page, no token
    login = next(c for c in seller.jar if c.name.startswith("username-"))
    assert login.has_nonstandard_attr("HttpOnly")  # page scripts cannot read it
    page, _ = seller.page("deal_id=northwind-plant-maintenance")
    assert "application/vnd.jupyter.widget-view+json" in page  # the app; its data comes
    assert seller.server.token not in page                     # over the kernel websocket
    assert seller.cookie("_xsrf")  # what the tab-close beacon sends back
    # No command line holds the token (every user can read those); of the environments (only
    # the owner can read those) only Voila's, which got it: kernels do not inherit it.
    token = seller.server.token
    for pid in descendants(seller.server.proc.pid):
        assert token not in cmdline(pid)
        environ = Path(f"/proc/{pid}/environ")
        assert token.encode() not in environ.read_bytes() or "coachkit.app.voila" in cmdline(pid)
        assert environ.stat().st_mode & 0o077 == 0
    assert seller.server.kernel_pids()


def test_without_the_token_no_page_no_data_no_kernel(app_server: AppServer,
                                                     seller: AppClient) -> None:
    _, kernel = seller.page("deal_id=northwind-plant-maintenance")  # the seller's open page
    taken = app_server.pages_taken()
    forged = f"_xsrf={FORGED}; username-127-0-0-1-{app_server.port}=forged"
    for path, cookie in [("", ""), ("?deal_id=northwind-plant-maintenance", ""),
                         ("?token=wrong", ""), ("?deal_id=northwind-plant-maintenance", forged)]:
        status, location, body = request(app_server, path, cookie=cookie)
        assert status == 302 and location.startswith(f"/{app_server.prefix}/login"), path
        assert "kernelId" not in body and "widget-view" not in body
    status, _, body = request(app_server, "login")
    assert status == 200 and "token" in body.lower()  # the sign-in form, no deal data
    assert "kernelId" not in body and "widget-view" not in body
    assert app_server.pages_taken() == taken  # no kernel was handed to any of those

    # The seller's kernel id leaks (ps shows it): still no websocket, no API, no shutdown.
    for cookie in ("", forged):
        assert run_async(_websocket(app_server, kernel, cookie)) == 403
        assert request(app_server, f"api/kernels/{kernel}", cookie=cookie)[0] == 403
        assert request(app_server, f"api/kernels/{kernel}", method="DELETE",
                       cookie=cookie)[0] == 403
        beacon = urllib.parse.urlencode({"_xsrf": FORGED}).encode()
        assert request(app_server, f"voila/api/shutdown/{kernel}", method="POST",
                       cookie=cookie, data=beacon)[0] == 403
    assert alive(kernel_pid(app_server, kernel))

    # The seller's own beacon is accepted and ends the kernel.
    pid = kernel_pid(app_server, kernel)
    assert seller.shutdown(kernel) == 204
    wait_until(lambda: not alive(pid), 15, "the kernel ends after the seller's beacon")


async def _query(server: AppServer, kernel: str, headers: dict[str, str]) -> tuple[int, str]:
    """What a client gets from Voila's query websocket of ``kernel``: the HTTP status (101:
    it opened), and the first message if one comes within a few seconds."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    url = server.url.replace("http", "ws") + f"voila/query/{kernel}"
    try:
        conn = await asyncio.wait_for(websocket_connect(HTTPRequest(url, headers=headers)), 30)
    except HTTPClientError as exc:
        return exc.code, ""
    try:
        message = await asyncio.wait_for(conn.read_message(), 3)
    except TimeoutError:
        message = None
    conn.close()
    return 101, message or ""


def test_the_page_request_goes_to_its_kernel_only(app_server: AppServer,
                                                  seller: AppClient) -> None:
    """Every kernel id shows in ``ps``; connecting first to ``/voila/query/<id>`` took the
    seller's next page request (``deal_id=...``) and left the page hanging. Only the kernel
    itself gets in now: not an anonymous client, not a forged proof, not even the seller."""
    def running() -> set[str]:
        return {re.search(r"kernel-([0-9a-f-]{36})\.json", cmdline(pid))[1]
                for pid in app_server.kernel_pids()}

    kernels = running()
    assert kernels  # the preheated kernel, waiting for a page
    forged = {"X-Coachkit-Kernel-Proof": "0" * 64}
    refused = set()
    for kernel in kernels:
        for headers in ({}, forged, {"Cookie": seller.cookie_header()}):
            answer = run_async(_query(app_server, kernel, headers))
            if answer == (404, ""):
                # the server shared by this session's tests: another test's page kernel, ending
                # (Voila has forgotten it, its process goes): nobody gets a request from it
                wait_until(lambda k=kernel: k not in running(), 30, f"kernel {kernel} ending")
                break
            assert answer == (403, ""), headers
        else:
            refused.add(kernel)
    html, kernel = seller.page("deal_id=northwind-plant-maintenance")  # it still loads
    assert "application/vnd.jupyter.widget-view+json" in html
    assert kernel in refused  # the preheated kernel, refused to everyone else, served it


def test_another_host_is_refused(app_server: AppServer, seller: AppClient) -> None:
    """A DNS rebinding page reaches 127.0.0.1 under its own name: refused, cookie or not."""
    _, kernel = seller.page()
    evil = f"rebind.evil.example:{app_server.port}"
    cookie = seller.cookie_header()
    taken = app_server.pages_taken()
    for path in ("", f"?token={app_server.token}", "login", "voila/static/voila.js",
                 f"api/kernels/{kernel}"):
        status, _, body = request(app_server, path, cookie=cookie, host=evil)
        assert status == 403, path
        assert "answers only at its own address" in body
    assert run_async(_websocket(app_server, kernel, cookie, host=evil)) == 403
    assert app_server.pages_taken() == taken
    # under this machine's names the same requests are answered
    assert run_async(_websocket(app_server, kernel, cookie)) == 101
    status, location, _ = request(app_server, "", host=f"localhost:{app_server.port}")
    # (its cookie is per host name)
    assert status == 302 and location.startswith(f"/{app_server.prefix}/login")


def test_a_browser_following_the_printed_url_lands_signed_in(app_server: AppServer) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(app_server.link("deal_id=fjordbank-onboarding"), timeout=120) as response:
        assert response.url == app_server.url + "?deal_id=fjordbank-onboarding"
        page = response.read().decode("utf-8")
    kernel = kernel_id(page)
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    beacon = urllib.request.Request(f"{app_server.url}voila/api/shutdown/{kernel}",
                                    data=urllib.parse.urlencode({"_xsrf": xsrf}).encode())
    with opener.open(beacon, timeout=30) as response:
        assert response.status == 204


BROWSER = """#!{python}
import pathlib, sys, urllib.parse
out = pathlib.Path(sys.argv[0]).with_suffix("")
page = pathlib.Path(urllib.parse.urlparse(sys.argv[1]).path).read_text()
out.with_suffix(".argv").write_text(" ".join(sys.argv))
out.with_suffix(".page").write_text(page)
"""


def test_the_browser_is_opened_without_the_token_on_its_command_line(tmp_path: Path) -> None:
    """A browser's command line is readable by every user: it gets a private file that
    redirects to the address with the token."""
    browser = tmp_path / "browser.py"
    browser.write_text(BROWSER.format(python=sys.executable))
    browser.chmod(0o700)
    env = {**app_env(), "BROWSER": str(browser)}
    command = [c for c in app_command("--store", str(tmp_path / "s.db")) if c != "--no-browser"]
    server = AppServer(command, env, tmp_path / "app.log")
    try:
        wait_until(lambda: (tmp_path / "browser.page").exists(), 60, "the browser is opened")
    finally:
        server.stop()
    argv = (tmp_path / "browser.argv").read_text()
    assert server.token not in argv and argv.split()[-1].startswith("file:///")
    assert f'url={server.url}?token={server.token}"' in (tmp_path / "browser.page").read_text()


def test_the_sign_in_page_is_coachkits(app_server: AppServer) -> None:
    """Without the token: coachkit's own sign-in page (Jupyter's said to run `jupyter server
    list` and showed localhost:8888), and the token pasted into it opens the page asked for."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def send(url: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = None
        if data is not None:
            xsrf = next(c.value for c in jar if c.name == "_xsrf")
            body = urllib.parse.urlencode({**data, "_xsrf": xsrf}).encode()
        try:
            with browser.open(urllib.request.Request(url, data=body), timeout=60) as response:
                return response.status, "", response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", ""), exc.read().decode("utf-8")

    status, location, _ = send(app_server.url + "?deal_id=fjordbank-onboarding")
    assert status == 302
    sign_in = app_server.root + location.lstrip("/")
    status, _, body = send(sign_in)
    assert status == 200
    assert "Open your coachkit workbook" in body
    assert "Paste the token" in body and "<code>coachkit app</code> printed" in body
    for stock in ("jupyter server list", "localhost:8888", "Jupyter", "password or token"):
        assert stock not in body
    status, _, body = send(sign_in, {"password": "wrong"})
    assert status == 401 and "That token does not open this app" in body
    status, location, _ = send(sign_in, {"password": app_server.token})
    assert status == 302 and location == f"/{app_server.prefix}/?deal_id=fjordbank-onboarding"


def test_signing_out_and_errors_are_coachkits_pages(app_server: AppServer) -> None:
    """The app's own pages besides sign-in: ``logout`` signs this browser out on coachkit's
    page (Jupyter's needed a setting Voila lacks: a bare 500), the next visit asks for the
    token again; an error (a form sent without its _xsrf field) is coachkit's page with its
    status (a 500 before); a template folder with no file in it is a 404 (Voila's 500)."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def send(url: str, data: bytes | None = None) -> tuple[int, str, str]:
        try:
            with browser.open(urllib.request.Request(url, data=data), timeout=60) as response:
                return response.status, "", response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", ""), exc.read().decode("utf-8")

    send(app_server.link())  # signed in: the token traded for a cookie
    assert send(app_server.url)[0] == 200
    status, _, body = send(app_server.url + "logout")
    assert status == 200 and "Signed out" in body and "Your work is saved" in body
    assert "Jupyter" not in body and app_server.token not in body
    status, location, _ = send(app_server.url)
    assert status == 302 and f"/{app_server.prefix}/login?" in location
    status, _, body = send(app_server.url + "logout", data=b"")
    assert status == 403 and 'id="ck-error"' in body and "403 Forbidden" in body
    assert "Jupyter" not in body and "_xsrf" not in body
    for path in ("voila/templates/coachkit/", "voila/templates/coachkit", "voila/templates/"):
        assert send(app_server.url + path)[0] == 404, path


def test_nothing_answers_outside_the_secret_path(app_server: AppServer) -> None:
    """The app lives under a random first path segment: the port's root and Voila's usual
    paths are not found, and no answer names the real path."""
    for path in ("", "?token=" + app_server.token, "login", "voila/static/voila.js",
                 "api/kernels"):
        req = urllib.request.Request(app_server.root + path)
        try:
            urllib.request.build_opener(NoRedirect).open(req, timeout=30)
            raise AssertionError(f"/{path} answered")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404, path
            assert app_server.prefix not in exc.read().decode("utf-8", "replace")


class _Collector(http.server.BaseHTTPRequestHandler):
    """Another local user's web server on 127.0.0.1: it keeps every Cookie header it gets."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Cookie", "")))
        body = b"<!doctype html><title>elsewhere</title><p>another local server</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.browser
def test_the_login_cookie_goes_to_no_other_local_server(browser: Any,
                                                        app_server: AppServer) -> None:
    """Browsers send a host's cookies to every port of it; the app's cookies carry its secret
    path, so a page of another server on 127.0.0.1 never receives them (replayed, the login
    cookie opened the app with every deal)."""
    import threading

    from support.pages import answered, new_context, open_app, watch

    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    elsewhere = f"http://127.0.0.1:{collector.server_address[1]}/"
    context = new_context(browser)
    try:
        page = watch(context.new_page())
        open_app(page, app_server.link("deal_id=northwind-plant-maintenance"))
        answered(page)
        names = {c["name"] for c in context.cookies()}
        login = f"username-127-0-0-1-{app_server.port}"
        assert {login, "_xsrf"} <= names  # the seller is signed in
        other = context.new_page()
        for path in ("", "voila/render/coachkit.ipynb", "login", "api/kernels",
                     "some/page.html"):
            other.goto(elsewhere + path)
        page.close(run_before_unload=True)
    finally:
        context.close()
        collector.shutdown()
    assert len(_Collector.seen) >= 5
    for path, cookies in _Collector.seen:
        assert login not in cookies and "_xsrf" not in cookies, (path, cookies)


SUBSCRIBER = """
import json, sys, time
import zmq
addresses, seconds = json.loads(sys.argv[1]), float(sys.argv[2])
context = zmq.Context()
poller = zmq.Poller()
for address in addresses:
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(address)
    poller.register(sub, zmq.POLLIN)
frames = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    for sub, _ in poller.poll(200):
        frames += len(sub.recv_multipart())
print(frames)
"""


def kernel_addresses(pid: int) -> list[str]:
    """Every address a kernel listens on, as another user would try them: its loopback TCP
    ports (an attacker tries every port in /proc/net/tcp) and the Unix socket files named after
    its connection file (on its command line, in ``ps``)."""
    import json

    sockets = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    inodes = {line.split()[9]: int(line.split()[1].rsplit(":", 1)[1], 16)
              for line in sockets if line.split()[3] == "0A"}  # LISTEN
    owned = {link.readlink().name for link in Path(f"/proc/{pid}/fd").iterdir()
             if link.readlink().name.startswith("socket:")}
    addresses = [f"tcp://127.0.0.1:{port}" for inode, port in inodes.items()
                 if f"socket:[{inode}]" in owned]
    args = cmdline(pid).split()
    info = json.loads(Path(args[args.index("-f") + 1]).read_text(encoding="utf-8"))
    if info["transport"] == "ipc":
        addresses += [f"ipc://{info['ip']}-{info[name]}" for name in
                      ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]
    return addresses


async def _chatter(client: AppClient, kernel: str, seconds: float) -> int:
    """The seller's page at work: kernel messages for ``seconds``; the replies counted."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    from support.servers import message

    url = client.server.url.replace("http", "ws") + f"api/kernels/{kernel}/channels"
    conn = await websocket_connect(HTTPRequest(url, headers={"Cookie": client.cookie_header()}))
    replies = 0
    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:
        await conn.write_message(message("kernel_info_request", {}))
        with contextlib.suppress(TimeoutError):
            while await asyncio.wait_for(conn.read_message(), 0.2) is not None:
                replies += 1
    conn.close()
    return replies


def test_another_user_cannot_read_a_kernels_output(app_server: AppServer,
                                                   seller: AppClient) -> None:
    """Kernel messages are signed, not encrypted, and a ZeroMQ PUB socket takes any subscriber:
    over loopback TCP another user read everything the seller typed. The kernels' sockets are
    Unix socket files in Voila's private folder now."""
    import json
    import subprocess
    import sys

    from support.unix_users import other_user

    _, kernel = seller.page("deal_id=northwind-plant-maintenance")
    pid = kernel_pid(app_server, kernel)
    addresses = kernel_addresses(pid)
    assert addresses
    with other_user() as intruder:
        listening = subprocess.Popen(
            intruder.command([sys.executable, "-c", SUBSCRIBER, json.dumps(addresses), "10"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
        time.sleep(3)  # subscribed (ZeroMQ connects in the background)
        replies = run_async(_chatter(seller, kernel, 5))
        out, err = listening.communicate(timeout=60)
    assert replies > 10  # the seller's page was busy...
    assert listening.returncode == 0, err
    assert int(out) == 0, f"another user read {out.strip()} frames of the kernel's output"
