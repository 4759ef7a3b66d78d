"""coachkit's Voila as a user's server runs it: on a Unix socket in a private folder.

Behind the hub, Voila's own token is off (the hub signs users in, at the user's proxy), so
Voila on a loopback TCP port would serve any local program that connects to it: another
Unix user could read a seller's deals and save versions recorded as theirs. Here it listens
on a Unix socket instead (``--HubVoila.unix_socket=PATH``), mode 0600 in the 0700 folder the
user's proxy makes for it, so only the proxy (the same system user) reaches it, and only
after the hub's sign-in. ``python -m coachkit.hub.uservoila NOTEBOOK ...`` runs it.
"""

from __future__ import annotations

from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_unix_socket
from traitlets import Unicode

from coachkit.app.voila import CoachkitVoila

SOCKET_MODE = 0o600


class HubVoila(CoachkitVoila):
    """:class:`CoachkitVoila` listening on a Unix socket when ``unix_socket`` is set."""

    unix_socket = Unicode("", config=True, help=(
        "Listen on this Unix socket (made 0600) instead of a TCP port."))

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


def main() -> None:
    HubVoila.launch_instance()


if __name__ == "__main__":
    main()
