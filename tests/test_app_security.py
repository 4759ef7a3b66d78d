"""Another user on the same machine, against a real ``coachkit app``: without the token there
is no page, no deal data, no kernel, no websocket and no shutdown; a page for another Host is
refused (DNS rebinding)."""

from __future__ import annotations

import asyncio
import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    AppClient,
    AppServer,
    alive,
    app_command,
    app_env,
    cmdline,
    descendants,
    kernel_id,
    run_async,
    wait_until,
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
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=60) as response:
            return response.status, "", response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


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


def kernel_pid(server: AppServer, kernel: str) -> int:
    return next(pid for pid in server.kernel_pids() if f"kernel-{kernel}.json" in cmdline(pid))


def test_the_token_is_traded_for_a_cookie_and_leaves_the_url(seller: AppClient) -> None:
    status, location = seller.signed_in
    assert status == 302 and location == "/"  # the same page, without the token
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
        assert status == 302 and location.startswith("/login"), (path, status)
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
    assert status == 302 and location.startswith("/login")  # (its cookie is per host name)


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
