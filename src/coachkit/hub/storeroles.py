"""The second wall around a PostgreSQL store: each user's server gets a database role that
reaches only the deals of that user's teams (row-level security), never the store's own
credentials.

The first wall is the app (:mod:`coachkit.store.scoped`, inside the page's kernel) behind
Voila's refusal of code from the browser. If code ever ran in a seller's kernel anyway, the
only credential there is this role's: PostgreSQL itself then refuses every row of another
team's deals, their versions, conflicts and reviews, for reading and for writing.

- :func:`install` (idempotent, run by the hub with the store's own role, the tables' owner):
  row-level security on every table of deals, a table ``coachkit_members`` (role, team) that
  says whose role may reach which team, and grants of reading and writing rows (no delete,
  no schema change) to the users' roles.
- :func:`provision` (at each start of a user's server): the user's role, made or given a
  new random password, its teams set from the user's hub groups (their teams as seller or
  manager; ``*`` for a hub admin); it returns the store's URL for that role alone.
- :func:`user_store_hook`: the spawner's ``pre_spawn_hook`` doing that, so the user's server
  (and its kernels) gets ``$COACHKIT_STORE`` for its own role; :func:`user_store_stop_hook`,
  its ``post_stop_hook``: once the server has stopped, the role no longer signs in.

The tables' owner (the hub's role, the reports service's, ``coachkit`` commands) is not
subject to these policies. The store's role needs ``CREATEROLE``. SQLite has no roles: a
trial store on SQLite has the first wall only.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from coachkit.access import Access
from coachkit.errors import CoachkitError
from coachkit.store import Store
from coachkit.store.location import ENV_VAR

ROLES_LOCK = 7_311_427_003
"""Advisory lock: one user's role is made at a time (ten sellers signing in at once)."""
ALL_TEAMS = "*"
"""The team of a hub admin's role: every team."""
DEAL_TABLES = ("versions", "conflicts", "reviews", "review_events")
"""Tables whose rows belong to the deal named in their ``deal_id``."""
MEMBERS = "coachkit_members"

POLICIES = f"""
CREATE TABLE IF NOT EXISTS {MEMBERS} (role name NOT NULL, team text NOT NULL,
                                      PRIMARY KEY (role, team));
ALTER TABLE {MEMBERS} ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS coachkit_own ON {MEMBERS};
CREATE POLICY coachkit_own ON {MEMBERS} FOR SELECT USING (role = current_user);
CREATE OR REPLACE FUNCTION coachkit_may(t text) RETURNS boolean LANGUAGE sql STABLE AS
  $$ SELECT EXISTS (SELECT 1 FROM {MEMBERS} m
                    WHERE m.role = current_user AND (m.team = t OR m.team = '{ALL_TEAMS}')) $$;
ALTER TABLE deals ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS coachkit_team ON deals;
CREATE POLICY coachkit_team ON deals USING (coachkit_may(team)) WITH CHECK (coachkit_may(team));
""" + "".join(f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS coachkit_team ON {table};
CREATE POLICY coachkit_team ON {table}
  USING (EXISTS (SELECT 1 FROM deals d WHERE d.id = deal_id))
  WITH CHECK (EXISTS (SELECT 1 FROM deals d WHERE d.id = deal_id));
""" for table in DEAL_TABLES)


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql:", "postgresql+", "postgres:"))


def role_name(database: str, user: str) -> str:
    """``ck_<database hash>_<user>``: one role per user and store (roles are shared by all
    databases of a server), letters, digits and ``_`` only, within PostgreSQL's 63 bytes."""
    tag = hashlib.sha256(database.encode()).hexdigest()[:8]
    clean = re.sub(r"[^a-z0-9_]", "_", user.lower())
    digest = hashlib.sha256(user.encode()).hexdigest()[:6]
    return f"ck_{tag}_{clean[:40]}_{digest}"


def install(conn: sa.Connection) -> None:
    """Row-level security on the store's tables (as their owner); run again, it changes
    nothing."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLES_LOCK})
    conn.exec_driver_sql(POLICIES)


def provision(conn: sa.Connection, database: str, access: Access) -> tuple[str, str]:
    """The user's role with a new password and exactly their teams; returns (role,
    password)."""
    role = role_name(database, access.user)
    password = secrets.token_urlsafe(24)  # letters, digits, - and _: safe in a literal
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLES_LOCK})
    exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                          {"r": role}).scalar()
    verb = "ALTER" if exists else "CREATE"
    conn.exec_driver_sql(f'{verb} ROLE "{role}" LOGIN NOINHERIT NOCREATEDB NOCREATEROLE '
                         f"PASSWORD '{password}'")
    quoted_db = '"' + database.replace('"', '""') + '"'
    tables = ", ".join(["deals", *DEAL_TABLES])
    conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE {quoted_db} TO "{role}"')
    conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
    conn.exec_driver_sql(f'GRANT SELECT, INSERT, UPDATE ON {tables} TO "{role}"')
    conn.exec_driver_sql(f'GRANT SELECT ON coachkit_meta, {MEMBERS} TO "{role}"')
    conn.exec_driver_sql(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    conn.execute(sa.text(f"DELETE FROM {MEMBERS} WHERE role = :r"), {"r": role})
    teams = [ALL_TEAMS] if access.admin else sorted(access.teams)
    for team in teams:
        conn.execute(sa.text(f"INSERT INTO {MEMBERS} (role, team) VALUES (:r, :t)"),
                     {"r": role, "t": team})
    return role, password


class TeamRoles:
    """Roles of the users of one PostgreSQL store, made with the store's own role."""

    def __init__(self, location: str):
        self.location = location
        self._installed = False
        self._engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            with Store(self.location) as store:  # the tables, made if new
                self._engine = sa.create_engine(store.url, pool_pre_ping=True, pool_size=2)
        return self._engine

    def prepare(self) -> None:
        """At the hub's start: the store's role may make roles, and the policies are in
        place (one clear line otherwise, before any seller signs in)."""
        with self.engine.begin() as conn:
            if not conn.execute(sa.text("SELECT rolcreaterole OR rolsuper FROM pg_roles "
                                        "WHERE rolname = current_user")).scalar():
                raise CoachkitError(
                    "store: its role needs CREATEROLE (ALTER ROLE ... CREATEROLE) to give each "
                    "user's server a database role reaching only their teams")
            install(conn)
        self._installed = True

    def url_for(self, access: Access) -> str:
        """The store's URL for the user's own role (made or updated now)."""
        url = make_url(self.engine.url)
        with self.engine.begin() as conn:
            if not self._installed:
                install(conn)
            role, password = provision(conn, str(url.database), access)
        self._installed = True
        return url.set(username=role, password=password).render_as_string(hide_password=False)


    def close(self, user: str) -> None:
        """The user's role no longer signs in (their server has stopped): a password that
        leaked from it is worth nothing; the next start gives a new one."""
        with self.engine.begin() as conn:
            role = role_name(str(self.engine.url.database), user)
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLES_LOCK})
            if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                            {"r": role}).scalar():
                conn.exec_driver_sql(f'ALTER ROLE "{role}" NOLOGIN')


def user_store_stop_hook(location: str) -> Any:
    """A ``Spawner.post_stop_hook``: the stopped server's role no longer signs in."""
    roles = TeamRoles(location)

    async def hook(spawner: Any) -> None:
        await asyncio.to_thread(roles.close, spawner.user.name)

    return hook


def user_store_hook(location: str) -> Any:
    """A ``Spawner.pre_spawn_hook``: the user's server gets ``$COACHKIT_STORE`` for the
    user's own role (their hub groups as they are at this start)."""
    roles = TeamRoles(location)

    async def hook(spawner: Any) -> None:
        user = spawner.user
        access = Access.from_groups(user.name, [g.name for g in user.groups],
                                    admin=bool(user.admin))
        url = await asyncio.to_thread(roles.url_for, access)
        spawner.environment = {**spawner.environment, ENV_VAR: url}

    return hook


__all__ = ["TeamRoles", "install", "is_postgres", "provision", "role_name", "user_store_hook",
           "user_store_stop_hook"]
