"""Store files only their owner can open: a SQLite store holds every deal, and other users of
the same machine must not copy it.

:func:`private_sqlite_path` is the one place that makes a SQLite file private: the local app's
store and the team server's trial store both open theirs through it (via :class:`Store`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path

from coachkit.errors import CoachkitError

FILE_MODE = 0o600
FOLDER_MODE = 0o700
SIDE_FILES = ("-wal", "-shm", "-journal")
"""What SQLite keeps beside the database file; it creates them with the database's mode."""


def _notice(path: Path, mode: int, private: int) -> None:
    print(f"coachkit: {path} was open to other users of this machine "
          f"({stat.filemode(mode)}); made it private ({private:o})", file=sys.stderr)


def _tighten(path: Path, private: int) -> None:
    """Take the bits for others away, nothing more: a read-only store stays read-only."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    mode = info.st_mode
    if mode & 0o077 and info.st_uid == os.geteuid():  # another owner's file is theirs to set
        tightened = stat.S_IMODE(mode) & private
        os.chmod(path, tightened)
        _notice(path, mode, tightened)


SQLITE_HEADER = b"SQLite format 3\x00"


def _is_database(path: Path) -> bool:
    """Whether ``path`` is empty or a SQLite database: any other file named as a store (a
    text file given by mistake) is not a store, and is left as it is for the error to say."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError:
        return True  # unreadable: opening the store says why
    return not head or head == SQLITE_HEADER


def private_sqlite_path(path: Path, *, own_folder: bool = False) -> Path:
    """``path`` (resolved) with its SQLite files private to this user: a missing folder is
    made 0700, a missing database file 0600 (so SQLite makes its ``-wal`` and ``-shm`` 0600
    too), and existing files open to others are tightened with a one-line notice on stderr.
    The folder is tightened only when it is coachkit's own (``own_folder``): a folder the
    user chose may hold other things."""
    path = path.expanduser().resolve()
    folder = path.parent
    try:
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise CoachkitError(f"store: cannot make the folder {folder} ({exc.strerror})") \
            from None
    try:
        if own_folder:
            _tighten(folder, FOLDER_MODE)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
        if _is_database(path):
            for name in (path, *(path.with_name(path.name + side) for side in SIDE_FILES)):
                _tighten(name, FILE_MODE)
    except OSError as exc:
        raise CoachkitError(f"store: cannot make {exc.filename or path} private "
                            f"({exc.strerror})") from None
    return path
