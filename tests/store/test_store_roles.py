"""The second wall around a PostgreSQL store (coachkit/hub/storeroles.py): code holding only
a seller's role (what their server's kernels are given) can neither read nor write another
team's deals, even with SQL written by an attacker; the app on that role still works."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from coachkit.access import Access
from coachkit.app.session import WorkbookSession
from coachkit.hub.storeroles import TeamRoles, role_name
from coachkit.store import Store
from coachkit.store.scoped import ScopedStore
from support.attacker import attack
from support.helpers import in_team

pytestmark = pytest.mark.slow


def test_a_sellers_role_reaches_only_their_teams_deals(postgres, demo):
    location = postgres.new_database()
    deals = sorted(demo.values(), key=lambda d: d.id)
    east = [d.id for d in deals[0::2]]
    west = [d.id for d in deals[1::2]]
    with Store(location) as store:
        for deal in deals:
            store.put(in_team(deal, "east" if deal.id in east else "west"), author="demo")
            store.add_review(deal.id, version=1, by="max", note="check the budget")
    roles = TeamRoles(location)
    ana = Access.from_groups("ana", ["coachkit-team-east"])
    url = roles.url_for(ana)
    parsed = make_url(url)
    assert parsed.username == role_name(str(parsed.database), "ana")
    assert parsed.password != make_url(location).password

    seen = attack(url, west, east)
    assert seen["deals"] == sorted(east)
    assert seen["versions"] == seen["conflicts"] == seen["reviews"] == 0
    assert seen["members"] == 1 and seen["updated"] == 0
    refused = {k: v for k, v in seen.items() if isinstance(v, str)}
    assert len(refused) == 9 and all(v.startswith("refused") for v in refused.values()), seen
    with Store(location) as store:  # nothing of it reached the store
        assert {d.id for d in store.list_deals()} == set(east) | set(west)
        assert all(d.title != "pwned" for d in store.list_deals())
        assert {d.id: d.team for d in store.list_deals()} == {
            **{i: "east" for i in east}, **{i: "west" for i in west}}

    # the app on ana's role works as on the store's: it lists, opens and saves her deals
    with Store(url) as own:
        session = WorkbookSession(ScopedStore(own, ana), author="ana", save_delay=0)
        new = session.new("Acme", "Fewer stockouts", seller="ana", team="east")
        session.set(("deal", "title"), "Fewer stockouts, fewer rush orders")
        session.flush()
        assert [v.author for v in own.history(new)] == ["ana", "ana"]
        assert {d.id for d in own.list_deals()} == {*east, new}

    # a new start of her server: a new password, the old one no longer signs in
    second = roles.url_for(ana)
    assert make_url(second).password != parsed.password
    assert "refused" in attack_login(url)
    # her server stops: its role no longer signs in; the next start opens it again
    roles.close("ana")
    assert "refused" in attack_login(second)
    third = roles.url_for(ana)
    assert "in" in attack_login(third).split()
    # a manager of both teams, and an admin, reach both
    both = roles.url_for(Access.from_groups("max", ["coachkit-managers-east",
                                                    "coachkit-managers-west"]))
    assert attack(both, west, east)["deals"] == sorted([*east, *west, new])
    admin = roles.url_for(Access.from_groups("adam", [], admin=True))
    assert attack(admin, west, east)["deals"] == sorted([*east, *west, new])
    # someone in no team reaches nothing
    assert attack(roles.url_for(Access.from_groups("nobody", [])), west, east)["deals"] == []


def attack_login(url: str) -> str:
    done = subprocess.run([sys.executable, "-c", "import sys, sqlalchemy as sa\n"
                           "try:\n sa.create_engine(sys.argv[1]).connect()\n print('in')\n"
                           "except sa.exc.OperationalError:\n print('refused')", url],
                          capture_output=True, text=True, timeout=60)
    return done.stdout


def test_ten_sellers_starting_at_once_each_get_their_own_role(postgres, demo):
    """Ten servers starting together (a team signing in at 9:00): each role is made once,
    with its own password, and each signs in."""
    from concurrent.futures import ThreadPoolExecutor

    location = postgres.new_database()
    with Store(location) as store:
        store.put(in_team(next(iter(demo.values())), "east"), author="demo")
    roles = TeamRoles(location)
    sellers = [Access.from_groups(f"s{i:02d}", ["coachkit-team-east"]) for i in range(10)]
    with ThreadPoolExecutor(10) as pool:
        urls = list(pool.map(roles.url_for, sellers))
    assert len({make_url(u).username for u in urls}) == 10
    with ThreadPoolExecutor(5) as pool:
        assert list(pool.map(attack_login, urls)) == ["in\n"] * 10
