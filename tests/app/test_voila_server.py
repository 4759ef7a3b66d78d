"""The app in a real Voila server on 127.0.0.1: it renders, refuses code, hides tracebacks,
loads nothing from elsewhere, and takes uploads up to a little over the workbook limit."""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from coachkit.app.server import voila_command
from coachkit.model.files import MAX_FILE_BYTES
from coachkit.processes import free_port
from coachkit.shipped import APP_NOTEBOOK, workbooks_dir
from support.helpers import demo_store, run_async, wait_until
from support.procs import alive, cmdline, descendants
from support.servers import AppClient, AppServer, Server, kernel_id, message, wait_for_http

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("voila")]


@pytest.fixture
def client(app_server: AppServer):
    """A signed-in client; the kernels of the pages it takes end with the test."""
    signed_in = AppClient(app_server)
    yield signed_in
    signed_in.close_pages()


def test_the_page_renders_the_app(client: AppClient) -> None:
    page, _ = client.page("deal_id=northwind-plant-maintenance")
    assert "application/vnd.jupyter.widget-view+json" in page
    assert "Traceback" not in page
    assert "from coachkit.app import App" not in page  # sources are stripped
    assert "coachkit/static/coachkit.js" in page  # coachkit's page template...
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)  # all local
    assert client.server.token not in page
    # ...which the URL cannot swap for Voila's own (its icon font comes from a CDN)
    page, _ = client.page("template=lab&theme=dark")
    assert "coachkit/static/coachkit.js" in page
    assert "cdn.jsdelivr.net" not in page


async def _connect(client: AppClient, kernel: str):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    from coachkit.app.voila import WEBSOCKET_LIMIT

    url = client.server.url.replace("http", "ws") + f"api/kernels/{kernel}/channels"
    return await websocket_connect(
        HTTPRequest(url, headers={"Cookie": client.cookie_header()}),
        max_message_size=4 * WEBSOCKET_LIMIT)


async def _replies(conn, until: str, timeout: float = 20) -> tuple[list[str], bool]:
    """Message types read until ``until`` arrives; and whether the server closed the socket."""
    seen: list[str] = []
    try:
        while until not in seen:
            raw = await asyncio.wait_for(conn.read_message(), timeout=timeout)
            if raw is None:
                return seen, True
            if isinstance(raw, str):
                seen.append(json.loads(raw)["header"]["msg_type"])
    except TimeoutError:
        pass
    return seen, False


async def _kernel_exchange(client: AppClient, kernel: str, marker: Path) -> list[str]:
    conn = await _connect(client, kernel)
    code = f"open({str(marker)!r}, 'w').write('ran')"
    await conn.write_message(message("execute_request", {
        "code": code, "silent": False, "store_history": False, "user_expressions": {},
        "allow_stdin": False, "stop_on_error": True}))
    await conn.write_message(message("kernel_info_request", {}))
    seen, _ = await _replies(conn, "kernel_info_reply", timeout=8)
    await asyncio.sleep(2)  # give a (wrongly) executed request time to land
    conn.close()
    return seen


def test_code_from_the_browser_is_refused(client: AppClient, tmp_path: Path) -> None:
    _, kernel = client.page()
    marker = tmp_path / "executed"
    seen = run_async(_kernel_exchange(client, kernel, marker))
    assert "kernel_info_reply" in seen  # the channel works...
    assert "execute_reply" not in seen  # ...but code is not run
    assert not marker.exists()


async def _send_padded(client: AppClient, kernel: str, size: int) -> tuple[list[str], bool]:
    """A kernel_info_request padded to ``size`` bytes, then a plain one: which replies come,
    and whether the server closed the connection."""
    from tornado.websocket import WebSocketClosedError

    conn = await _connect(client, kernel)
    padded = message("kernel_info_request", {}, padding="x" * size)
    try:
        await conn.write_message(padded)
        await conn.write_message(message("kernel_info_request", {}))
    except WebSocketClosedError:  # closed by the server while the message was still going
        return [], True
    seen, closed = await _replies(conn, "kernel_info_reply")
    conn.close()
    return seen, closed


def test_a_message_a_little_over_the_workbook_limit_still_reaches_the_kernel(
        client: AppClient) -> None:
    """An upload is one websocket message: a file a little over the workbook limit must reach
    the kernel, which says why it is refused; a much bigger one is cut by the server."""
    from coachkit.app.voila import WEBSOCKET_LIMIT

    assert MAX_FILE_BYTES + 1_000_000 < WEBSOCKET_LIMIT < 4 * MAX_FILE_BYTES
    _, kernel = client.page()
    seen, closed = run_async(_send_padded(client, kernel, MAX_FILE_BYTES + 1_000_000))
    assert "kernel_info_reply" in seen and not closed
    seen, closed = run_async(_send_padded(client, kernel, WEBSOCKET_LIMIT + 1_000_000))
    assert "kernel_info_reply" not in seen and closed


def test_tracebacks_are_not_shown(tmp_path: Path) -> None:
    notebook = tmp_path / "broken.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("raise ValueError('internal-secret-detail')")]
    nbformat.write(nb, notebook)
    port = free_port()
    server = Server(voila_command(notebook, port, pool_size=0), f"http://127.0.0.1:{port}/",
                    {**os.environ, "JUPYTER_TOKEN": "tracebacks-test"}, cwd=str(tmp_path))
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        wait_for_http(server.url + "voila/static/voila.js")
        with opener.open(server.url + "?token=tracebacks-test", timeout=120) as response:
            page = response.read().decode("utf-8")
        kernel_id(page)  # a real page, not the sign-in form
    finally:
        server.stop()
    assert "internal-secret-detail" not in page
    assert "Traceback" not in page


def test_the_voila_command_is_loopback_and_never_carries_the_token() -> None:
    command = voila_command(Path("x.ipynb"), 1234, max_pages=3)
    assert command[:3] == [sys.executable, "-m", "coachkit.app.voila"]
    assert "--Voila.ip=127.0.0.1" in command
    assert "--Voila.port_retries=0" in command  # the printed URL is the one served
    assert "--CoachkitVoila.max_pages=3" in command
    assert not [arg for arg in command if "token" in arg.lower()]


def test_without_a_token_the_server_does_not_start() -> None:
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"}
    done = subprocess.run(voila_command(workbooks_dir() / APP_NOTEBOOK, free_port()), env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "coachkit voila: no token; set JUPYTER_TOKEN (coachkit app does), or pass "
        "--CoachkitVoila.require_token=False behind a proxy that signs users in")


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "coachkit.cli", "app", "--no-browser",
                               "--store", str(tmp_path / "s.db"), "--port", str(port)],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"coachkit: port {port} is in use (another coachkit app?); "
                                   "pass --port N, or --port 0 for a free one")


def test_a_page_never_opened_in_a_browser_has_its_kernel_ended(tmp_path: Path) -> None:
    """A plain GET (a prefetch, a script, a tab closed while loading) starts a page's kernel
    that no websocket ever reaches: it is ended after ``first_connect_grace``."""
    location = demo_store(tmp_path, "store.db")
    port = free_port()
    command = [*voila_command(workbooks_dir() / APP_NOTEBOOK, port),
               "--CoachkitVoila.first_connect_grace=5"]
    env = {**os.environ, "JUPYTER_TOKEN": "grace-test", "COACHKIT_STORE": location}
    server = Server(command, f"http://127.0.0.1:{port}/", env, log=tmp_path / "voila.log")
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        wait_for_http(server.url + "voila/static/voila.js")
        with opener.open(server.url + "?token=grace-test", timeout=180) as response:
            kernel = kernel_id(response.read().decode("utf-8"))
        [pid] = [p for p in descendants(server.proc.pid) if f"kernel-{kernel}.json" in cmdline(p)]
        wait_until(lambda: not alive(pid), 60, "the unopened page's kernel ends")
    finally:
        server.stop()
    assert f"Kernel {kernel}: its page has been gone for" in server.log_text()


async def _crafted_widget_messages(client: AppClient, kernel: str) -> list[dict]:
    """Widget updates no page would send (wrong types, unknown models) to every widget of the
    page, as a signed-in client may; every message that comes back."""
    conn = await _connect(client, kernel)
    await conn.write_message(message("comm_info_request", {}))
    comms: dict = {}
    while not comms:
        reply = json.loads(await asyncio.wait_for(conn.read_message(), 30))
        if reply["header"]["msg_type"] == "comm_info_reply":
            comms = reply["content"]["comms"]
    for comm_id in comms:
        for state in ({"value": {"x": [1]}}, {"index": "zz"},
                      {"children": ["IPY_MODEL_nope"]}, {"description": 5}):
            await conn.write_message(message("comm_msg", {
                "comm_id": comm_id,
                "data": {"method": "update", "state": state, "buffer_paths": []}}))
    seen = []
    with contextlib.suppress(TimeoutError):
        while (raw := await asyncio.wait_for(conn.read_message(), 8)) is not None:
            if isinstance(raw, str):
                seen.append(json.loads(raw))
    conn.close()
    return seen


def test_crafted_widget_messages_bring_back_no_traceback(client: AppClient) -> None:
    """ipywidgets answered each failing update with the whole traceback (source lines, server
    paths) although show_tracebacks is off; now the server's log has it, under a short
    reference, and the page shows only that reference."""
    _, kernel = client.page("deal_id=northwind-plant-maintenance")
    seen = run_async(_crafted_widget_messages(client, kernel))
    text = json.dumps(seen)
    assert seen
    for leak in ("Traceback", "site-packages", ".py", "TraitError", "File \\u001b"):
        assert leak not in text, leak
    assert not [m for m in seen if m["header"]["msg_type"] == "error"]
    shown = set(re.findall(r"Something went wrong here \(reference <code>([0-9a-f]{6})</code>\)",
                           text))
    assert shown  # the page says something failed, with the reference
    log = client.server.log_text()
    for reference in shown:
        entry = log[log.index(f"coachkit: error {reference} in the page kernel"):]
        assert entry.splitlines()[1] == "Traceback (most recent call last):"


def test_a_page_that_connects_and_leaves_between_two_checks_gets_the_page_grace(
        tmp_path: Path) -> None:
    """A page whose websocket opened and closed between two of the cull's checks was taken
    for a page never opened (a minute's grace, not the page's): the handler now tells the
    server the page connected. The checks run every 5 s here, the page stays a moment."""
    location = demo_store(tmp_path, "store.db")
    port = free_port()
    command = [*voila_command(workbooks_dir() / APP_NOTEBOOK, port),
               "--CoachkitVoila.cull_every=5", "--CoachkitVoila.page_grace=1",
               "--CoachkitVoila.first_connect_grace=600"]
    env = {**os.environ, "JUPYTER_TOKEN": "brief-test", "COACHKIT_STORE": location}
    server = Server(command, f"http://127.0.0.1:{port}/", env, log=tmp_path / "voila.log")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        wait_for_http(server.url + "voila/static/voila.js")
        with opener.open(server.url + "?token=brief-test", timeout=180) as response:
            kernel = kernel_id(response.read().decode("utf-8"))
        [pid] = [p for p in descendants(server.proc.pid) if f"kernel-{kernel}.json" in cmdline(p)]

        async def visit() -> None:
            from tornado.httpclient import HTTPRequest
            from tornado.websocket import websocket_connect

            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            conn = await websocket_connect(HTTPRequest(
                server.url.replace("http", "ws") + f"api/kernels/{kernel}/channels",
                headers={"Cookie": cookie}))
            conn.close()

        run_async(visit())
        wait_until(lambda: not alive(pid), 60, "the brief page's kernel ends")
    finally:
        server.stop()
    assert f"Kernel {kernel}: its page has been gone for" in server.log_text()
