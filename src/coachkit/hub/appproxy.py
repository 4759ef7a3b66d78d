"""The front of the team server's shared app: :class:`coachkit.hub.userproxy.UserProxy` as a
hub service, naming the signed-in user to the app.

It lets through every hub user with access to the service (the service's OAuth access
scope, which the ``user`` role grants team members), pages and websockets alike, and hands
each request to the shared Voila (:mod:`coachkit.hub.sharedvoila`) on its Unix socket with
:data:`coachkit.access.USER_HEADER` set from the hub's OAuth sign-in: the user's name,
groups and admin flag as the hub reports them. Every ``X-Coachkit-*`` header the browser
sends is dropped first. The process is made non-dumpable (it holds the service's hub token,
and the store's URL passes through it to Voila): no kernel of the same Unix user reads it.
``python -m coachkit.hub.appproxy [standaloneproxy options] -- COMMAND`` runs it.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from tornado import web
from tornado.httputil import HTTPConnection, HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.ioloop import IOLoop

from coachkit.access import USER_HEADER, identity_header
from coachkit.hub.sharedvoila import OWNER_PATH
from coachkit.hub.userproxy import UserProxy
from coachkit.processes import not_dumpable

OWN_HEADERS = "x-coachkit-"
CHANNELS = re.compile(r"/api/kernels/([0-9a-f-]{36})/channels$")


def naming_the_user(handler_class: type) -> type:
    """A subclass of the proxy's handler that names the signed-in user to the app."""

    class NamingProxyHandler(handler_class):
        def identity(self) -> str | None:
            user = self.current_user
            if not user or user.get("kind", "user") != "user":
                return None
            return identity_header(str(user["name"]), [str(g) for g in user.get("groups") or []],
                                   admin=bool(user.get("admin")))

        def proxy_request_headers(self) -> Any:
            headers = super().proxy_request_headers()
            for name in [n for n in headers if n.lower().startswith(OWN_HEADERS)]:
                del headers[name]
            identity = self.identity()
            if identity:
                headers[USER_HEADER] = identity
            return headers

        async def prepare(self, *args: Any, **kwargs: Any) -> None:
            """The sign-in check on websockets, then, for a kernel's channels, whether the
            kernel is this user's page's: the proxy answers the browser's upgrade before it
            connects to Voila, so Voila's own refusal would come as an open websocket that
            closes; asked first, it is a 403 as it should be."""
            super().prepare(*args, **kwargs)
            kernel = CHANNELS.search(self.request.path or "")
            if kernel and self.request.headers.get("Upgrade", "").lower() == "websocket" \
                    and not await self.owns(kernel.group(1)):
                self.log.warning("websocket refused: kernel %s is not a page of %s",
                                 kernel.group(1), (self.current_user or {}).get("name"))
                raise web.HTTPError(403)

        async def owns(self, kernel_id: str) -> bool:
            identity = self.identity()
            if not identity or not isinstance(self.unix_socket, str):
                return False
            url = f"http://localhost{self.settings['base_url']}/{OWNER_PATH}{kernel_id}"
            try:
                async with aiohttp.ClientSession(
                        connector=aiohttp.UnixConnector(self.unix_socket)) as session, \
                        session.get(url, headers={USER_HEADER: identity},
                                    allow_redirects=False) as answer:
                    return answer.status == 204
            except aiohttp.ClientError:
                return False

    return NamingProxyHandler


class _NoConnection(HTTPConnection):
    """The connection of the request that starts the app at once (no client behind it)."""

    def set_close_callback(self, callback: Any) -> None:
        pass


class AppProxy(UserProxy):
    """The shared app's proxy (module docstring). Unlike a user's server, it starts the app
    (Voila, its pool of kernels) at once, not at the first page: the first seller to sign in
    does not wait for it."""

    name = "coachkit-appproxy"

    def get_proxy_base_class(self) -> tuple[type | None, dict[str, Any]]:
        cls, kwargs = super().get_proxy_base_class()
        if cls is None:
            return None, kwargs
        return naming_the_user(cls), kwargs

    _made: tuple[type | None, dict[str, Any]] | None = None

    def make_proxy_handler(self) -> tuple[type | None, dict[str, Any]]:
        """Made once: the handler's state (the process it supervises) is in its kwargs."""
        if self._made is None:
            self._made = super().make_proxy_handler()
        return self._made

    def create_app(self) -> web.Application:
        app = super().create_app()
        handler, kwargs = self.make_proxy_handler()

        async def start_app() -> None:
            # the proxy's handler starts the process it supervises on its first request;
            # one made here, for no client, starts it now (with the same state)
            request = HTTPServerRequest(
                start_line=RequestStartLine("GET", f"{self.base_url}/", "HTTP/1.1"),
                headers=HTTPHeaders({"Host": "localhost"}), connection=_NoConnection())
            assert handler is not None
            try:
                await handler(app, request, **kwargs).ensure_process()
            except Exception as exc:  # the first page tries again, and says why
                self.log.warning("the app did not start at once: %s", exc)

        IOLoop.current().add_callback(start_app)  # once the proxy serves (start())
        return app


def main() -> None:
    not_dumpable()
    AppProxy.launch_instance()


if __name__ == "__main__":
    main()
