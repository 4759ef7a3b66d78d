"""The hub's proxy: PyPI's ``configurable-http-proxy`` (the Python implementation), with
binary websocket frames forwarded as binary.

Its handler passes what the browser sends on to the server with ``write_message(message)``,
which sends a binary frame as text: ipywidgets sends an uploaded file (FileUpload) as a
binary frame, Jupyter's server cannot read it as a message and drops the connection, and
the page shows "connection lost" with nothing saved. Frames from the server to the browser
were already forwarded as they came. The websocket protocol the server chose is named to
the browser too (it was passed on, but the proxy's answer named none).
``python -m coachkit.hub.proxy [options]`` takes the same options as
``configurable-http-proxy``.

It also reads the whole answer of the server before sending any of it (``fetch()`` then
``write(body)``): the hub's progress events (``text/event-stream``) then reached the wait
page all at once when the server was ready, so a seller saw no step of it. An event stream
is forwarded as it comes instead (as ``jupyter-server-proxy`` does for the same header).

Kept in Python (not Node's configurable-http-proxy from npm): the team server then installs
with pip alone, and this is the one line that differs.
"""

from __future__ import annotations

from typing import Any

from configurable_http_proxy import cli, configproxy
from configurable_http_proxy.handlers import ProxyHandler
from tornado import httputil
from tornado.httpclient import AsyncHTTPClient

from coachkit.processes import not_dumpable

EVENT_STREAM = "text/event-stream"
HOP_HEADERS = ("content-length", "transfer-encoding", "content-encoding", "connection")
"""Headers of the server's answer not passed on (as the proxy's own handler does)."""


class BinaryProxyHandler(ProxyHandler):
    """The proxy's handler, forwarding each frame from the browser as text or binary as it
    came."""

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        """The websocket protocol the server chose, named in the answer to the browser too
        (the server is connected first, with the browser's offer): the proxy's own handler
        named none, and a standard client that asks for one (jupyter_server's binary
        ``v1.kernel.websocket.jupyter.org``) then refuses the handshake."""
        chosen = self.ws_client.selected_subprotocol if self.ws_client else None
        return chosen if chosen in subprotocols else None

    def on_message(self, message: str | bytes) -> None:
        if self.ws_client:
            prefix = self.target["prefix"] if self.target else ""
            if prefix:
                self.proxy.update_last_activity(prefix)
            self.ws_client.write_message(message, binary=isinstance(message, bytes))

    async def call_proxy(self, path: Any = None) -> None:
        if EVENT_STREAM not in self.request.headers.get("Accept", ""):
            await super().call_proxy(path)
            return
        url = await self.get_target_url(path)
        if url is None:
            return
        request = self._get_proxy_request(url)
        lines: list[str] = []
        seen: set[str] = set()

        def send_headers() -> None:
            for line in lines:
                if line.startswith("HTTP/"):
                    self.set_status(httputil.parse_response_start_line(line.strip()).code)
                elif line.strip():
                    name, _, value = (part.strip() for part in line.partition(":"))
                    if name.lower() in HOP_HEADERS:
                        continue
                    # the server's value replaces the proxy's default (Date, Server, ...);
                    # a repeated header (Set-Cookie) is kept repeated
                    (self.add_header if name.lower() in seen else self.set_header)(name, value)
                    seen.add(name.lower())
            lines.clear()

        def each_chunk(chunk: bytes) -> None:
            send_headers()  # once: the lines are gone after the first chunk
            self.write(chunk)
            self.flush()

        request.header_callback = lines.append
        request.streaming_callback = each_chunk
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except Exception as err:  # as the proxy's own handler: the server is gone
            await self.handle_proxy_error(503, err)
            return
        send_headers()
        self.set_status(response.code)
        self.finish()


def main() -> None:
    not_dumpable()  # its token (in its environment) changes the hub's routes
    # PythonProxy builds its application from this module global when cli.main() makes it
    configproxy.ProxyHandler = BinaryProxyHandler
    cli.main()


if __name__ == "__main__":
    main()
