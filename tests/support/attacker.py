"""An attacker holding only a seller's PostgreSQL role (or the whole environment of her
kernel): what the store's second wall must refuse (tests of the store and of the hub)."""

from __future__ import annotations

import json
import subprocess
import sys

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


def attack(url: str, theirs: list[str], mine: list[str],
           env: dict[str, str] | None = None) -> dict[str, object]:
    """The attacker's script in its own process, with nothing but the role's URL (or the
    whole environment of a user's kernel)."""
    done = subprocess.run([sys.executable, "-c", ATTACK, url, json.dumps(theirs),
                           json.dumps(mine)], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))
