"""coachkit's Voila as a user's server runs it: on a Unix socket in a private folder.

Behind the hub, Voila's own token is off (the hub signs users in, at the user's proxy), so
Voila on a loopback TCP port would serve any local program that connects to it: another
Unix user could read a seller's deals and save versions recorded as theirs. Here it listens
on a Unix socket instead (``--HubVoila.unix_socket=PATH``), mode 0600 in the 0700 folder the
user's proxy makes for it, so only the proxy (the same system user) reaches it, and only
after the hub's sign-in; page kernels learn their request over it too
(:mod:`coachkit.app.page_request`). ``python -m coachkit.hub.uservoila NOTEBOOK ...`` runs it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_unix_socket
from traitlets import Unicode

from coachkit.app.page_request import SOCKET_VAR
from coachkit.app.voila import CoachkitVoila

SOCKET_MODE = 0o600
PROXY_FOLDER_PREFIX = "jupyter-server-proxy-"
"""How jupyter-server-proxy names the folder it makes for the socket."""


class HubVoila(CoachkitVoila):
    """:class:`CoachkitVoila` listening on a Unix socket when ``unix_socket`` is set."""

    unix_socket = Unicode("", config=True, help=(
        "Listen on this Unix socket (made 0600) instead of a TCP port."))

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if self.unix_socket:
            # kernels inherit it: a preheated one learns its page's request over the socket
            os.environ[SOCKET_VAR] = self.unix_socket

    def listen(self) -> None:
        """Voila's listen() binds ``app.listen(port, ip)`` and then serves until stopped;
        with a socket path, that bind is the Unix socket's, and no TCP port is opened."""
        if self.unix_socket:
            sock = bind_unix_socket(self.unix_socket, mode=SOCKET_MODE)

            def listen_unix(*_args: Any, **_kwargs: Any) -> HTTPServer:
                server = HTTPServer(self.app)
                server.add_socket(sock)
                return server

            self.app.listen = listen_unix
            self.log.info("coachkit: listening on the Unix socket %s only", self.unix_socket)
        super().listen()

    def stop(self) -> None:
        """Voila's stop (kernels shut down), then the socket goes, with the folder the user's
        proxy made for it (``--unix-socket=True``: a new ``jupyter-server-proxy-*`` folder)."""
        super().stop()
        if self.unix_socket:
            path = Path(self.unix_socket)
            path.unlink(missing_ok=True)
            if path.parent.name.startswith(PROXY_FOLDER_PREFIX):
                with contextlib.suppress(OSError):  # not empty: not only ours
                    path.parent.rmdir()


def main() -> None:
    HubVoila.launch_instance()


if __name__ == "__main__":
    main()
