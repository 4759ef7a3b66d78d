"""The hub's proxy: PyPI's ``configurable-http-proxy`` (the Python implementation), with
binary websocket frames forwarded as binary.

Its handler passes what the browser sends on to the server with ``write_message(message)``,
which sends a binary frame as text: ipywidgets sends an uploaded file (FileUpload) as a
binary frame, Jupyter's server cannot read it as a message and drops the connection, and
the page shows "connection lost" with nothing saved. Frames from the server to the browser
were already forwarded as they came. ``python -m coachkit.hub.proxy [options]`` takes the
same options as ``configurable-http-proxy``.

Kept in Python (not Node's configurable-http-proxy from npm): the team server then installs
with pip alone, and this is the one line that differs.
"""

from __future__ import annotations

from configurable_http_proxy import cli, configproxy
from configurable_http_proxy.handlers import ProxyHandler


class BinaryProxyHandler(ProxyHandler):
    """The proxy's handler, forwarding each frame from the browser as text or binary as it
    came."""

    def on_message(self, message: str | bytes) -> None:
        if self.ws_client:
            prefix = self.target["prefix"] if self.target else ""
            if prefix:
                self.proxy.update_last_activity(prefix)
            self.ws_client.write_message(message, binary=isinstance(message, bytes))


def main() -> None:
    # PythonProxy builds its application from this module global when cli.main() makes it
    configproxy.ProxyHandler = BinaryProxyHandler
    cli.main()


if __name__ == "__main__":
    main()
