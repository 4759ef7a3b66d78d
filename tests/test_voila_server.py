"""The app in a real Voila server on 127.0.0.1: it renders, refuses code, hides tracebacks."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from coachkit.app.server import free_port, voila_command
from conftest import Server, run_async, wait_for_http

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("voila")]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


def test_the_page_renders_the_app(app_server: Server) -> None:
    page = fetch(app_server.url + "?deal_id=northwind-plant-maintenance")
    assert "application/vnd.jupyter.widget-view+json" in page
    assert "Traceback" not in page
    assert "from coachkit.app import App" not in page  # sources are stripped


async def _kernel_exchange(ws_url: str, marker: Path) -> list[str]:
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(ws_url)

    def message(msg_type: str, content: dict) -> str:
        return json.dumps({
            "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "t",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
            "buffers": []})

    code = f"open({str(marker)!r}, 'w').write('ran')"
    await conn.write_message(message("execute_request", {
        "code": code, "silent": False, "store_history": False, "user_expressions": {},
        "allow_stdin": False, "stop_on_error": True}))
    await conn.write_message(message("kernel_info_request", {}))
    seen: list[str] = []
    try:
        while True:
            raw = await asyncio.wait_for(conn.read_message(), timeout=8)
            if raw is None:
                break
            if isinstance(raw, str):
                seen.append(json.loads(raw)["header"]["msg_type"])
            if "kernel_info_reply" in seen:
                await asyncio.sleep(2)  # give a (wrongly) executed request time to land
                break
    except TimeoutError:
        pass
    conn.close()
    return seen


def test_code_from_the_browser_is_refused(app_server: Server, tmp_path: Path) -> None:
    page = fetch(app_server.url)
    kernel_id = re.search(r'kernelId"?\s*:\s*"([0-9a-f-]{36})"', page).group(1)
    ws_url = app_server.url.replace("http", "ws") + f"api/kernels/{kernel_id}/channels"
    marker = tmp_path / "executed"
    seen = run_async(_kernel_exchange(ws_url, marker))
    assert "kernel_info_reply" in seen  # the channel works...
    assert "execute_reply" not in seen  # ...but code is not run
    assert not marker.exists()


def test_tracebacks_are_not_shown(tmp_path: Path) -> None:
    notebook = tmp_path / "broken.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("raise ValueError('internal-secret-detail')")]
    nbformat.write(nb, notebook)
    port = free_port()
    server = Server(voila_command(notebook, port, pool_size=0), f"http://127.0.0.1:{port}/",
                    dict(os.environ), cwd=str(tmp_path))
    try:
        wait_for_http(server.url)
        page = fetch(server.url)
    finally:
        server.stop()
    assert "internal-secret-detail" not in page
    assert "Traceback" not in page


def test_voila_listens_on_loopback_only() -> None:
    command = voila_command(Path("x.ipynb"), 1234)
    assert "--Voila.ip=127.0.0.1" in command
    assert "--VoilaConfiguration.show_tracebacks=False" in command
    assert command[:3] == [sys.executable, "-m", "voila"]
