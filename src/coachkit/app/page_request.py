"""The page request, handed to a preheated kernel over ``/voila/query/<kernel id>`` by its
kernel alone.

Voila's query websocket has no check at all: whoever connects first to a kernel's id (which
``ps`` shows) receives the seller's next page request, and the page never loads. Here the
kernel proves who it is with an HMAC of its id under its connection key, the secret Voila
and the kernel already share (it signs every kernel message and never travels itself);
:class:`coachkit.app.voila.QueryHandler` refuses every other client.

On the team server a user's Voila has no TCP port, only a Unix socket
(:mod:`coachkit.hub.uservoila`, named in ``$COACHKIT_VOILA_SOCKET``): the kernel connects
over it, with the same proof. Light on purpose: it runs in every page's kernel.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import threading

PROOF_HEADER = "X-Coachkit-Kernel-Proof"
SOCKET_VAR = "COACHKIT_VOILA_SOCKET"
SOCKET_WAIT_SECONDS = 3600.0
"""A preheated kernel may wait long for its page; Voila's pool replaces it anyway."""


class StoppedBeforePage(KeyboardInterrupt):
    """Interrupted while waiting for its page. A server interrupts a kernel only to shut it
    down (jupyter_client sends SIGINT before every shutdown): there is no page and no edit,
    so nothing to report (:mod:`coachkit.app.incidents` stays silent)."""


def kernel_proof(key: bytes, kernel_id: str) -> str:
    """What a kernel sends to show it holds its connection key."""
    return hmac.new(key, f"voila-query:{kernel_id}".encode(), hashlib.sha256).hexdigest()


def _query_url(kernel_id: str) -> str:
    """Where Voila waits for this kernel, from the variables Voila gives its kernels (as
    ``voila.utils.wait_for_request`` reads them)."""
    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    ip = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{ip}:{port}{base}voila/query/{kernel_id}"


async def _receive(url: str, proof: str) -> str | None:
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    try:
        conn = await websocket_connect(HTTPRequest(url, headers={PROOF_HEADER: proof},
                                                   connect_timeout=5))
    except (HTTPClientError, OSError):
        return None
    message = await conn.read_message()
    conn.close()
    return message if isinstance(message, str) else None


def _receive_on_socket(path: str, kernel_id: str, proof: str) -> str | None:
    from websockets.sync.client import unix_connect

    base = os.environ.get("VOILA_SERVER_URL", "/")
    url = f"ws://localhost{base}voila/query/{kernel_id}"
    with unix_connect(path, url, open_timeout=60, close_timeout=5,
                      additional_headers={PROOF_HEADER: proof}) as channel:
        message = channel.recv(timeout=SOCKET_WAIT_SECONDS)
    return message if isinstance(message, str) else None


_received: list[bool] = []
"""Whether this kernel has its page request already (a kernel serves one page)."""


def wait_for_request() -> None:
    """In a preheated kernel: wait for the page request and put its variables
    (``QUERY_STRING``, ...) in the environment, as Voila's own helper does, but proving to
    Voila that this is the kernel. Once per kernel: a second call returns at once.

    In the team server's shared app (:mod:`coachkit.hub.sharedvoila`) the request also
    brings the page's signed-in user and the store URL of their database role
    (:func:`coachkit.access.shared_access`): the server adds both from its own sign-in,
    never from anything the page sends."""
    from IPython import get_ipython

    if _received:
        return
    _received.append(True)
    kernel_id = os.environ.get("VOILA_KERNEL_ID", "")
    kernel = getattr(get_ipython(), "kernel", None)
    if not kernel_id or kernel is None:
        return
    proof = kernel_proof(kernel.session.key, kernel_id)
    try:
        message = _wait(kernel_id, proof)
    except KeyboardInterrupt:
        raise StoppedBeforePage from None
    if message:
        os.environ.update(json.loads(message))


def _wait(kernel_id: str, proof: str) -> str | None:
    socket = os.environ.get(SOCKET_VAR)
    if socket:  # the team server's user Voila: no TCP port
        return _receive_on_socket(socket, kernel_id, proof)
    found: list[str | None] = []
    # the kernel's own event loop runs in this thread: the wait gets a thread and loop of its
    # own (a daemon: a kernel shut down while waiting must not wait for it to exit)
    thread = threading.Thread(
        target=lambda: found.append(asyncio.run(_receive(_query_url(kernel_id), proof))),
        daemon=True)
    thread.start()
    thread.join()
    return found[0] if found else None
