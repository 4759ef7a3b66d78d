"""The second wall around a PostgreSQL store (coachkit/hub/storeroles.py): code holding only
a seller's role (what their server's kernels are given) can neither read nor write another
team's deals, even with SQL written by an attacker; the app on that role still works."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from coachkit.access import Access
from coachkit.app.session import WorkbookSession
from coachkit.hub.storeroles import TeamRoles, role_name
from coachkit.model import Deal
from coachkit.store import Store
from coachkit.store.scoped import ScopedStore

pytestmark = pytest.mark.slow

ATTACK = r'''
import json, sys
import sqlalchemy as sa
url, theirs, mine = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
engine = sa.create_engine(url)
seen = {}
with engine.connect() as c:
    seen["deals"] = sorted(r[0] for r in c.execute(sa.text("SELECT id FROM deals")))
    for table in ("versions", "conflicts", "reviews", "review_events"):
        seen[table] = c.execute(sa.text(
            f"SELECT count(*) FROM {table} WHERE deal_id = ANY(:ids)"), {"ids": theirs}).scalar()
    seen["members"] = c.execute(sa.text("SELECT count(*) FROM coachkit_members")).scalar()
    seen["updated"] = c.execute(sa.text("UPDATE deals SET title = 'pwned' WHERE id = ANY(:ids)"),
                                {"ids": theirs}).rowcount
    c.rollback()
attempts = {
    "version of theirs": "INSERT INTO versions (deal_id, version, saved_at, author, document)"
                         " VALUES (:theirs, 999, now(), 'x', '{}')",
    "deal into their team": "INSERT INTO deals (id, customer, title, stage, team, seller,"
                            " latest_version, created_at, updated_at, updated_by)"
                            " VALUES ('planted', 'x', 'x', 'discovery', 'west', 'x', 1, now(),"
                            " now(), 'x')",
    "mine moved to their team": "UPDATE deals SET team = 'west' WHERE id = :mine",
    "join their team": "INSERT INTO coachkit_members (role, team) VALUES (current_user, 'west')",
    "delete mine": "DELETE FROM deals WHERE id = :mine",
    "store's role": "SET ROLE coachkit",
    "own role": "ALTER ROLE CURRENT_USER BYPASSRLS",
    "policy off": "ALTER TABLE deals DISABLE ROW LEVEL SECURITY",
    "new table": "CREATE TABLE planted (x int)",
}
for name, sql in attempts.items():
    try:
        with engine.begin() as c:
            done = c.execute(sa.text(sql), {"theirs": theirs[0], "mine": mine[0]})
            seen[name] = f"done ({done.rowcount} rows)"
    except sa.exc.DBAPIError as exc:
        seen[name] = "refused: " + type(exc.orig).__name__
print(json.dumps(seen))
'''


def in_team(deal: Deal, team: str) -> Deal:
    doc = deal.to_json_dict()
    return Deal.model_validate({**doc, "deal": {**doc["deal"], "team": team}})


def attack(url: str, theirs: list[str], mine: list[str],
           env: dict[str, str] | None = None) -> dict[str, object]:
    """The attacker's script in its own process, with nothing but the role's URL (or the
    whole environment of a user's kernel)."""
    done = subprocess.run([sys.executable, "-c", ATTACK, url, json.dumps(theirs),
                           json.dumps(mine)], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


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
