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
``<server>/logout`` is the proxy's own: it clears the server's sign-in cookie and goes on to
the hub's sign-out (it reached Voila before, whose Jupyter sign-out page failed: a 500).
``python -m coachkit.hub.userproxy [standaloneproxy options] -- COMMAND`` runs it.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_server.utils import url_path_join
from jupyter_server_proxy.standalone.app import StandaloneProxyServer
from jupyterhub.services.auth import HubOAuthenticated
from tornado import web
from tornado.routing import PathMatches, Rule


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


class SignOutHandler(HubOAuthenticated, web.RequestHandler):
    """``<server>/logout``: this server's sign-in cookie goes, then the hub's sign-out ends
    the hub's session (and the tokens it gave this server)."""

    def get(self) -> None:
        self.hub_auth.clear_cookie(self)
        self.redirect(url_path_join(self.hub_auth.hub_prefix, "logout"))


class UserProxy(StandaloneProxyServer):
    """``jupyter-standaloneproxy`` whose websockets need the hub's sign-in too, and whose
    ``logout`` is the hub's."""

    name = "coachkit-userproxy"

    def create_app(self) -> web.Application:
        app = super().create_app()
        # ahead of the proxy's catch-all rule
        app.default_router.rules.insert(0, Rule(
            PathMatches(f"{re.escape(self.base_url.rstrip('/'))}/logout$"), SignOutHandler))
        return app

    def get_proxy_base_class(self) -> tuple[type | None, dict[str, Any]]:
        cls, kwargs = super().get_proxy_base_class()
        if cls is None:
            return None, kwargs
        return signed_in_websockets(cls), kwargs


def main() -> None:
    UserProxy.launch_instance()


if __name__ == "__main__":
    main()
