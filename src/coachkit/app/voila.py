"""coachkit's Voila: the standalone Voila server, hardened for pages that hold customer data.

``coachkit app`` runs it as ``python -m coachkit.app.voila NOTEBOOK ...``; behind JupyterHub the
same entry point runs with the hub's sign-in in front, and ``require_token=False`` and
``check_host=False`` switch off what the hub's proxy does instead. What it adds to Voila:

- a token on every page, API call and websocket, read from ``$JUPYTER_TOKEN`` (a command line
  is visible to every user in ``ps``). The first visit trades it for a cookie and is redirected
  to the same URL without it, so it stays out of the address bar, copied links and the kernel;
- requests naming another host are refused (DNS rebinding);
- the ``_xsrf`` cookie on pages, so the tab-close beacon is accepted and ends its kernel (plain
  Voila answers it 403 and the kernel lives on);
- a page kernel whose websocket has been gone for ``page_grace`` seconds is shut down, the
  graceful way, so it saves what is pending first; a kernel killed from outside is not
  restarted empty (it could never serve its page again);
- at most ``max_pages`` page kernels; the next page is a plain one saying what to do;
- the ``coachkit`` page template (no third-party requests, the lost-connection banner, the
  upload size check) and a websocket limit just above the workbook size limit;
- SIGTERM, SIGINT and SIGHUP all stop the server and shut every kernel down.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import os
import signal
import sys
import threading
import time
import webbrowser
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import ChoiceLoader, FileSystemLoader
from jupyter_core.utils import ensure_async, run_sync
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httputil import HTTPServerRequest
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.routing import Matcher, Rule
from traitlets import Bool, Float, Integer, List, TraitError, Unicode
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.voila_identity_provider import VoilaLoginHandler

from coachkit.adapters.voila import pool_tasks
from coachkit.app.page_request import PROOF_HEADER, kernel_proof
from coachkit.app.server import PREFIX_VARIABLE
from coachkit.html import Markup, html
from coachkit.model.files import MAX_FILE_BYTES
from coachkit.shipped import app_pages_dir, jupyter_data_dir

TEMPLATE = "coachkit"
"""The page template shipped in :func:`coachkit.shipped.jupyter_data_dir`."""

WEBSOCKET_LIMIT = 2 * MAX_FILE_BYTES
"""Largest websocket message: an upload travels as one, so a file a little over the workbook
limit still reaches the kernel and gets its one-line refusal (the page refuses bigger ones
before sending them)."""

SETTINGS_KEY = "coachkit_voila"


def _is_local(host: str, allowed: list[str]) -> bool:
    """A Host header naming this machine: an allowed name or a loopback address."""
    host = host.strip("[]")
    if host in allowed:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _ForeignHost(Matcher):
    """Matches requests whose Host is not this machine (a DNS rebinding page sends its own)."""

    def __init__(self, allowed: list[str]):
        self.allowed = allowed

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        return None if _is_local(request.host_name, self.allowed) else {}


class ForeignHostHandler(web.RequestHandler):
    """Refuses every method, websockets included, with one line of plain text."""

    def prepare(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("coachkit: this app answers only at its own address; open the URL that "
                    "`coachkit app` printed.\n")  # not the address: it holds a secret path


def _without_token(request: HTTPServerRequest) -> str:
    query = [(k, v) for k, v in parse_qsl(request.query, keep_blank_values=True)
             if k != "token"]
    return request.path + (f"?{urlencode(query)}" if query else "")


class PageHandler(TornadoVoilaHandler):
    """The notebook page: token and cookies, then the page cap, then Voila's page."""

    @web.authenticated
    async def get(self, path: str | None = None) -> None:
        server: CoachkitVoila = self.settings[SETTINGS_KEY]
        if "token" in self.request.query_arguments:  # the login cookie is set by now
            self.redirect(_without_token(self.request))
            return
        if server.xsrf_cookie:
            _ = self.xsrf_token  # sets the _xsrf cookie the tab-close beacon sends back
        if path:  # a file next to the notebook: Voila redirects, no kernel
            await super().get(path)
            return
        # One page at a time takes its kernel, so pages opened together (a browser restoring
        # its tabs) are counted one by one against the cap; those over it are told at once.
        owner = self.page_owner()
        if server.pages_over_cap(queued=True, owner=owner):
            self._too_many(server, owner)
            return
        lock = server.page_lock
        server.pages_queued[owner] += 1
        try:
            await lock.acquire()
        finally:
            server.pages_queued[owner] -= 1
        server.lock_owner = owner
        locked = True
        try:
            await server.next_kernel_ready(self.notebook_path)
            if server.pages_over_cap(queued=False, owner=owner):
                self._too_many(server, owner)
                return
            server.kernel_taken(self.notebook_path, owner)
            page = super().get(path)
            if server.preheated:
                # Voila takes the ready kernel before its first await: the next page may go.
                lock.release()
                locked = False
            server.pages_rendering += 1
            try:
                await page
            finally:
                server.pages_rendering -= 1
        finally:
            if locked:
                lock.release()

    def page_owner(self) -> str | None:
        """Whose page this is, when one server serves many users (the shared app of the team
        server); None: every page is the server's one user's."""
        return None

    def _too_many(self, server: CoachkitVoila, owner: str | None = None) -> None:
        in_use = len(server.page_kernels(owner))
        self.log.warning("page refused: %d page kernels run (max_pages %d)", in_use,
                         server.max_pages)
        self.set_status(429)
        self.set_header("Retry-After", str(int(server.page_grace) + 1))
        self.set_header("Cache-Control", "no-store")
        # the server's own pages (src/coachkit/app/pages), not Voila's notebook templates
        page = self.settings["jinja2_env"].get_template("too-many-pages.html")
        self.finish(page.render(in_use=in_use, cap=server.max_pages,
                                grace=f"{server.page_grace + 1:.0f}"))


class QueryHandler(RequestInfoSocketHandler):
    """Voila's ``/voila/query/<kernel id>``, where a preheated kernel receives its page
    request, open to that kernel only (:mod:`coachkit.app.page_request`): anyone else who
    connected first would take the seller's request and leave the page hanging."""

    async def get(self, *args: Any, **kwargs: Any) -> None:
        kernel_id = kwargs.get("kernel_id") or (args[0] if args else "")
        try:
            key = self.settings["kernel_manager"].get_kernel(kernel_id).session.key
        except KeyError:
            key = None
        given = self.request.headers.get(PROOF_HEADER, "")
        if not key or not hmac.compare_digest(given, kernel_proof(key, kernel_id)):
            self.set_status(403)
            self.finish("coachkit: this address is for the app's own kernels\n")
            return
        self.page_kernel = kernel_id
        await super().get(*args, **kwargs)

    def write_message(self, message: Any, binary: bool = False) -> Any:
        """The page request (a dict), with what the server adds for this kernel's page from
        its own records (:meth:`CoachkitVoila.page_extras`: the shared app's user and store)."""
        server: CoachkitVoila | None = self.settings.get(SETTINGS_KEY)
        kernel_id = getattr(self, "page_kernel", "")
        if isinstance(message, dict) and server is not None and kernel_id:
            message = {**message, **server.page_extras(kernel_id)}
        return super().write_message(message, binary)

    def on_close(self) -> None:
        """Forget this connection only. Voila's own looks for it and, not finding it (its
        kernel connected twice, or it closed before opening), deletes the last connection
        registered, the newest preheated kernel's: the next page's request is then kept for
        a kernel that never asks again, and that page never finishes loading."""
        waiters: dict[str, Any] = RequestInfoSocketHandler._waiters
        for kernel_id, waiter in list(waiters.items()):
            if waiter is self:
                del waiters[kernel_id]


class SignInHandler(VoilaLoginHandler):
    """coachkit's sign-in page, in its own words: Jupyter's says to run ``jupyter server
    list`` and shows ``localhost:8888``, neither of which means anything to a seller."""

    def _render(self, message: dict[str, str] | None = None) -> None:
        action = url_path_join(self.base_url, "login") + "?" + urlencode(
            {"next": self.get_argument("next", default=self.base_url)})
        self.set_header("Cache-Control", "no-store")
        # tornado's xsrf field is markup it built (its value escaped)
        self.finish(self.render_template(
            "sign-in.html", action=action, xsrf=Markup(self.xsrf_form_html()),
            wrong_token=bool(message and message.get("error"))))


class TemplateFileHandler(TemplateStaticFileHandler):
    """Voila's handler for a template's static files, with a 404 for a path that names no file
    (``voila/templates/coachkit/``: Voila's raised ValueError, a 500)."""

    def parse_url_path(self, url_path: str) -> str:
        if url_path.count("/") < 2:
            raise web.HTTPError(404)
        return str(super().parse_url_path(url_path))


def _retrieve(sent: asyncio.Future[None]) -> None:
    if not sent.cancelled():
        sent.exception()  # read, so asyncio does not log it as never retrieved


class KernelSocketHandler(VoilaKernelWebsocketHandler):
    """The page's kernel websocket. It tells the server the page connected (the cull's poll
    alone missed a page that connected and left between two of its checks, and gave its
    kernel the first-connect grace, a minute, instead of the page's). A tab that closes while
    a message is on its way makes tornado's send task fail with ``WebSocketClosedError``;
    jupyter_server never awaits it, so asyncio logged "Task exception was never retrieved"
    for every closed tab. The page is gone and its kernel is ended as usual: nothing to
    report."""

    async def open(self, kernel_id: str) -> None:
        server: CoachkitVoila | None = self.settings.get(SETTINGS_KEY)
        if server is not None:
            server.page_connected(kernel_id)
        await super().open(kernel_id)

    def write_message(self, message: Any, binary: bool = False) -> Any:
        sent = super().write_message(message, binary)
        if isinstance(sent, asyncio.Future):
            sent.add_done_callback(_retrieve)
        return sent


class CoachkitVoila(Voila):
    """Voila with the token, Host check, page cap, kernel culling and template above."""

    require_token = Bool(True, config=True, help=(
        "Refuse to start without a token ($JUPYTER_TOKEN). Switch off only behind a proxy "
        "that signs users in (JupyterHub)."))
    check_host = Bool(True, config=True, help=(
        "Refuse requests whose Host header is not this machine (DNS rebinding). Switch off "
        "behind a proxy that passes its public host name."))
    allowed_hosts = List(Unicode(), ["localhost"], config=True, help=(
        "Host names answered besides loopback addresses, when check_host is on."))
    xsrf_cookie = Bool(True, config=True, help=(
        "Set the _xsrf cookie on pages, so the tab-close beacon can end the page's kernel."))
    max_pages = Integer(6, config=True, help=(
        "Most page kernels at once (0: no cap); the next page says to close one."))
    page_grace = Float(10.0, config=True, help=(
        "Seconds a page's websocket may stay closed before its kernel is shut down."))
    first_connect_grace = Float(60.0, config=True, help=(
        "Seconds a served page may take to connect its websocket at all (a slow browser, a "
        "loaded machine) before its kernel is shut down."))
    cull_every = Float(1.0, config=True, help="Seconds between checks for pages gone.")
    token: str | None  # Voila's own trait (jupyter_server 2), typed here for mypy

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        from_env = os.environ.pop("JUPYTER_TOKEN", "")  # kernels inherit this environment
        if self.token is None and from_env:
            self.token = from_env
        prefix = os.environ.pop(PREFIX_VARIABLE, "")
        if prefix:
            self.base_url = f"/{prefix.strip('/')}/"
        if self.require_token and not self.token:
            sys.exit("coachkit voila: no token; set JUPYTER_TOKEN (coachkit app does), or pass "
                     "--CoachkitVoila.require_token=False behind a proxy that signs users in")
        if "restart_limit" not in self.config.KernelRestarter:
            # a restarted kernel has not run the notebook: its page could never use it
            self.config.KernelRestarter.restart_limit = 0
        self.page_lock = asyncio.Lock()
        self.pages_queued: Counter[str | None] = Counter()
        self.lock_owner: str | None = None
        self.kernel_owners: dict[str, str] = {}
        """kernel id -> the user whose page took it (the shared app only)."""
        self.pages_rendering = 0
        self._stopping = False
        self._quiet_since: dict[str, float] = {}
        self._connected: set[str] = set()

    def setup_template_dirs(self) -> None:
        """The coachkit template unless configured otherwise, and no ``?template=`` or
        ``?theme=`` from the URL (either would bring back Voila's own page)."""
        data = str(jupyter_data_dir())
        paths = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
        if data not in paths:
            os.environ["JUPYTER_PATH"] = os.pathsep.join([data, *filter(None, paths)])
        configured = self.config.VoilaConfiguration
        if "template" not in configured:
            self.voila_configuration.template = TEMPLATE
        if "allow_template_override" not in configured:
            self.voila_configuration.allow_template_override = "NO"
        if "allow_theme_override" not in configured:
            self.voila_configuration.allow_theme_override = "NO"
        super().setup_template_dirs()

    @property
    def preheated(self) -> bool:
        return bool(self.voila_configuration.preheat_kernel)

    def init_settings(self) -> dict[str, Any]:
        settings = super().init_settings()
        settings[SETTINGS_KEY] = self
        settings["websocket_max_message_size"] = WEBSOCKET_LIMIT
        # the server's own pages (sign-in, sign-out, errors) are coachkit's: Jupyter's
        # need a static_path Voila does not set, and failed as a bare 500
        server_pages = settings["jinja2_env"]
        server_pages.loader = ChoiceLoader([FileSystemLoader(str(app_pages_dir())),
                                            server_pages.loader])
        settings.setdefault("xsrf_cookie_kwargs", {"path": self.base_url})
        self.identity_provider.login_handler_class = SignInHandler
        return settings

    def init_handlers(self) -> list[Any]:
        ours = {TornadoVoilaHandler: PageHandler, RequestInfoSocketHandler: QueryHandler,
                VoilaKernelWebsocketHandler: KernelSocketHandler,
                TemplateStaticFileHandler: TemplateFileHandler}
        handlers = []
        for path, handler, *rest in super().init_handlers():
            if path in ("/login", "/logout"):  # Jupyter's sign-in is not under base_url
                path = url_path_join(self.base_url, path)
            handlers.append((path, ours.get(handler, handler), *rest))
        return handlers

    # -- kernels -----------------------------------------------------------------------------

    def _pool_tasks(self, notebook: str | None = None) -> list[asyncio.Task[Any]]:
        """The preheated kernels, ready or starting (Voila says which only in a private
        name: :mod:`coachkit.adapters.voila`)."""
        return pool_tasks(self.kernel_manager, notebook)

    def page_kernels(self, owner: str | None = None) -> list[str]:
        """Running kernels that serve (or served) a page: all but the ready preheated ones and
        those shutting down (a closed tab's kernel no longer holds a place under the cap while
        its shutdown finishes); with ``owner``, that user's pages only."""
        pooled = set()
        for task in self._pool_tasks():
            if task.done() and not task.cancelled() and task.exception() is None:
                pooled.add(task.result()["kernel_id"])
        return [k for k in self.kernel_manager.list_kernel_ids()
                if k not in pooled and not self._shutting_down(k)
                and (owner is None or self.kernel_owners.get(k) == owner)]

    def page_extras(self, kernel_id: str) -> dict[str, str]:
        """Variables the page request of this kernel carries besides Voila's own."""
        return {}

    def kernel_taken(self, notebook: str, owner: str | None) -> None:
        """The page of ``owner`` is about to take the first ready kernel of the pool (under
        the page lock: no other page takes it): it is recorded as that user's."""
        if owner is None:
            return
        tasks = self._pool_tasks(notebook)
        if not tasks or not tasks[0].done() or tasks[0].cancelled() \
                or tasks[0].exception() is not None:
            raise web.HTTPError(503, "no kernel ready for the page")
        self.kernel_owners[tasks[0].result()["kernel_id"]] = owner

    def page_connected(self, kernel_id: str) -> None:
        """A page's websocket reached its kernel: from now on its grace is ``page_grace``."""
        self._connected.add(kernel_id)
        self._quiet_since.pop(kernel_id, None)

    def _shutting_down(self, kernel_id: str) -> bool:
        try:
            return bool(getattr(self.kernel_manager.get_kernel(kernel_id), "shutting_down",
                                False))
        except KeyError:  # removed meanwhile
            return True

    def pages_over_cap(self, *, queued: bool, owner: str | None = None) -> bool:
        """Whether one more page (of ``owner``, when pages have owners) would pass
        ``max_pages``; with ``queued``, counting the pages still waiting for their kernel (and
        the one taking it now) as open."""
        if not self.max_pages:
            return False
        taking = self.page_lock.locked() and self.lock_owner == owner
        waiting = self.pages_queued[owner] + taking if queued else 0
        return len(self.page_kernels(owner)) + waiting >= self.max_pages

    async def next_kernel_ready(self, notebook: str) -> None:
        """Wait until the kernel the next page takes is started, so it is counted."""
        tasks = self._pool_tasks(notebook)
        if tasks and not tasks[0].done():
            await asyncio.wait([tasks[0]])

    async def cull_pages(self) -> None:
        """Shut down the kernels of pages gone for their grace period (tab closed without the
        beacon, browser killed, a GET that never opened its page)."""
        now = time.monotonic()
        pages = self.page_kernels()
        for gone in set(self._quiet_since) - set(pages):
            del self._quiet_since[gone]
        running = set(self.kernel_manager.list_kernel_ids())
        for gone in set(self.kernel_owners) - running:
            del self.kernel_owners[gone]
        self._connected &= set(pages)
        for kernel_id in pages:
            try:
                connections = self.kernel_manager.kernel_model(kernel_id)["connections"]
            except (KeyError, web.HTTPError, TraitError):  # ended meanwhile, or starting
                # (a pool's kernel still starting has no last_activity yet)
                continue
            if connections:
                self._connected.add(kernel_id)
                self._quiet_since.pop(kernel_id, None)
                continue
            if kernel_id not in self._connected and self.pages_rendering:
                self._quiet_since[kernel_id] = now  # it may be the page still being sent
                continue
            since = self._quiet_since.setdefault(kernel_id, now)
            grace = self.page_grace if kernel_id in self._connected else self.first_connect_grace
            if now - since < grace:
                continue
            self.log.info("Kernel %s: its page has been gone for %.0f s; shutting it down",
                          kernel_id, now - since)
            self._quiet_since.pop(kernel_id, None)
            self._connected.discard(kernel_id)
            try:
                await self.kernel_manager.shutdown_kernel(kernel_id)
            except (KeyError, RuntimeError, web.HTTPError) as exc:
                self.log.warning("Kernel %s did not shut down: %s", kernel_id, exc)

    # -- running and stopping ----------------------------------------------------------------

    def start(self) -> None:
        loop = IOLoop.current()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.asyncio_loop.add_signal_handler(sig, self._stop_on_signal, sig)  # type: ignore[attr-defined]
        PeriodicCallback(self.cull_pages, self.cull_every * 1000).start()
        super().start()

    def listen(self) -> None:
        """Voila's listen() serves until stopped; the Host check goes first among the rules
        of the application Voila has built by now."""
        if self.check_host:
            self.app.default_router.rules.insert(
                0, Rule(_ForeignHost(list(self.allowed_hosts)), ForeignHostHandler))
        super().listen()

    def stop(self) -> None:
        """Preheated kernels end first, at once: they hold no page and no edit, and one still
        waiting for its page request, shut down the graceful way, went on running the notebook
        on sockets already closed (ipykernel's ``ZMQError`` traceback on every Ctrl-C). Page
        kernels then shut down gracefully (Voila's own stop), saving what is pending."""
        run_sync(self._end_preheated)()
        super().stop()

    async def _end_preheated(self) -> None:
        """SIGKILL before the shutdown: jupyter_client's shutdown interrupts (SIGINT) before it
        kills, and a preheated kernel interrupted in the notebook logged that KeyboardInterrupt
        as a page error whenever it ran before the kill (seen in CI on Ctrl-C)."""
        for task in self._pool_tasks():
            if task.done() and not task.cancelled() and task.exception() is None:
                kernel_id = task.result()["kernel_id"]
                with contextlib.suppress(KeyError, RuntimeError, OSError, web.HTTPError):
                    # the kernel's own manager: the multi-kernel one logs every signal
                    kernel = self.kernel_manager.get_kernel(kernel_id)
                    await ensure_async(kernel.signal_kernel(signal.SIGKILL))
                    await self.kernel_manager.shutdown_kernel(kernel_id, now=True)

    def _stop_on_signal(self, sig: int) -> None:
        if self._stopping:
            return  # already shutting the kernels down: a second Ctrl-C must not cut that short
        self._stopping = True
        self.log.info("%s: stopping; every kernel is shut down", signal.Signals(sig).name)
        IOLoop.current().stop()

    def launch_browser(self) -> None:
        """Open the page through a file in the server's private folder that redirects to the
        URL with the token: a browser's command line is visible to every user, that file is
        not (Jupyter does the same)."""
        url = f"{self.connection_url}?{urlencode({'token': self.token})}"
        opener = Path(self.connection_dir) / "open.html"
        opener.write_text(html('<!doctype html><meta http-equiv="refresh" content="0;url={0}">'
                               '<a href="{0}">Open coachkit</a>\n', url), encoding="utf-8")
        with contextlib.suppress(webbrowser.Error):
            browser = webbrowser.get(self.browser or None)
            threading.Thread(target=browser.open, args=(opener.as_uri(),), daemon=True).start()


def main() -> None:
    CoachkitVoila.launch_instance()


if __name__ == "__main__":
    main()
