"""The store: every deal with its whole version history; a save never overwrites anything.

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
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from coachkit.errors import CoachkitError, ConflictError, NotFound
from coachkit.model import Deal

ENV_VAR = "COACHKIT_STORE"
STORE_FORMAT = 1
"""The layout of the tables, kept in ``coachkit_meta`` so a later coachkit can migrate it."""

metadata = sa.MetaData()

deals_table = sa.Table(
    "deals",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("customer", sa.Text, nullable=False, default=""),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("seller", sa.Text, nullable=False, default=""),
    sa.Column("team", sa.Text, nullable=False, default=""),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("close_date", sa.Date, nullable=True),
    sa.Column("cohort", sa.Text, nullable=False, default=""),
    sa.Column("participant", sa.Text, nullable=False, default=""),
    sa.Column("scenario", sa.Text, nullable=False, default=""),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
)

versions_table = sa.Table(
    "versions",
    metadata,
    sa.Column("deal_id", sa.String(80), sa.ForeignKey("deals.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("saved_at", sa.DateTime, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Index("versions_by_time", "deal_id", "saved_at"),
)

conflicts_table = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deal_id", sa.String(80), nullable=False, index=True),
    sa.Column("base_version", sa.Integer, nullable=True),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("restored_as", sa.Integer, nullable=True),
)

meta_table = sa.Table(
    "coachkit_meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def utcnow() -> dt.datetime:
    """Naive UTC: what every SQL engine stores the same way."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def end_of(day: dt.date | dt.datetime) -> dt.datetime:
    """``as of 2026-11-23`` means everything saved on that day (UTC) counts."""
    if isinstance(day, dt.datetime):
        if day.tzinfo is not None:
            day = day.astimezone(dt.UTC).replace(tzinfo=None)
        return day
    return dt.datetime.combine(day, dt.time.max)


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


@dataclass(frozen=True)
class VersionInfo:
    """One saved version of a deal, without or with its document."""

    deal_id: str
    version: int
    saved_at: dt.datetime
    author: str
    document: str

    @property
    def deal(self) -> Deal:
        return Deal.model_validate_json(self.document)


@dataclass(frozen=True)
class DealSummary:
    """What lists show of a deal: its header and where its history stands."""

    id: str
    customer: str
    title: str
    seller: str
    team: str
    stage: str
    value: float | None
    currency: str
    close_date: dt.date | None
    cohort: str
    participant: str
    scenario: str
    version: int
    updated_at: dt.datetime
    updated_by: str

    def to_json_dict(self) -> dict:
        return {
            "id": self.id,
            "customer": self.customer,
            "title": self.title,
            "seller": self.seller,
            "team": self.team,
            "stage": self.stage,
            "value": self.value,
            "currency": self.currency,
            "close_date": self.close_date.isoformat() if self.close_date else None,
            "cohort": self.cohort,
            "participant": self.participant,
            "scenario": self.scenario,
            "version": self.version,
            "updated_at": self.updated_at.isoformat() + "Z",
            "updated_by": self.updated_by,
        }


@dataclass(frozen=True)
class Conflict:
    """An edit refused because someone saved in between; kept so it can be restored."""

    id: int
    deal_id: str
    base_version: int | None
    latest_version: int
    saved_at: dt.datetime
    author: str
    document: str
    restored_as: int | None

    @property
    def deal(self) -> Deal:
        return Deal.model_validate_json(self.document)


def _header(deal: Deal) -> dict:
    """The denormalised columns of ``deals`` that lists filter and sort on."""
    info = deal.deal
    return {
        "customer": info.customer,
        "title": info.title,
        "seller": info.seller,
        "team": info.team,
        "stage": info.stage.value,
        "value": info.value,
        "currency": info.currency,
        "close_date": info.close_date,
        "cohort": deal.training.cohort,
        "participant": deal.training.participant,
        "scenario": deal.training.scenario,
    }


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
        now = utcnow()
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
                values = {**_header(deal), "latest_version": version, "updated_at": now,
                          "updated_by": author}
                if latest is None:
                    conn.execute(deals_table.insert().values(id=deal_id, created_at=now, **values))
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
                        deal_id=deal_id, version=version, saved_at=now, author=author,
                        document=document,
                    )
                )
            return version
        except (_Moved, IntegrityError) as exc:
            moved_to = exc.latest if isinstance(exc, _Moved) else None
            return self._refuse(deal_id, base_version, moved_to, document, author, now)

    def _refuse(
        self, deal_id: str, base: int | None, latest: int | None, document: str, author: str,
        now: dt.datetime,
    ) -> NoReturn:
        """Keep a refused edit as a conflict record, then raise the conflict."""
        conflict_id, latest = self._keep(deal_id, base, latest, document, author, now)
        raise ConflictError(deal_id, base, latest, conflict_id)

    def _keep(
        self, deal_id: str, base: int | None, latest: int | None, document: str, author: str,
        now: dt.datetime,
    ) -> tuple[int, int]:
        with self._writing() as conn:
            if latest is None:
                latest = conn.execute(
                    sa.select(deals_table.c.latest_version).where(deals_table.c.id == deal_id)
                ).scalar() or 0
            conflict_id = conn.execute(
                conflicts_table.insert().values(
                    deal_id=deal_id, base_version=base, latest_version=latest, saved_at=now,
                    author=author, document=document,
                )
            ).inserted_primary_key[0]
        return conflict_id, latest

    def keep(self, deal: Deal, *, base_version: int | None, author: str) -> int:
        """Keep an edit that will not become a version (the seller chose the other one) as a
        conflict record, so it can still be restored. Returns the conflict id."""
        conflict_id, _ = self._keep(deal.deal.id, base_version, None, _canonical(deal), author,
                                    utcnow())
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
        as_of: dt.date | dt.datetime | None = None,
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
