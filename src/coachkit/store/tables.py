"""The store's tables (SQLAlchemy Core). ``deals`` holds each deal's header, for lists and
filters; ``versions`` every saved document; ``conflicts`` every refused edit, kept."""

from __future__ import annotations

import typing

import sqlalchemy as sa

from coachkit.store.records import HEADER_FIELDS

STORE_FORMAT = 3
"""The layout of the tables, kept in ``coachkit_meta``; :data:`UPGRADES` brings an older store
up to it (a newer one is refused)."""

metadata = sa.MetaData()


def _header_column(name: str, annotation: str) -> sa.Column[typing.Any]:
    kinds: dict[str, tuple[typing.Any, bool]] = {
        "str": (sa.Text, False), "float | None": (sa.Float, True),
        "dt.date | None": (sa.Date, True), "int | None": (sa.Integer, True)}
    kind, nullable = kinds[annotation]
    return sa.Column(name, kind, nullable=nullable, default=None if nullable else "")


deals_table = sa.Table(
    "deals",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    *(_header_column(f.name, str(f.type)) for f in HEADER_FIELDS),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Index("deals_by_crm_key", "crm_key"),
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

reviews_table = sa.Table(
    "reviews",
    metadata,
    sa.Column("deal_id", sa.String(80), sa.ForeignKey("deals.id"), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
)
"""Managers' reviews, numbered per deal like versions; the document holds the note, the
dismissals and the actions."""

review_events_table = sa.Table(
    "review_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deal_id", sa.String(80), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.ForeignKeyConstraint(["deal_id", "number"], ["reviews.deal_id", "reviews.number"]),
    sa.Index("review_events_by_review", "deal_id", "number"),
)
"""What happened to a review afterwards (actions done or reopened, answers), appended."""

meta_table = sa.Table(
    "coachkit_meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

def _add_crm_key(conn: sa.Connection) -> None:
    """Format 2: the CRM record a deal came from, to find it on the next import."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("deals")}
    if "crm_key" not in columns:
        conn.execute(sa.text("ALTER TABLE deals ADD COLUMN crm_key TEXT NOT NULL DEFAULT ''"))
    # the table's own index object (a new Index(...) would attach a second one to the table)
    index = next(i for i in deals_table.indexes if i.name == "deals_by_crm_key")
    index.create(conn, checkfirst=True)


def _add_reviews(conn: sa.Connection) -> None:
    """Format 3: reviews and their events (new tables, made by ``create_all``)."""


UPGRADES: dict[int, typing.Callable[[sa.Connection], None]] = {1: _add_crm_key,
                                                                2: _add_reviews}
"""``UPGRADES[n]`` brings a store of format n to n+1, inside the schema lock."""

__all__ = [
    "STORE_FORMAT",
    "UPGRADES",
    "conflicts_table",
    "deals_table",
    "meta_table",
    "metadata",
    "review_events_table",
    "reviews_table",
    "versions_table",
]
