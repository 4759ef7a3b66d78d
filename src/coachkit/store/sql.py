"""The SQL store: every deal with its whole version history; a save never overwrites anything.

SQLAlchemy Core over SQLite by default; a database URL (``postgresql://...``) selects another
engine. Nothing here depends on SQLite beyond the connection pragmas: concurrency is an
optimistic compare-and-set on ``deals.latest_version``, which every SQL database supports.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from coachkit.clock import When, end_of, now
from coachkit.errors import CoachkitError, ConflictError, NotFound
from coachkit.model import Deal
from coachkit.store.records import Conflict, DealSummary, VersionInfo, header_values
from coachkit.store.tables import (
    STORE_FORMAT,
    conflicts_table,
    deals_table,
    meta_table,
    metadata,
    versions_table,
)

ENV_VAR = "COACHKIT_STORE"


def default_location() -> str:
    """``$COACHKIT_STORE``, else ``coachkit.db`` in the user's data folder."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("coachkit", appauthor=False)) / "coachkit.db")


def to_url(location: str) -> str:
    """A path or a database URL -> a SQLAlchemy URL (paths become SQLite files)."""
    if "://" in location:
        return location
    path = Path(location).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _canonical(deal: Deal) -> str:
    return json.dumps(deal.to_json_dict(), ensure_ascii=False, separators=(",", ":"))


class Store:
    """Deals and their versions in one SQL database."""

    def __init__(self, location: str | None = None, *, busy_timeout_ms: int = 30_000):
        self.location = location or default_location()
        self.url = to_url(self.location)
        try:
            self.engine = sa.create_engine(self.url, future=True)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise CoachkitError(f"store: cannot use '{self.location}': {exc}") from None
        if self.engine.dialect.name == "sqlite":
            self._tune_sqlite(busy_timeout_ms)
        try:
            metadata.create_all(self.engine)
            self._check_format()
        except OperationalError as exc:
            raise CoachkitError(
                f"store: cannot open '{self.location}': {exc.orig}"
            ) from None
        except sa.exc.DatabaseError as exc:
            raise CoachkitError(
                f"store: '{self.location}' is not a coachkit store: {exc.orig}"
            ) from None

    def _tune_sqlite(self, busy_timeout_ms: int) -> None:
        """WAL for readers beside a writer; FULL sync; writes take the lock up front."""

        @sa.event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa.event.listens_for(self.engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            # A write must hold the write lock from its first read, or a concurrent commit
            # between our read and our write fails with SQLITE_BUSY_SNAPSHOT at once.
            write = conn.get_execution_options().get("coachkit_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    def _check_format(self) -> None:
        with self._writing() as conn:
            found = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == "store_format")
            ).scalar()
            if found is None:
                conn.execute(
                    meta_table.insert().values(key="store_format", value=str(STORE_FORMAT))
                )
            elif int(found) > STORE_FORMAT:
                raise CoachkitError(
                    f"store: '{self.location}' was made by a newer coachkit "
                    f"(store format {found}); upgrade coachkit"
                )

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        with self.engine.connect().execution_options(coachkit_write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def save(self, deal: Deal, *, base_version: int | None, author: str) -> int:
        """Append ``deal`` as a new version and return its number.

        ``base_version`` is the version the edit started from (None for a new deal). If the
        deal has moved on since, nothing is overwritten: the edit is kept as a conflict and
        :class:`ConflictError` is raised.
        """
        document = _canonical(deal)
        saved_at = now()
        deal_id = deal.deal.id
        latest: int | None = None
        try:
            with self._writing() as conn:
                latest = conn.execute(
                    sa.select(deals_table.c.latest_version).where(deals_table.c.id == deal_id)
                ).scalar()
                if latest != base_version:
                    raise _Moved(latest)
                version = (latest or 0) + 1
                values = {**header_values(deal), "latest_version": version,
                          "updated_at": saved_at, "updated_by": author}
                if latest is None:
                    conn.execute(deals_table.insert().values(id=deal_id, created_at=saved_at,
                                                             **values))
                else:
                    done = conn.execute(
                        deals_table.update()
                        .where(deals_table.c.id == deal_id)
                        .where(deals_table.c.latest_version == latest)
                        .values(**values)
                    )
                    if done.rowcount != 1:
                        raise _Moved(None)
                conn.execute(
                    versions_table.insert().values(
                        deal_id=deal_id, version=version, saved_at=saved_at, author=author,
                        document=document,
                    )
                )
            return version
        except (_Moved, IntegrityError) as exc:
            moved_to = exc.latest if isinstance(exc, _Moved) else None
            return self._refuse(deal_id, base_version, moved_to, document, author, saved_at)

    def _refuse(
        self, deal_id: str, base: int | None, latest: int | None, document: str, author: str,
        saved_at: dt.datetime,
    ) -> NoReturn:
        """Keep a refused edit as a conflict record, then raise the conflict."""
        conflict_id, latest = self._keep(deal_id, base, latest, document, author, saved_at)
        raise ConflictError(deal_id, base, latest, conflict_id)

    def _keep(
        self, deal_id: str, base: int | None, latest: int | None, document: str, author: str,
        saved_at: dt.datetime,
    ) -> tuple[int, int]:
        with self._writing() as conn:
            if latest is None:
                latest = conn.execute(
                    sa.select(deals_table.c.latest_version).where(deals_table.c.id == deal_id)
                ).scalar() or 0
            key = conn.execute(
                conflicts_table.insert().values(
                    deal_id=deal_id, base_version=base, latest_version=latest, saved_at=saved_at,
                    author=author, document=document,
                )
            ).inserted_primary_key
            assert key is not None
            conflict_id = int(key[0])
        return conflict_id, latest

    def keep(self, deal: Deal, *, base_version: int | None, author: str) -> int:
        """Keep an edit that will not become a version (the seller chose the other one) as a
        conflict record, so it can still be restored. Returns the conflict id."""
        conflict_id, _ = self._keep(deal.deal.id, base_version, None, _canonical(deal), author,
                                    now())
        return conflict_id

    def put(self, deal: Deal, *, author: str) -> tuple[int, bool]:
        """Save ``deal`` on top of whatever is latest, unless it is already the latest.

        For imports: returns ``(version, changed)``; importing the same file twice adds
        nothing. Retries once if another writer slips in between.
        """
        for attempt in range(2):
            latest = self.latest_version(deal.deal.id)
            if latest is not None and self.get(deal.deal.id).document == _canonical(deal):
                return latest, False
            try:
                return self.save(deal, base_version=latest, author=author), True
            except ConflictError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

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

    # -- reading ---------------------------------------------------------------------------

    def latest_version(self, deal_id: str) -> int | None:
        with self._reading() as conn:
            return conn.execute(
                sa.select(deals_table.c.latest_version).where(deals_table.c.id == deal_id)
            ).scalar()

    def exists(self, deal_id: str) -> bool:
        return self.latest_version(deal_id) is not None

    def get(
        self, deal_id: str, *, version: int | None = None,
        as_of: When | None = None,
    ) -> VersionInfo:
        """The latest version, a given version, or the version that was latest ``as_of``."""
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
        with self._reading() as conn:
            row = conn.execute(
                sa.select(conflicts_table).where(conflicts_table.c.id == conflict_id)
            ).mappings().first()
        if row is None:
            raise NotFound(f"no conflict {conflict_id} in the store")
        return Conflict(**row)


class _Moved(Exception):
    """Internal: the deal is not at the version the edit started from."""

    def __init__(self, latest: int | None):
        self.latest = latest


__all__ = ["ENV_VAR", "Store", "default_location", "to_url"]
