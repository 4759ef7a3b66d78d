"""What the hub tests look at from outside: a page's visible words, a process's environment
and listening sockets, a websocket's answer (shared by the per-user and the shared-app hub
tests)."""

from __future__ import annotations

from pathlib import Path

import websocket

from support.hubserver import signed_in_page


def listed(page) -> list[str]:
    """The customers of the deals in the picker's list."""
    labels = page.eval_on_selector_all(".ck-deal-list option",
                                       "els => els.map(e => e.textContent)")
    return sorted(label.replace("\xa0", " ").split(" · ")[0] for label in labels)


STOCK_WORDS = ("JupyterHub", "Start My Server", "Stop My Server", "Stop Server", "Token",
               "Launch Server", "Logout")
"""JupyterHub's own words, which no page on a seller's or manager's way shows."""


def coachkit_face(page) -> str:
    """The page's visible text, checked to be coachkit's: its name, none of the hub's own
    words, no hub logo."""
    text = page.inner_text("body")
    assert page.title() == "coachkit", page.title()
    assert "coachkit" in text
    assert not [w for w in STOCK_WORDS if w in text], text
    assert page.locator("img[src$='/logo'], #jupyterhub-logo").count() == 0
    return text


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_text(errors="replace")
    return dict(e.split("=", 1) for e in raw.split("\0") if "=" in e)


def cookie_of(session) -> str:
    """A requests session's cookies as a ``Cookie`` header (for a websocket)."""
    return "; ".join(f"{k}={v}" for k, v in session.cookies.get_dict().items())


def signs_out_at_the_app(hub, session, app: str) -> None:
    """``<app>logout`` typed by hand (a 500 before): the app's sign-in cookie goes, the hub's
    sign-out follows, and the app then asks to sign in again."""
    assert session.get(f"{hub.url}{app}", timeout=300).status_code == 200
    own = [c.name for c in session.cookies if c.path.rstrip("/") == f"/{app}".rstrip("/")
           and c.name.startswith(("jupyterhub-user-", "service-"))]
    assert own, [(c.name, c.path) for c in session.cookies]
    answer = session.get(f"{hub.url}{app}logout", timeout=60, allow_redirects=False)
    assert (answer.status_code, answer.headers.get("Location")) == (302, "/hub/logout")
    assert not [c for c in session.cookies if c.name in own]
    after = session.get(f"{hub.url}hub/logout", timeout=60)
    assert after.status_code == 200 and "/hub/login" in after.url
    again = session.get(f"{hub.url}{app}", timeout=60)
    assert "/hub/login" in again.url and "Sign in to coachkit" in again.text


def websocket_answer(url: str, *, cookie: str = "", origin: str = "") -> str:
    """"open" if the websocket opens, else the HTTP status of its refusal."""
    try:
        channel = websocket.create_connection(
            url, header=[f"Cookie: {cookie}"] if cookie else [], origin=origin or None,
            timeout=180)
    except websocket.WebSocketBadStatusException as exc:
        return str(exc.status_code)
    except (OSError, websocket.WebSocketException) as exc:
        return f"failed: {exc.__class__.__name__}"
    channel.close()
    return "open"


def socket_inodes(pids: set[int]) -> dict[str, int]:
    """The inodes of the sockets these processes hold open -> the pid holding each (from
    /proc)."""
    inodes: dict[str, int] = {}
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = fd.readlink().name if fd.is_symlink() else ""
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = pid
        except OSError:
            continue
    return inodes


def listening(pids: set[int]) -> set[str]:
    """The addresses TCP sockets of these processes listen on (from /proc)."""
    inodes = socket_inodes(pids)
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                if width == 8:
                    ip = ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    ip = "::1" if address.endswith("01000000") and address.startswith("0" * 16) \
                        else address
                found.add(f"{ip}:{int(port, 16)}")
    return found


def unix_sockets(pids: set[int]) -> set[str]:
    """The paths of the Unix sockets these processes listen on (from /proc)."""
    inodes = socket_inodes(pids)
    found = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        # Flags 00010000: __SO_ACCEPTCON, a listening socket
        if len(fields) >= 8 and fields[6] in inodes and fields[3] == "00010000" \
                and fields[7].startswith("/"):
            found.add(fields[7])
    return found


def sellers_see_only_their_teams(browser, hub, team_store, app: str) -> None:
    """ana (east) and wes (west) signed in through the hub land in the app at ``app``
    (``{user}`` for the user's name), see their own team's deals only, and a link to the
    other team's deal answers one line and none of its data."""
    east, west = team_store["teams"]["east"], team_store["teams"]["west"]
    customers: dict[str, str] = team_store["customers"]
    for user, mine, theirs in (("ana", east, west), ("wes", west, east)):
        url = hub.url + app.format(user=user)
        context, page = signed_in_page(browser, hub, user)
        try:
            assert page.url == url
            assert listed(page) == sorted(customers[i] for i in mine)
            assert f"Signed in as {user}" in page.inner_text(".ck-who")
            page.goto(f"{url}?deal_id={theirs[0]}")
            message = page.wait_for_selector(".ck-error-box:has-text('no deal')",
                                             timeout=120_000)
            team = "east" if user == "ana" else "west"
            assert message.inner_text().strip() == (
                f"no deal '{theirs[0]}' among the deals of your teams ({team})")
            assert customers[theirs[0]] not in page.inner_text("body")
            assert not page.is_visible(".ck-steps")
            assert listed(page) == sorted(customers[i] for i in mine)
        finally:
            context.close()
