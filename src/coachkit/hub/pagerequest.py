"""A preheated kernel learns its page's request over the user's Voila's Unix socket.

With preheating, the kernel runs the notebook before any page is asked for, then waits for
the page's request (its query string, ``?deal_id=...``) on Voila's ``/voila/query/<kernel
id>`` websocket. Voila's own ``wait_for_request()`` connects to it on a TCP port; on the team
server Voila has none (:mod:`coachkit.hub.uservoila`), so this connects over the socket
named in ``$COACHKIT_VOILA_SOCKET``. Light on purpose: it runs in every page's kernel.
"""

from __future__ import annotations

import json
import os

SOCKET_VAR = "COACHKIT_VOILA_SOCKET"
WAIT_SECONDS = 3600.0
"""A preheated kernel may wait long for its page; Voila's pool replaces it anyway."""


def wait_for_request_on_socket(path: str) -> None:
    """Wait for this kernel's page request and put it in ``os.environ``, as Voila's
    ``wait_for_request()`` does."""
    from websockets.sync.client import unix_connect

    base = os.environ.get("VOILA_SERVER_URL", "/")
    url = f"ws://localhost{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"
    with unix_connect(path, url, open_timeout=60, close_timeout=5) as channel:
        info = channel.recv(timeout=WAIT_SECONDS)
    for key, value in json.loads(info).items():
        os.environ[key] = value
