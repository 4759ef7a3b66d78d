"""The SQL store: every deal with its whole version history; a save never overwrites anything.

SQLAlchemy Core over SQLite by default; a database URL (``postgresql+psycopg://...``) selects
another engine. Nothing here depends on SQLite beyond the connection pragmas: concurrency is an
optimistic compare-and-set on ``deals.latest_version``, which every SQL database supports.

Every database error becomes one line that says what to do (:func:`_errors`), and no message
ever shows a password: the store is named by :attr:`Store.name`, its URL with the password
hidden.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from coachkit.clock import When, end_of, now
from coachkit.errors import CoachkitError, ConflictError, InvalidWorkbook, NotFound, StaleError
from coachkit.model import Deal
from coachkit.model.files import canonical, check_size
from coachkit.model.review import Action, Dismissal, Review, ReviewEvent
from coachkit.store.location import (
    ENV_VAR,
    default_location,
    display,
    has_secret,
    is_url,
    secrets_of,
    to_url,
)
from coachkit.store.private import private_sqlite_path
from coachkit.store.records import Conflict, DealSummary, VersionInfo, header_values
from coachkit.store.tables import (
    STORE_FORMAT,
    UPGRADES,
    conflicts_table,
    deals_table,
    meta_table,
    metadata,
    review_events_table,
    reviews_table,
    versions_table,
)

SCHEMA_LOCK = 7_311_427_001
"""PostgreSQL advisory lock held while creating the tables, so that many processes opening a
new database at once create them once."""
CRM_LOCK = 7_311_427_002
"""PostgreSQL advisory lock held by :meth:`Store.save_many`, so that two imports of the same
export never both create a deal for one CRM record (SQLite's write lock does that there)."""
IN_CHUNK = 500
"""Values in one SQL ``IN (...)``: far below every engine's limit on parameters."""
MAX_ID = 2**63 - 1
"""Ids the database can hold; a larger number is simply not found."""


class Store:
    """Deals and their versions in one SQL database."""

    def __init__(self, location: str | None = None, *, busy_timeout_ms: int = 30_000):
        self.location = location or default_location()
        self.name = display(self.location)
        """The location with any password hidden: what messages show."""
        self._secrets = secrets_of(self.location)
        self.url = to_url(self.location)
        try:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        except ImportError as exc:
            raise CoachkitError(f"store: '{self.name}' needs a database driver that is not "
                                f"installed ({exc.name or exc}); for PostgreSQL: pip install "
                                "'coachkit[postgres]'") from None
        except (sa.exc.ArgumentError, ValueError):
            raise CoachkitError(f"store: '{self.name}' is neither a file path nor a database "
                                "URL (e.g. postgresql+psycopg://user@host/db)") from None
        if self.engine.dialect.name == "sqlite":
            database = self.engine.url.database
            if is_url(self.location) and database and database != ":memory:" \
                    and not database.startswith("file:"):
                private_sqlite_path(Path(database))  # a path was made private by to_url
            self._tune_sqlite(busy_timeout_ms)
        self._create_schema()

    def _tune_sqlite(self, busy_timeout_ms: int) -> None:
        """WAL for readers beside a writer; FULL sync; writes take the lock up front."""

        @sa.event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            _retry_locked(lambda: cur.execute("PRAGMA journal_mode=WAL"), busy_timeout_ms)
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa.event.listens_for(self.engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            # A write must hold the write lock from its first read, or a concurrent commit
            # between our read and our write fails with SQLITE_BUSY_SNAPSHOT at once.
            write = conn.get_execution_options().get("coachkit_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    def _create_schema(self) -> None:
        """The tables, created once however many processes open a new store at the same time:
        SQLite's write lock (taken up front) or a PostgreSQL advisory lock serialises them."""
        with self._writing("open") as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            metadata.create_all(conn, checkfirst=True)
            found = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == "store_format")
            ).scalar()
            if found is None:
                conn.execute(
                    meta_table.insert().values(key="store_format", value=str(STORE_FORMAT))
                )
            elif int(found) > STORE_FORMAT:
                raise CoachkitError(
                    f"store: '{self.name}' was made by a newer coachkit (store format {found}); "
                    "upgrade coachkit"
                )
            elif int(found) < STORE_FORMAT:
                for step in range(int(found), STORE_FORMAT):
                    UPGRADES[step](conn)
                conn.execute(meta_table.update().where(meta_table.c.key == "store_format")
                             .values(value=str(STORE_FORMAT)))

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Database errors as one line that says what to do, with no password in it."""
        try:
            yield
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise CoachkitError(self._explain(exc, action)) from None

    def _explain(self, exc: DBAPIError, action: str) -> str:
        reason = " ".join(str(exc.orig).split())[:200]
        for secret in self._secrets:
            reason = reason.replace(secret, "***")
        low = reason.lower()
        where = f"'{self.name}'"
        if "readonly" in low or "read-only" in low:
            return (f"store: {where} is read-only; coachkit needs to write to the file and its "
                    "folder (check their permissions)")
        if "database is locked" in low:
            return f"store: {where} is busy (another program holds it); try again"
        if "unable to open database file" in low:
            return f"store: cannot open {where}; check that its folder exists and is writable"
        if "malformed" in low or "not a database" in low or "file is encrypted" in low:
            return (f"store: {where} is damaged or not a coachkit store ({reason}); restore "
                    "it from a backup, or choose another store with --store")
        if "disk is full" in low or "disk i/o" in low:
            return f"store: cannot write to {where} ({reason}); free some disk space"
        if "password authentication failed" in low or "authentication failed" in low:
            return (f"store: the database refused the login for {where}; check the user and "
                    "the password")
        if "does not exist" in low and "database" in low:
            return f"store: the database of {where} does not exist; create it first"
        lost = ("connection", "server closed", "terminat", "could not connect", "refused",
                "timeout", "timed out", "broken pipe", "reset by peer")
        if exc.connection_invalidated or (isinstance(exc, OperationalError)
                                          and any(word in low for word in lost)):
            return (f"store: lost the connection to the database at {where} while trying to "
                    f"{action} ({reason}); check that the server is running and try again "
                    "(nothing was half-saved)")
        return f"store: the database at {where} failed to {action} ({reason})"

    @contextmanager
    def _writing(self, action: str = "save") -> Iterator[sa.Connection]:
        with self._errors(action), \
                self.engine.connect().execution_options(coachkit_write=True) as conn, \
                conn.begin():
            yield conn

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        with self._errors("read"), self.engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def save(self, deal: Deal, *, base_version: int | None, author: str,
             at: dt.datetime | None = None) -> int:
        """Append ``deal`` as a new version and return its number.

        ``base_version`` is the version the edit started from (None for a new deal). If the
        deal has moved on since, nothing is overwritten: the edit is kept as a conflict and
        :class:`ConflictError` is raised. ``at`` backdates the version (the demo's history
        only; every real save is stamped now).
        """
        _check(deal)
        document = canonical(deal)
        saved_at = at or now()
        try:
            with self._writing() as conn:
                return self._append(conn, deal, document, base_version, author, saved_at)
        except (_Moved, IntegrityError) as exc:
            moved_to = exc.latest if isinstance(exc, _Moved) else None
            return self._refuse(deal.id, base_version, moved_to, document, author, saved_at)

    def _append(self, conn: sa.Connection, deal: Deal, document: str, base: int | None,
                author: str, saved_at: dt.datetime) -> int:
        """Add a version inside a transaction; :class:`_Moved` if ``base`` is not latest."""
        deal_id = deal.id
        latest = conn.execute(
            sa.select(deals_table.c.latest_version).where(deals_table.c.id == deal_id)
        ).scalar()
        if latest != base:
            raise _Moved(latest)
        version = (latest or 0) + 1
        values = {**header_values(deal), "latest_version": version, "updated_at": saved_at,
                  "updated_by": author}
        if latest is None:
            conn.execute(deals_table.insert().values(id=deal_id, created_at=saved_at, **values))
        else:
            done = conn.execute(
                deals_table.update()
                .where(deals_table.c.id == deal_id)
                .where(deals_table.c.latest_version == latest)
                .values(**values)
            )
            if done.rowcount != 1:
                raise _Moved(None)
        conn.execute(versions_table.insert().values(
            deal_id=deal_id, version=version, saved_at=saved_at, author=author,
            document=document))
        return version

    def _refuse(
        self, deal_id: str, base: int | None, latest: int | None, document: str, author: str,
        saved_at: dt.datetime,
    ) -> NoReturn:
        """Keep a refused edit as a conflict record, then raise the conflict."""
        conflict_id, latest = self._keep(deal_id, base, latest, document, author, saved_at)
        raise ConflictError(deal_id, base, latest, conflict_id)

    def _keep(
        self, deal_id: str, base: int | None, latest: int | None, document: str, author: str,
        saved_at: dt.datetime, conflict_id: int | None = None,
    ) -> tuple[int, int]:
        with self._writing() as conn:
            if latest is None:
                latest = conn.execute(
                    sa.select(deals_table.c.latest_version).where(deals_table.c.id == deal_id)
                ).scalar() or 0
            if conflict_id is not None:
                done = conn.execute(
                    conflicts_table.update()
                    .where(conflicts_table.c.id == conflict_id)
                    .where(conflicts_table.c.deal_id == deal_id)
                    .where(conflicts_table.c.restored_as.is_(None))
                    .values(document=document, saved_at=saved_at, latest_version=latest))
                if done.rowcount == 1:
                    return conflict_id, latest
            key = conn.execute(
                conflicts_table.insert().values(
                    deal_id=deal_id, base_version=base, latest_version=latest, saved_at=saved_at,
                    author=author, document=document,
                )
            ).inserted_primary_key
            assert key is not None
            return int(key[0]), latest

    def keep(self, deal: Deal, *, base_version: int | None, author: str,
             conflict_id: int | None = None) -> int:
        """Keep an edit that is not a version (refused, or the seller chose the other one) as
        a conflict record, so it can still be restored. With ``conflict_id``, that record
        (if not restored yet) is brought up to date instead: a page that keeps typing after a
        conflict keeps one record with its latest text. Returns the conflict id."""
        _check(deal)
        found, _ = self._keep(deal.id, base_version, None, canonical(deal), author, now(),
                              conflict_id)
        return found

    def put(self, deal: Deal, *, author: str) -> tuple[int, bool]:
        """Save ``deal`` on top of whatever is latest, unless it is already the latest.

        For imports: returns ``(version, changed)``; importing the same file twice adds
        nothing.
        """
        return self.put_many([deal], author=author)[0]

    def put_many(self, deals: Sequence[Deal], *, author: str) -> list[tuple[int, bool]]:
        """:meth:`put` for many deals in one transaction: all of them are saved, or none
        (a dropped connection or a crash half-way leaves the store as it was). Retried once
        if another writer slips in between."""
        for deal in deals:
            _check(deal)
        documents = [canonical(d) for d in deals]
        for attempt in range(2):
            saved_at = now()
            try:
                with self._writing() as conn:
                    out = []
                    for deal, document in zip(deals, documents, strict=True):
                        row = conn.execute(
                            sa.select(versions_table.c.version, versions_table.c.document)
                            .join(deals_table, sa.and_(
                                deals_table.c.id == versions_table.c.deal_id,
                                deals_table.c.latest_version == versions_table.c.version))
                            .where(deals_table.c.id == deal.id)).first()
                        if row is not None and row.document == document:
                            out.append((int(row.version), False))
                            continue
                        base = None if row is None else int(row.version)
                        out.append((self._append(conn, deal, document, base, author,
                                                 saved_at), True))
                return out
            except (_Moved, IntegrityError):
                if attempt:
                    raise CoachkitError("store: other saves kept changing these deals; "
                                        "nothing was imported, try again") from None
        raise AssertionError("unreachable")

    def save_many(self, items: Sequence[tuple[Deal, int | None]], *, author: str) -> list[int]:
        """Save each deal on top of the version it was read at (None: a new deal), all in one
        transaction: every deal is saved, or none.

        If any deal moved on since it was read, a new deal's id was taken meanwhile, or
        another deal now holds a deal's CRM record, nothing is saved and nothing is kept as a
        conflict: :class:`StaleError` says which deal, and the caller reads again and redoes
        its work (an import recomputes what it changes; a seller's edit is never overwritten).
        Returns the versions saved, in order."""
        for deal, _ in items:
            _check(deal)
        documents = [canonical(deal) for deal, _ in items]
        saved_at = now()
        current = ""
        try:
            with self._writing() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": CRM_LOCK})
                ids = {deal.id for deal, _ in items}
                keys = {deal.deal.crm.key: deal.id for deal, _ in items if deal.deal.crm.key}
                for key, holders in self._crm_holders(conn, list(keys)).items():
                    if set(holders) - ids:
                        raise StaleError(keys[key])
                out = []
                for (deal, base), document in zip(items, documents, strict=True):
                    current = deal.id
                    out.append(self._append(conn, deal, document, base, author, saved_at))
                return out
        except (_Moved, IntegrityError):
            raise StaleError(current) from None

    def restore(self, conflict_id: int, *, author: str) -> int:
        """Make a kept conflict the latest version of its deal (the history keeps both)."""
        conflict = self.conflict(conflict_id)
        if conflict.restored_as is not None:
            raise CoachkitError(
                f"conflict {conflict_id} was already restored as version {conflict.restored_as}"
            )
        version, _ = self.put(conflict.deal, author=author)
        with self._writing() as conn:
            conn.execute(
                conflicts_table.update()
                .where(conflicts_table.c.id == conflict_id)
                .values(restored_as=version)
            )
        return version

    def settle(self, conflict_id: int, version: int) -> None:
        """A kept conflict went into ``version`` (merged, or chosen field by field): its
        record says so, as a restored one does. The record and its document stay."""
        with self._writing() as conn:
            conn.execute(
                conflicts_table.update()
                .where(conflicts_table.c.id == conflict_id)
                .where(conflicts_table.c.restored_as.is_(None))
                .values(restored_as=version)
            )

    # -- reading ---------------------------------------------------------------------------

    def latest_version(self, deal_id: str) -> int | None:
        with self._reading() as conn:
            return conn.execute(
                sa.select(deals_table.c.latest_version).where(deals_table.c.id == deal_id)
            ).scalar()

    def exists(self, deal_id: str) -> bool:
        return self.latest_version(deal_id) is not None

    def deal_ids_by_crm_key(self, keys: Sequence[str]) -> dict[str, str]:
        """The deal of each CRM record (``source:record_id``) that has one. A record that
        two deals claim (a workbook file copied under another id) is refused by name: an
        import could not tell which one to update."""
        with self._reading() as conn:
            found = self._crm_holders(conn, [k for k in keys if k])
        for key, holders in found.items():
            if len(holders) > 1:
                raise CoachkitError(
                    f"store: deals {' and '.join(sorted(holders))} both come from CRM record "
                    f"{key}; clear the CRM record id of the one that is a copy")
        return {key: holders[0] for key, holders in found.items()}

    @staticmethod
    def _crm_holders(conn: sa.Connection, keys: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for start in range(0, len(keys), IN_CHUNK):
            rows = conn.execute(
                sa.select(deals_table.c.crm_key, deals_table.c.id)
                .where(deals_table.c.crm_key.in_(keys[start:start + IN_CHUNK]))
                .order_by(deals_table.c.id))
            for key, deal_id in rows:
                out.setdefault(key, []).append(deal_id)
        return out

    def team_of(self, deal_id: str) -> str | None:
        """The team of a deal's latest version (its header column), None if there is no
        such deal: what the team server's access check reads before anything else."""
        with self._reading() as conn:
            return conn.execute(
                sa.select(deals_table.c.team).where(deals_table.c.id == deal_id)
            ).scalar()

    def get(
        self, deal_id: str, *, version: int | None = None,
        as_of: When | None = None,
    ) -> VersionInfo:
        """The latest version, a given version, or the version that was latest ``as_of``."""
        if version is not None and not 0 < version <= MAX_ID:
            raise NotFound(f"deal '{deal_id}' has no version {version}")
        query = sa.select(versions_table).where(versions_table.c.deal_id == deal_id)
        if version is not None:
            query = query.where(versions_table.c.version == version)
        if as_of is not None:
            query = query.where(versions_table.c.saved_at <= end_of(as_of))
        query = query.order_by(versions_table.c.version.desc()).limit(1)
        with self._reading() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            if not self.exists(deal_id):
                raise NotFound(f"no deal '{deal_id}' in the store")
            if version is not None:
                raise NotFound(f"deal '{deal_id}' has no version {version}")
            raise NotFound(f"deal '{deal_id}' did not exist yet on {as_of}")
        return VersionInfo(**row)

    def history(self, deal_id: str) -> list[VersionInfo]:
        """Every version, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                sa.select(versions_table)
                .where(versions_table.c.deal_id == deal_id)
                .order_by(versions_table.c.version)
            ).mappings().all()
        if not rows:
            raise NotFound(f"no deal '{deal_id}' in the store")
        return [VersionInfo(**row) for row in rows]

    def list_deals(
        self, *, team: str | None = None, cohort: str | None = None,
    ) -> list[DealSummary]:
        """Deals' headers, newest change first."""
        query = sa.select(deals_table)
        if team is not None:
            query = query.where(deals_table.c.team == team)
        if cohort is not None:
            query = query.where(deals_table.c.cohort == cohort)
        query = query.order_by(deals_table.c.updated_at.desc(), deals_table.c.id)
        with self._reading() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            DealSummary(**{k: v for k, v in row.items()
                           if k not in ("latest_version", "created_at")},
                        version=row["latest_version"])
            for row in rows
        ]

    def conflicts(self, deal_id: str | None = None) -> list[Conflict]:
        query = sa.select(conflicts_table).order_by(conflicts_table.c.id)
        if deal_id is not None:
            query = query.where(conflicts_table.c.deal_id == deal_id)
        with self._reading() as conn:
            return [Conflict(**row) for row in conn.execute(query).mappings().all()]

    def conflict(self, conflict_id: int) -> Conflict:
        if not 0 < conflict_id <= MAX_ID:
            raise NotFound(f"no conflict {conflict_id} in the store")
        with self._reading() as conn:
            row = conn.execute(
                sa.select(conflicts_table).where(conflicts_table.c.id == conflict_id)
            ).mappings().first()
        if row is None:
            raise NotFound(f"no conflict {conflict_id} in the store")
        return Conflict(**row)


    # -- reviews ---------------------------------------------------------------------------

    def add_review(self, deal_id: str, *, version: int, by: str, note: str = "",
                   dismissed: Sequence[Dismissal] = (), actions: Sequence[Action] = (),
                   at: dt.datetime | None = None, imported: bool = False) -> Review:
        """Record a review of ``version`` of a deal; returns it with its number (1, 2, ...
        per deal). Reviews are appended, never changed. An ``imported`` review (brought in
        with a workbook file) keeps the version number it had where it was made, though this
        store may hold fewer versions of the deal."""
        at = at or now()
        review = Review(number=1, version=version, at=at, by=by, note=note,
                        dismissed=list(dismissed), actions=list(actions))
        document = review.model_dump_json(include={"note", "dismissed", "actions"})
        with self._writing() as conn:
            found = conn.execute(sa.select(versions_table.c.version).where(
                versions_table.c.deal_id == deal_id,
                versions_table.c.version == (1 if imported else version))).scalar()
            if found is None:
                self._missing(conn, deal_id, version)
            number = (conn.execute(sa.select(sa.func.max(reviews_table.c.number)).where(
                reviews_table.c.deal_id == deal_id)).scalar() or 0) + 1
            conn.execute(reviews_table.insert().values(
                deal_id=deal_id, number=number, version=version, at=at, by=review.by,
                document=document))
        return review.model_copy(update={"number": number})

    def add_review_event(self, deal_id: str, number: int, event: ReviewEvent) -> None:
        """Append what happened to a review (an action done or reopened, an answer)."""
        review = self.review(deal_id, number)
        if event.action is not None and event.action >= len(review.actions):
            raise NotFound(f"review {number} of deal '{deal_id}' has no action "
                           f"{event.action + 1} (it has {len(review.actions)})")
        with self._writing() as conn:
            conn.execute(review_events_table.insert().values(
                deal_id=deal_id, number=number, at=event.at, by=event.by,
                document=event.model_dump_json()))

    def reviews(self, deal_id: str) -> list[Review]:
        """Every review of a deal with its events, oldest first ([] when none)."""
        with self._reading() as conn:
            rows = conn.execute(sa.select(reviews_table).where(
                reviews_table.c.deal_id == deal_id).order_by(reviews_table.c.number)).all()
            events = conn.execute(sa.select(review_events_table).where(
                review_events_table.c.deal_id == deal_id).order_by(
                review_events_table.c.id)).all()
        by_number: dict[int, list[ReviewEvent]] = {}
        for e in events:
            by_number.setdefault(e.number, []).append(ReviewEvent.model_validate_json(e.document))
        return [Review.model_validate({
            **json.loads(r.document), "number": r.number, "version": r.version, "at": r.at,
            "by": r.by, "events": by_number.get(r.number, [])}) for r in rows]

    def review(self, deal_id: str, number: int) -> Review:
        found = next((r for r in self.reviews(deal_id) if r.number == number), None)
        if found is None:
            if not self.exists(deal_id):
                raise NotFound(f"no deal '{deal_id}' in the store")
            raise NotFound(f"deal '{deal_id}' has no review {number}")
        return found

    def put_reviews(self, deal_id: str, reviews: Sequence[Review]) -> int:
        """Add reviews brought in with a workbook file, unless already here (the same time,
        reviewer and version); their events come along. Returns how many were added."""
        have = {(r.at, r.by, r.version): r for r in self.reviews(deal_id)}
        added = 0
        for review in sorted(reviews, key=lambda r: r.at):
            mine = have.get((review.at, review.by, review.version))
            if mine is None:
                mine = self.add_review(deal_id, version=review.version, by=review.by,
                                       note=review.note, dismissed=review.dismissed,
                                       actions=review.actions, at=review.at, imported=True)
                added += 1
            known = {(e.at, e.by, e.kind, e.action, e.text) for e in mine.events}
            for event in review.events:
                if (event.at, event.by, event.kind, event.action, event.text) not in known:
                    self.add_review_event(deal_id, mine.number, event)
        return added

    def _missing(self, conn: sa.Connection, deal_id: str, version: int) -> NoReturn:
        exists = conn.execute(sa.select(deals_table.c.id).where(
            deals_table.c.id == deal_id)).scalar()
        if exists is None:
            raise NotFound(f"no deal '{deal_id}' in the store")
        raise NotFound(f"deal '{deal_id}' has no version {version}")


class _Moved(Exception):
    """Internal: the deal is not at the version the edit started from."""

    def __init__(self, latest: int | None):
        self.latest = latest


def _check(deal: Deal) -> None:
    """A deal too large for a workbook file is not stored: every stored deal exports."""
    try:
        check_size(deal, f"deal {deal.id}")
    except InvalidWorkbook as exc:
        raise CoachkitError(str(exc)) from None


def _retry_locked(step: Callable[[], object], busy_timeout_ms: int) -> None:
    """Run a SQLite statement that does not wait on a busy database by itself (switching the
    journal mode of a new file), retrying while another process holds the lock."""
    import sqlite3

    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


__all__ = ["ENV_VAR", "Store", "default_location", "display", "has_secret", "to_url"]
