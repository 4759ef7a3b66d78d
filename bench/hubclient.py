"""A seller's sign-in to the team server as the network sees it, without a browser.

bench/hub.py's "ten at once" puts ten Chromium tabs on the same two cores as the server: the
tabs' own work (about 3 CPU-seconds each for Voila's front end) is most of the figure, and a
real team's browsers run on their own laptops and phones. This client does what a browser
does on the wire, with little CPU of its own, so the figure measures the server:

1. ``GET /hub/login``, post the form, follow every redirect (the hub, the app's OAuth) with
   the cookies they set, to the app's page (Voila renders it in a pooled kernel);
2. fetch the static files a real browser fetched for the same page (recorded from Chromium in
   the same run: :func:`static_paths`);
3. open the page kernel's websocket as Voila's front end does and ask the kernel for every
   widget's state (``jupyter.widget.control`` / ``request_states``), until the picker's
   search box is in it and enabled: what the browser needs to show the first usable input.

Uses tornado (the hub extra) only; each call keeps its own cookies.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

from ipywidgets._version import __control_protocol_version__
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse
from tornado.websocket import websocket_connect

BROWSER_LANES = 6
"""Requests a browser makes at once to one host (Chromium's limit for HTTP/1.1)."""
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]+)"')
"""Where Voila's page names its kernel (its page config)."""
SEARCH_CLASS = "ck-search"
"""The picker's search box (``coachkit.app.picker``): the first usable input."""


class Seller:
    """One seller's browser on the wire: a cookie jar and the requests a page makes."""

    def __init__(self, base: str, user: str, password: str):
        self.base, self.user, self.password = base, user, password
        self.cookies: dict[str, str] = {}
        self.http = AsyncHTTPClient(force_instance=True, max_clients=6)

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep(self, response: HTTPResponse) -> None:
        for header in response.headers.get_list("Set-Cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def fetch(self, url: str, *, method: str = "GET", body: str | None = None,
                    headers: dict[str, str] | None = None) -> HTTPResponse:
        """One request and every redirect after it, as a browser follows them."""
        for _ in range(20):
            response = await self.http.fetch(HTTPRequest(
                url, method=method, body=body, follow_redirects=False,
                headers={**self._cookie_header(), **(headers or {})},
                request_timeout=600), raise_error=False)
            self._keep(response)
            if response.code not in (301, 302, 303, 307):
                if response.code >= 400:
                    raise RuntimeError(f"{self.user}: {method} {url} answered {response.code}")
                return response
            url = urljoin(url, response.headers["Location"])
            method, body, headers = "GET", None, None
        raise RuntimeError(f"{self.user}: too many redirects from {url}")

    async def sign_in(self) -> HTTPResponse:
        """The sign-in form posted (its page fetched before), then every redirect to the
        app's page."""
        form = {"username": self.user, "password": self.password,
                "_xsrf": self.cookies.get("_xsrf", "")}
        return await self.fetch(
            f"{self.base}hub/login?next=", method="POST", body=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Origin": self.base.rstrip("/")})

    async def widgets_ready(self, page_url: str, page: str) -> None:
        """The page kernel's widget states, as Voila's front end asks for them, until the
        search box is among them and enabled."""
        found = KERNEL_ID.search(page)
        if not found:
            raise RuntimeError(f"{self.user}: no kernel id in the app's page")
        parts = urlsplit(page_url)
        session = uuid.uuid4().hex
        ws_url = (f"ws://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/api/kernels/"
                  f"{found.group(1)}/channels?session_id={session}")
        conn = await websocket_connect(HTTPRequest(
            ws_url, headers={**self._cookie_header(), "Origin": f"http://{parts.netloc}"},
            request_timeout=600, connect_timeout=600))
        try:
            comm = uuid.uuid4().hex

            def message(msg_type: str, content: dict, metadata: dict | None = None) -> str:
                return json.dumps({
                    "header": {"msg_id": uuid.uuid4().hex, "username": self.user,
                               "session": session, "msg_type": msg_type, "version": "5.3",
                               "date": ""},
                    "parent_header": {}, "metadata": metadata or {}, "content": content,
                    "channel": "shell", "buffers": []})

            await conn.write_message(message("comm_open", {
                "comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
                {"version": __control_protocol_version__}))
            await conn.write_message(message("comm_msg", {
                "comm_id": comm, "data": {"method": "request_states"}}))
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                raw = await conn.read_message()
                if raw is None:
                    raise RuntimeError(f"{self.user}: the kernel's websocket closed")
                msg = json.loads(raw if isinstance(raw, str) else legacy_binary(raw))
                data = msg.get("content", {}).get("data", {})
                if msg.get("msg_type") == "comm_msg" and data.get("method") == "update_states":
                    states = [s.get("state", {}) for s in data.get("states", {}).values()]
                    if any(SEARCH_CLASS in s.get("_dom_classes", ()) and not s.get("disabled")
                           for s in states):
                        return
                    raise RuntimeError(f"{self.user}: the search box is not in the page")
            raise RuntimeError(f"{self.user}: no widget states within 600 s")
        finally:
            conn.close()

    async def first_usable_input(self, statics: list[str]) -> float:
        """Seconds from posting the sign-in form to the search box's state received."""
        await self.fetch(f"{self.base}hub/login")  # the sign-in page, before the click
        started = time.perf_counter()
        response = await self.sign_in()
        page = response.body.decode()
        while KERNEL_ID.search(page) is None:  # a per-user server starting: the hub's wait
            await asyncio.sleep(0.5)
            response = await self.fetch(f"{self.base}hub/user-redirect/")
            page = response.body.decode()
        page_url = response.effective_url
        lanes = asyncio.Semaphore(BROWSER_LANES)

        async def one(path: str) -> None:
            async with lanes:
                await self.fetch(urljoin(page_url, path))

        await asyncio.gather(*(one(path) for path in statics))
        await self.widgets_ready(page_url, page)
        return time.perf_counter() - started

    def close(self) -> None:
        self.http.close()


def legacy_binary(frame: bytes) -> bytes:
    """The JSON part of a kernel message sent with buffers (jupyter_server's legacy
    websocket format: a count, the offsets, then the message and its buffers)."""
    count = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 * (i + 1):4 * (i + 2)], "big") for i in range(count)]
    return frame[offsets[0]:offsets[1] if count > 1 else None]


def static_paths(urls: list[str], page_url: str) -> list[str]:
    """The app's static files among the URLs a browser fetched for the page at
    ``page_url``, relative to it (another user's page has another prefix on per-user
    servers): everything under the app but the page itself, its sign-in redirect and the
    APIs (kernels, shutdown)."""
    prefix = urlsplit(page_url).path
    seen: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        rest = path[len(prefix):] if path.startswith(prefix) else ""
        if (rest and "/api/" not in f"/{rest}" and not rest.startswith("oauth_callback")
                and rest not in seen):
            seen.append(rest)
    return seen
