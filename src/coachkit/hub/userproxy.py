"""The front of a user's server: ``jupyter-standaloneproxy`` with the hub's sign-in on
websockets too.

The standaloneproxy checks the hub's OAuth cookie on plain HTTP requests only: its handler
replaces ``prepare()`` with ``pass``, and a websocket upgrade goes straight to the server
behind it. With coachkit's Voila behind it, a client with no cookie at all could then talk
to a page's kernel (``/api/kernels/<id>/channels``), and every anonymous upgrade of the page
URL made Voila render a page and take a kernel, using up the seller's pages.

:class:`UserProxy` is the same standaloneproxy (same options) whose handler refuses, with
403 and before anything reaches Voila, every websocket upgrade whose cookie is not the
hub's sign-in of someone allowed on this server (its owner; admins with access to servers).
HTTP requests keep the standaloneproxy's own check (a redirect to the hub's sign-in).
``python -m coachkit.hub.userproxy [standaloneproxy options] -- COMMAND`` runs it.
"""

from __future__ import annotations

from typing import Any

from jupyter_server_proxy.standalone.app import StandaloneProxyServer
from tornado import web


def _is_websocket_upgrade(handler: web.RequestHandler) -> bool:
    return (handler.request.method == "GET"
            and handler.request.headers.get("Upgrade", "").lower() == "websocket")


def signed_in_websockets(handler_class: type) -> type:
    """A subclass of the standaloneproxy's handler class that checks websocket upgrades."""

    class SignedInWebsocketProxyHandler(handler_class):
        def prepare(self, *args: Any, **kwargs: Any) -> None:
            # current_user: HubOAuthenticated's, the cookie's user if allowed on this server
            if _is_websocket_upgrade(self) and not getattr(self, "no_authentication", False) \
                    and not self.current_user:
                self.log.warning("websocket refused, not signed in as this server's owner: "
                                 "%s", self.request.path)
                raise web.HTTPError(403)
            super().prepare(*args, **kwargs)

    return SignedInWebsocketProxyHandler


class UserProxy(StandaloneProxyServer):
    """``jupyter-standaloneproxy`` whose websockets need the hub's sign-in too."""

    name = "coachkit-userproxy"

    def get_proxy_base_class(self) -> tuple[type | None, dict[str, Any]]:
        cls, kwargs = super().get_proxy_base_class()
        if cls is None:
            return None, kwargs
        return signed_in_websockets(cls), kwargs


def main() -> None:
    UserProxy.launch_instance()


if __name__ == "__main__":
    main()
