"""The team server's security checks, one body each, which both setups must pass: per-user
servers (tests/hub/test_hub.py) and the shared app (tests/hub/test_hub_shared.py). Each
setup's test passes what differs: where a seller's app answers on the hub (``app``: the
path under the hub's URL, ``user/ana/`` or ``services/coachkit-app/``), a seller signed in
there with a page served, and which of the hub's programs serve what."""

from __future__ import annotations

import json
import stat
import time
import uuid
from pathlib import Path

import requests
import websocket
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from sqlalchemy.engine import make_url

from support.hubprobe import cookie_of, listening
from support.hubserver import Hub

HUB_PROGRAMS = ("jupyterhub", "coachkit.hub.proxy", "coachkit.hub.reports")
"""The hub's own processes in both setups: JupyterHub, its proxy, the reports service."""


def running(processes: dict[int, str], module: str) -> set[int]:
    """The processes running ``python -m module`` (not those that merely name it, like a
    proxy whose argv holds the command of the server it starts)."""
    return {pid for pid, argv in processes.items() if argv.split()[1:3] == ["-m", module]}


def runtime_is_private(hub: Hub, team_store: dict[str, object], programs: tuple[str, ...],
                       page_store: str) -> None:
    """The runtime folder and the hub's secret files are private; no process of the hub
    (those running the modules ``programs`` among them) carries a secret in its argv: the
    store's password, the proxy's token, the trial and admin passwords, nor the password of
    the store URL a seller's page works with (``page_store``, their own database role's);
    neither the hub's log nor ``coachkit hub``'s output shows the store's password or the
    role's."""
    assert stat.S_IMODE(hub.runtime.stat().st_mode) == 0o700
    for secret in ("proxy_auth_token", "jupyterhub_cookie_secret"):
        assert stat.S_IMODE((hub.runtime / secret).stat().st_mode) == 0o600
    token = (hub.runtime / "proxy_auth_token").read_text().strip()
    processes = hub.processes()
    for module in programs:
        assert running(processes, module), (module, processes)
    password = str(team_store["password"])
    role_password = make_url(page_store).password
    assert role_password and role_password != password, "the page has no role of its own"
    secrets = {"store": password, "proxy token": token, "trial": hub.password,
               "admin": hub.admin_password, "role": str(role_password)}
    for argv in processes.values():
        assert not [name for name, secret in secrets.items() if secret in argv], argv[:200]
    log, stdout = hub.log.read_text(), "".join(hub.stdout)
    for name in ("store", "role"):
        assert secrets[name] not in log and secrets[name] not in stdout, name
    assert "***" not in stdout or password not in stdout


JUPYTER_PATHS = ("lab", "lab/tree", "tree", "api/contents", "api/contents/coachkit.ipynb",
                 "terminals/1", "api/terminals", "api/kernels", "api/sessions",
                 "files/coachkit.ipynb", "voila/files/coachkit.ipynb",
                 "voila/render/coachkit.ipynb", "notebooks/coachkit.ipynb", "edit/x.txt",
                 "api/kernelspecs", "kernelspecs/python3/kernel.json",
                 "nbconvert/html/coachkit.ipynb", "api/nbconvert", "api/config/notebook",
                 "api/contents/coachkit.ipynb/checkpoints", "voila/tree", "voila/api/contents",
                 "view/coachkit.ipynb", "doc/tree/coachkit.ipynb", "api/me", "api/status")
"""What a Jupyter server answers and the seller's app must not: its editors, terminals,
files, contents, conversions, kernel specs and listings."""


def serves_the_app_only(hub: Hub, session: requests.Session, app: str) -> None:
    """A seller signed in at ``app`` (their page served, so their session holds the app's
    cookies) gets 403 for every Jupyter page and API, reading or writing (405 for a write
    sent with the page's _xsrf token)."""
    statuses = {path: session.get(f"{hub.url}{app}{path}", timeout=60).status_code
                for path in JUPYTER_PATHS}
    assert statuses == {p: 403 for p in statuses}
    for token in (False, True):
        # without the page's _xsrf token, refused for it (403); with it, no route takes the
        # write at all: the page's handler, which has no such method, answers (405)
        headers = {"X-XSRFToken": next(c.value for c in session.cookies
                                       if c.name == "_xsrf" and c.path == f"/{app}")
                   } if token else {}
        writes = {
            "POST api/kernels": session.post(f"{hub.url}{app}api/kernels", headers=headers,
                                             json={"name": "python3"}).status_code,
            "POST api/terminals": session.post(f"{hub.url}{app}api/terminals",
                                               headers=headers).status_code,
            "POST api/sessions": session.post(f"{hub.url}{app}api/sessions", headers=headers,
                                              json={"path": "x.ipynb", "type": "notebook",
                                                    "kernel": {"name": "python3"}}
                                              ).status_code,
            "PUT api/contents": session.put(f"{hub.url}{app}api/contents/x.txt",
                                            headers=headers,
                                            json={"type": "file", "format": "text",
                                                  "content": "x"}).status_code,
        }
        assert writes == {k: 405 if token else 403 for k in writes}, token


KERNEL_PROTOCOL = "v1.kernel.websocket.jupyter.org"
"""jupyter_server's binary websocket protocol (JupyterLab's), besides its JSON one."""


def code_from_the_browser_is_not_run(hub: Hub, session: requests.Session, app: str,
                                     kernel: str, folder: Path) -> None:
    """Only widget messages reach a page's kernel: an ``execute_request`` a signed-in seller
    sends over their own page's kernel websocket, in JSON or in jupyter_server's binary
    protocol, is dropped (while the kernel answers others on the same channel), so nobody
    runs code next to the store's credentials."""
    for n, protocol in enumerate((None, KERNEL_PROTOCOL)):
        marker = folder / f"ran-{n}"
        # asked as a standard client does: the handshake fails unless every proxy on the way
        # names the protocol the server chose (the hub's proxy named none before)
        channel = websocket.create_connection(
            f"{hub.url.replace('http', 'ws', 1)}{app}api/kernels/{kernel}/channels"
            f"?session_id={uuid.uuid4()}", origin=hub.url.rstrip("/"), timeout=15,
            header=[f"Cookie: {cookie_of(session)}"],
            subprotocols=[protocol] if protocol else None)
        assert channel.getsubprotocol() == protocol
        binary = protocol == KERNEL_PROTOCOL
        code = f"open({str(marker)!r}, 'w').write('ran')"
        try:
            for message in (
                    _message("execute_request", {
                        "code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
                        binary=binary),
                    _message("kernel_info_request", {}, binary=binary)):
                if isinstance(message, bytes):
                    channel.send_binary(message)
                else:
                    channel.send(message)
            seen: list[str] = []
            while "kernel_info_reply" not in seen:
                seen.append(_message_type(channel.recv()))
            time.sleep(3)
        finally:
            channel.close()
        assert "execute_reply" not in seen and not marker.exists(), (protocol, seen)


def _message(kind: str, content: dict[str, object], *, binary: bool) -> str | bytes:
    header = {"msg_id": str(uuid.uuid4()), "username": "seller", "version": "5.3",
              "session": str(uuid.uuid4()), "msg_type": kind, "date": ""}
    if binary:
        return serialize_msg_to_ws_v1([json.dumps(part).encode() for part in (
            header, {}, {}, content)], "shell")
    return json.dumps({"header": header, "parent_header": {}, "metadata": {},
                       "content": content, "channel": "shell", "buffers": []})


def _message_type(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        _channel, parts = deserialize_msg_from_ws_v1(raw)
        return str(json.loads(parts[0])["msg_type"])
    return str(json.loads(raw)["header"]["msg_type"])


def listens_on_loopback_only(hub: Hub, serving: tuple[str, ...], unix_only: tuple[str, ...]
                             ) -> None:
    """Every TCP socket the hub's processes listen on is on loopback; the processes running
    each module of ``serving`` are among them and listen, those of ``unix_only`` listen on no
    TCP port."""
    processes = hub.processes()
    addresses = listening(set(processes))
    assert addresses and all(a.startswith(("127.0.0.1:", "::1:")) for a in addresses), \
        addresses
    for module in (*serving, *unix_only):
        pids = running(processes, module)
        assert pids, (module, processes)
        assert bool(listening(pids)) == (module in serving), (module, listening(pids))
