"""The store: every deal with its whole version history.

- :mod:`~coachkit.store.records`: what the store hands out (versions, summaries, conflicts);
  the header columns are declared there, once;
- :mod:`~coachkit.store.tables`: the SQL tables;
- :mod:`~coachkit.store.location`: where a store is (``$COACHKIT_STORE``, a path or a URL,
  its secrets);
- :mod:`~coachkit.store.sql`: :class:`Store`, SQLAlchemy over SQLite or PostgreSQL;
- :mod:`~coachkit.store.private`: :func:`private_sqlite_path`, SQLite files only their owner
  opens (0600 in a 0700 folder), for every SQLite store (the app's, the team server's trial).
"""

from coachkit.store.location import ENV_VAR, default_location, to_url
from coachkit.store.private import private_sqlite_path
from coachkit.store.records import Conflict, DealSummary, VersionInfo
from coachkit.store.sql import Store

__all__ = ["ENV_VAR", "Conflict", "DealSummary", "Store", "VersionInfo", "default_location",
           "private_sqlite_path", "to_url"]
