"""The team server's shared app (``coachkit hub --app shared``): ONE coachkit Voila for every
signed-in user, with a pool of preheated kernels, behind the hub's sign-in.

It runs behind :mod:`coachkit.hub.appproxy` (a hub service), on a Unix socket in a 0700
folder like a user's Voila (:class:`coachkit.hub.uservoila.HubVoila`). What makes it safe
for many users at once:

- **Who asks.** Only the proxy that started it (its parent, checked with ``SO_PEERCRED`` on
  each connection) reaches pages and kernels; it names the signed-in hub user in
  :data:`coachkit.access.USER_HEADER`, from the hub's OAuth alone. Any other process on the
  socket (a page's kernel, which must reach it for its page request) gets only
  ``/voila/query/<its own kernel>``, with its proof (:mod:`coachkit.app.page_request`).
- **Whose kernel.** A page records its user as its kernel's owner when it takes it from the
  pool; every kernel route (channels, the kernel's API, the tab-close shutdown) answers 403
  to anyone else, and the cap on open pages (``max_pages``) counts each user's own pages.
- **Who the kernel works for.** A pooled kernel starts before it knows its user, with no
  store URL and no hub token in its environment; the page request it receives carries the
  user and the store URL of their own database role (:mod:`coachkit.hub.storeroles`, made
  or refreshed here at page time), added from this server's records, never from the page.
- **Kernels kept waiting.** ``--pool N`` is room for N pages opening at once, not N kernels
  on top of the pages at work: every open page counts against it, and at least one kernel
  always waits (:meth:`SharedVoila.pool_target`). Ten sellers at work hold ten kernels and
  one more waits, instead of ten more; as pages close the pool grows back to N.
- **Its own secrets.** This process holds the store's URL (to make roles): it is made
  non-dumpable, so no other process of the same Unix user (code in a kernel) reads its
  memory or ``/proc/<pid>/environ``; kernels inherit neither the URL nor the hub's token.

``python -m coachkit.hub.sharedvoila NOTEBOOK ...`` runs it (``--HubVoila.unix_socket=...``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httputil import HTTPServerRequest
from tornado.routing import Matcher, Rule

from coachkit.access import (
    PAGE_STORE_VAR,
    PAGE_USER_VAR,
    SHARED_VAR,
    USER_HEADER,
    Access,
    from_identity_header,
    identity_header,
)
from coachkit.app.voila import SETTINGS_KEY, PageHandler, QueryHandler
from coachkit.errors import CoachkitError
from coachkit.hub.storeroles import TeamRoles, is_postgres
from coachkit.hub.uservoila import HubVoila
from coachkit.processes import not_dumpable
from coachkit.store import ENV_VAR as STORE_VAR

HIDDEN_FROM_KERNELS = (STORE_VAR, "PGPASSWORD", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN",
                       "JUPYTERHUB_CLIENT_ID", "JUPYTERHUB_OAUTH_CALLBACK_URL",
                       "JUPYTERHUB_OAUTH_SCOPES", "JUPYTERHUB_OAUTH_ACCESS_SCOPES",
                       "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES", "JUPYTERHUB_USER",
                       "JUPYTERHUB_API_URL", "JUPYTERHUB_ACTIVITY_URL")
"""Taken out of this process's environment before any kernel starts (kernels inherit it)."""
KERNEL_ROUTES = ("/api/kernels/", "/voila/api/shutdown/", "/voila/execution/")
OWNER_PATH = "coachkit/owner/"
"""``OWNER_PATH<kernel id>``: 204 if the kernel is the named user's page's (else 403); the
app's proxy asks it before opening a kernel's websocket."""
"""Routes naming a kernel: only its page's user reaches it."""


def peer_pid(request: HTTPServerRequest) -> int | None:
    """The process at the other end of the request's Unix socket (None on TCP)."""
    stream = getattr(request.connection, "stream", None)
    sock = getattr(stream, "socket", None)
    if sock is None or sock.family != socket.AF_UNIX:
        return None
    size = struct.calcsize("3i")
    pid, _uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET,
                                                          socket.SO_PEERCRED, size))
    return int(pid)


class _NotFromProxy(Matcher):
    """Requests from any process but the app's proxy, except a kernel's page-request channel
    (which checks the kernel's proof itself)."""

    def __init__(self, proxy_pid: int, query_prefix: str):
        self.proxy_pid = proxy_pid
        self.query_prefix = query_prefix

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        if peer_pid(request) == self.proxy_pid:
            return None
        if (request.path or "").startswith(self.query_prefix):
            return None
        return {}


class RefusedHandler(web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(403)
        self.finish("coachkit: the shared app answers through the hub only\n")


def signed_in_user(handler: web.RequestHandler) -> Access | None:
    """The hub user the proxy names (believed: only the proxy reaches these handlers)."""
    value = handler.request.headers.get(USER_HEADER)
    if not value:
        return None
    try:
        return from_identity_header(value)
    except CoachkitError:
        return None


def owned_kernels_only(handler_class: type) -> type:
    """``handler_class`` refusing, with 403 and before anything else, a kernel that is not
    the page kernel of the signed-in user."""

    class OwnedKernelHandler(handler_class):
        def prepare(self, *args: Any, **kwargs: Any) -> Any:
            server: SharedVoila = self.settings[SETTINGS_KEY]
            kernel_id = self.path_kwargs.get("kernel_id") or (
                self.path_args[0] if self.path_args else "")
            user = signed_in_user(self)
            owner = server.kernel_owners.get(str(kernel_id).strip("/"))
            if user is None or owner is None or owner != user.user:
                server.log.warning("kernel %s refused to %s (not their page's)", kernel_id,
                                 user.user if user else "nobody")
                raise web.HTTPError(403)
            return super().prepare(*args, **kwargs)

    OwnedKernelHandler.__name__ = f"Owned{handler_class.__name__}"
    return OwnedKernelHandler


class OwnerHandler(web.RequestHandler):
    """:data:`OWNER_PATH` (the ownership check itself is :func:`owned_kernels_only`'s)."""

    def get(self, kernel_id: str) -> None:
        self.set_status(204)
        self.finish()


class SharedPageHandler(PageHandler):
    """The app's page for the signed-in user the proxy names; their database role is made or
    refreshed before the page takes its kernel."""

    _owner: str | None = None

    def page_owner(self) -> str | None:
        return self._owner

    async def get(self, path: str | None = None) -> None:
        server: SharedVoila = self.settings[SETTINGS_KEY]
        if path:  # a file next to the notebook: Voila redirects, no kernel
            await super().get(path)  # type: ignore[misc]
            return
        access = signed_in_user(self)
        if access is None:
            raise web.HTTPError(403)
        if "template" in self.request.arguments or "theme" in self.request.arguments:
            # another template would start a kernel outside the pool, past these checks
            raise web.HTTPError(400)
        self._owner = access.user
        async with server.page_for(access):
            await super().get(path)  # type: ignore[misc]


class SharedVoila(HubVoila):
    """:class:`HubVoila` serving every signed-in user (module docstring)."""

    def initialize(self, argv: Any = None) -> None:
        self.store_location = os.environ.get(STORE_VAR, "")
        for name in HIDDEN_FROM_KERNELS:
            os.environ.pop(name, None)
        os.environ[SHARED_VAR] = "1"
        super().initialize(argv)
        if not self.preheated:
            raise SystemExit("coachkit: the shared app needs preheated kernels (--pool 1 or "
                             "more)")
        self.proxy_pid = os.getppid()
        self.roles = TeamRoles(self.store_location) if is_postgres(self.store_location) \
            else None
        self.users: dict[str, tuple[Access, str]] = {}
        """user -> their access and store URL, as their latest page had them."""
        self.pending: Counter[str] = Counter()
        self.roles_lock = asyncio.Lock()
        self.pool_full: int | None = None
        """``--pool``: the kernels waiting when no page is open."""

    def init_handlers(self) -> list[Any]:
        handlers = []
        for path, handler, *rest in super().init_handlers():
            if handler is PageHandler:
                handler = SharedPageHandler
            elif handler is not QueryHandler and any(r in path for r in KERNEL_ROUTES):
                handler = owned_kernels_only(handler)
            handlers.append((path, handler, *rest))
        owner = url_path_join(self.base_url, OWNER_PATH) + r"(?P<kernel_id>[0-9a-f-]{36})"
        return [(owner, owned_kernels_only(OwnerHandler)), *handlers]

    def listen(self) -> None:
        query = self.base_url.rstrip("/") + "/voila/query/"
        self.app.default_router.rules.insert(
            0, Rule(_NotFromProxy(self.proxy_pid, query), RefusedHandler))
        super().listen()

    @contextlib.asynccontextmanager
    async def page_for(self, access: Access) -> AsyncIterator[None]:
        """While a page of ``access.user`` is served: their store URL is ready (their role
        made or refreshed, their teams as the hub says now) and not closed under it."""
        async with self.roles_lock:
            self.pending[access.user] += 1
            try:
                known = self.users.get(access.user)
                if known is None or known[0] != access:
                    url = (await asyncio.to_thread(self.roles.url_for, access)
                           if self.roles else self.store_location)
                    self.users[access.user] = (access, url)
            except BaseException:
                self.pending[access.user] -= 1
                raise
        try:
            yield
        finally:
            self.pending[access.user] -= 1

    def page_extras(self, kernel_id: str) -> dict[str, str]:
        owner = self.kernel_owners.get(kernel_id)
        if owner is None or owner not in self.users:
            return {}
        access, url = self.users[owner]
        return {PAGE_USER_VAR: identity_header(access.user, access_groups(access),
                                               admin=access.admin),
                PAGE_STORE_VAR: url}

    def pool_target(self) -> int:
        """Kernels to keep waiting now: the pool less the pages open, at least one."""
        return max(1, (self.pool_full or 1) - len(self.kernel_owners))

    def size_pool(self) -> int:
        """Give Voila's refill the target (its public ``kernel_pools_config``, read each time
        it fills the pool); returns it."""
        manager = self.kernel_manager
        config = dict(manager.kernel_pools_config)
        default = dict(config.get("default", {}))
        if self.pool_full is None:
            self.pool_full = max(1, int(default.get("pool_size", 1)))
        target = self.pool_target()
        if default.get("pool_size") != target:
            default["pool_size"] = target
            config["default"] = default
            manager.kernel_pools_config = config
        return target

    def kernel_taken(self, notebook: str, owner: str | None) -> None:
        """Recorded as ``owner``'s page; the pool's target set before Voila refills it
        (Voila starts the replacement of a taken kernel only while pages are fewer than
        ``--pool``)."""
        super().kernel_taken(notebook, owner)
        self.size_pool()

    async def cull_pages(self) -> None:
        """Pages gone as usual, and the pool grown back by what they held; then a user with
        no page left has their database role closed (it no longer signs in; the next page
        gives it a new password)."""
        await super().cull_pages()
        notebook = self.kernel_manager.notebook_path
        if notebook is not None and self.size_pool() > len(self._pool_tasks(notebook)):
            self.kernel_manager.fill_if_needed(delay=0, notebook_name=notebook)
        async with self.roles_lock:
            working = set(self.kernel_owners.values())
            for user in [u for u in self.users if u not in working and not self.pending[u]]:
                del self.users[user]
                if self.roles is not None:
                    try:
                        await asyncio.to_thread(self.roles.close, user)
                    except Exception as exc:  # the store is down: the next page retries
                        self.log.warning("could not close the role of %s: %s", user,
                                         type(exc).__name__)


def access_groups(access: Access) -> list[str]:
    """The hub groups that give ``access`` (its inverse of :meth:`Access.from_groups`)."""
    from coachkit.access import managers_group, sellers_group

    return sorted([sellers_group(t) for t in access.sells]
                  + [managers_group(t) for t in access.manages])


def main() -> None:
    not_dumpable()  # before anything reads the store's URL into this process's memory
    SharedVoila.launch_instance()


if __name__ == "__main__":
    main()
