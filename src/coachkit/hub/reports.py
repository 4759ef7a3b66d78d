"""The ``coachkit-reports`` hub service: managers read their teams' reports.

    GET /services/coachkit-reports/                     the teams you manage (admins: all)
    GET /services/coachkit-reports/teams/<team>/        that team's report
    GET /services/coachkit-reports/teams/<team>/<file>  a deal report (or PDF, CSV) of it
    POST /services/coachkit-reports/teams/<team>/render render that team now (with _xsrf;
                                                        one request a team per RENDER_GAP)

Users are signed in through the hub (OAuth, :class:`HubOAuthenticated`): anonymous visitors
are sent to the hub's sign-in, and the hub tells who they are and their groups. Only the
managers of a team and the hub's admins read its reports; anyone else gets 403. Reports
are rendered by :mod:`coachkit.hub.rendering` in a background thread.

Run by the hub (``python -m coachkit.hub.reports``) with the environment it gives services
plus ``COACHKIT_STORE``, ``COACHKIT_REPORTS_DIR``, ``COACHKIT_REPORTS_TEAMS`` (comma
separated) and ``COACHKIT_REPORTS_EVERY`` (minutes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import signal
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from tornado import web

from coachkit.access import Access
from coachkit.html import Markup, html, join
from coachkit.hub.rendering import SERVED, Renderings
from coachkit.model.review import Review
from coachkit.processes import not_dumpable
from coachkit.store.location import ENV_VAR

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>{refresh}
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:46em;margin:2.5em auto;padding:0 1em;
color:#1f2933}} table{{border-collapse:collapse;width:100%}} td,th{{text-align:left;
padding:.45em .6em;border-bottom:1px solid #d9dee3}} .running{{color:#8a5a00}}
.problem{{color:#a61b1b}} a{{color:#1858a8}} form{{margin:0}} ul.news{{margin:0 0 .3em;
padding-left:1.2em}} .answered,.action-done{{font-weight:600;color:#166534}}</style></head>
<body><h1>{title}</h1>{body}
<p><a href="/hub/home">Hub home</a> · <a href="/hub/logout">Sign out</a></p></body></html>
"""


REFRESH_SECONDS = 15
"""How often the index reloads itself while a team is being rendered (no script)."""


def page(title: str, body: Markup, *, refresh: bool = False) -> Markup:
    """A page: ``body`` built with :func:`coachkit.html.html`, ``title`` escaped here.
    ``refresh``: the page reloads itself every :data:`REFRESH_SECONDS` (a rendering is under
    way)."""
    meta = html("<meta http-equiv='refresh' content='{}'>", REFRESH_SECONDS) if refresh else ""
    return html(PAGE, title=title, body=body, refresh=meta)


def when(at: dt.datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "not yet"


class Base(HubOAuthenticated, web.RequestHandler):
    """Signed in through the hub; errors as a short page, nothing else said."""

    def access(self) -> Access:
        user: dict[str, Any] = self.current_user
        return Access.from_groups(user["name"], user.get("groups") or [],
                                  admin=bool(user.get("admin")))

    @property
    def renderings(self) -> Renderings:
        return self.settings["renderings"]

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = {403: "You may not read these reports: they are for the managers of the "
                       "team.",
                  404: "There is no such report."}.get(status_code, "Something went wrong.")
        self.finish(page(f"{status_code} · coachkit reports", html("<p>{}</p>", reason)))


def review_news(store: str, team: str) -> list[tuple[str, str, Review]]:
    """The team's deals whose latest review has an answer or an action done, as
    (deal id, customer, review), most recent event first: what the index marks."""
    if not store:
        return []
    from coachkit.store import Store

    found = []
    with Store(store) as st:
        for deal in st.list_deals(team=team):
            reviews = st.reviews(deal.id)
            if reviews and any(e.kind in ("answer", "done") for e in reviews[-1].events):
                found.append((deal.id, deal.customer or deal.id, reviews[-1]))
    return sorted(found, key=lambda f: max(e.at for e in f[2].events), reverse=True)


def news_html(prefix: str, team: str, news: list[tuple[str, str, Review]]) -> Markup:
    items = []
    for deal_id, customer, review in news:
        marks = []
        answers = [e for e in review.events if e.kind == "answer"]
        if answers:
            marks.append(html("<span class='answered'>answered</span> by {} ({})",
                              answers[-1].by, when(answers[-1].at)))
        done = [a for a in review.action_states() if a.done]
        if done:
            marks.append(html("<span class='action-done'>action done</span> ({} of {})",
                              len(done), len(review.actions)))
        if marks:
            items.append(html("<li data-deal='{}'><a href='{}teams/{}/{}.html'>{}</a>, review "
                              "{}: {}</li>", deal_id, prefix, quote(team), quote(deal_id),
                              customer, review.number, join(marks, " · ")))
    return html("<ul class='news'>{}</ul>", join(items)) if items else Markup()


class IndexHandler(Base):
    @web.authenticated
    def get(self) -> None:
        access = self.access()
        teams = [t for t in self.renderings.teams if access.may_read_reports(t)]
        if not teams:
            self.set_status(403)
            self.finish(page("coachkit reports", html(
                "<p id='no-teams'>You manage no team, so there are no reports for you here. "
                "Reports are for the managers of a team.</p>")))
            return
        prefix = self.settings["prefix"]
        rows = []
        for team in teams:
            state = self.renderings.state(team)
            name = self.renderings.team_report(team)
            pdf = self.renderings.file(team, name[:-5] + ".pdf") if name else None
            link = (html("<a class='team-report' href='{}teams/{}/'>{}</a>", prefix,
                         quote(team), team) if name else html("{}", team))
            pdf_link = (html(" · <a class='team-pdf' href='{}teams/{}/{}'>PDF</a>", prefix,
                             quote(team), quote(pdf.name)) if pdf else "")
            status = (html("<span class='running'>rendering now…</span>") if state.running
                      else html("<span class='running'>asked, starts soon…</span>")
                      if state.queued
                      # tornado's xsrf field is markup it built (its value escaped)
                      else html("<form method='post' action='{}teams/{}/render'>{}"
                                "<button>Render now</button></form>", prefix, quote(team),
                                Markup(self.xsrf_form_html())))
            news = news_html(prefix, team, review_news(self.settings["store"], team))
            problem = (html("<div class='problem'>{}</div>", state.problem)
                       if state.problem else "")
            at = state.rendered_at.isoformat() if state.rendered_at else ""
            rows.append(html("<tr data-team='{}' data-rendered='{}'><td>{}{}</td>"
                             "<td class='rendered'>{}</td><td>{}{}</td></tr>", team, at, link,
                             pdf_link, when(state.rendered_at), status, problem))
            if news:
                rows.append(html("<tr class='news-row'><td colspan='3'>{}</td></tr>", news))
        every = float(self.settings["every"])
        busy = any(self.renderings.state(t).running or self.renderings.state(t).queued
                   for t in teams)
        self.finish(page("coachkit reports", html(
            "<p>Signed in as <b>{}</b>. Team reports rank every deal of the team and link to "
            "each deal's report. They are rendered when the hub starts and every {:g} "
            "minutes, or now when you ask. Under each team: the deals whose seller answered "
            "the last review or ticked one of its actions.</p>"
            "<table><thead><tr><th>Team</th><th>Rendered</th><th></th></tr></thead><tbody>"
            "{}</tbody></table>", access.user, every, join(rows)), refresh=busy))


class ReportHandler(Base):
    @web.authenticated
    def get(self, team: str, name: str) -> None:
        if not self.access().may_read_reports(team) or team not in self.renderings.teams:
            raise web.HTTPError(403)
        name = name or (self.renderings.team_report(team) or "")
        path = self.renderings.file(team, name)
        if path is None:
            raise web.HTTPError(404)
        self.set_header("Content-Type", SERVED[path.suffix])
        self.finish(path.read_bytes())


class RenderHandler(Base):
    """A manager's "Render now": the team is rendered in the background, then the index."""

    @web.authenticated
    def post(self, team: str) -> None:
        if not self.access().may_read_reports(team) or team not in self.renderings.teams:
            raise web.HTTPError(403)
        refused = self.renderings.render_now(team)
        if refused:
            self.set_status(429)
            self.finish(page("coachkit reports", html(
                "<p class='refused'>Not now: {}.</p><p><a href='{}'>Back to the reports</a></p>",
                refused, self.settings["prefix"])))
            return
        self.redirect(self.settings["prefix"], status=303)


def make_app(renderings: Renderings, prefix: str, every: float,
             store: str = "") -> web.Application:
    return web.Application(
        [
            (prefix, IndexHandler),
            (f"{prefix}oauth_callback", HubOAuthCallbackHandler),
            (f"{prefix}teams/([^/]+)/render", RenderHandler),
            (f"{prefix}teams/([^/]+)/([^/]*)", ReportHandler),
        ],
        renderings=renderings, prefix=prefix, every=every, store=store,
        xsrf_cookies=True,
        cookie_secret=secrets.token_bytes(32),  # per process: a restart asks the hub again
    )


async def serve() -> None:
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    teams = [t for t in os.environ.get("COACHKIT_REPORTS_TEAMS", "").split(",") if t]
    every = float(os.environ.get("COACHKIT_REPORTS_EVERY", "60"))
    renderings = Renderings(Path(os.environ["COACHKIT_REPORTS_DIR"]), teams)
    url = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
    # on one machine the service's URL is on loopback; in a cluster it is a Service name,
    # and COACHKIT_REPORTS_BIND says which address to listen on
    address = os.environ.get("COACHKIT_REPORTS_BIND", url.hostname or "127.0.0.1")
    server = make_app(renderings, prefix, every, os.environ.get(ENV_VAR, "")
                      ).listen(url.port or 80, address)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # the hub stops services with SIGINT
        loop.add_signal_handler(sig, stop.set)
    worker = threading.Thread(target=renderings.every, args=(every,), daemon=True)
    worker.start()
    await stop.wait()
    server.stop()
    renderings.stop()
    worker.join(timeout=10)


if __name__ == "__main__":
    not_dumpable()  # it holds the store's own URL: no kernel of the same user reads it
    asyncio.run(serve())
