"""Files on disk: written whole or not at all, read only when they are what they claim.

:func:`write_atomic` writes to a temporary file in the target's folder, flushes it to disk
and renames it over the target, so a reader (or a crash) never sees half a workbook or half a
report; the file gets the mode any new file would get (0644 under umask 022), not
``mkstemp``'s private 0600. :func:`read_regular` reads a file a user names only if it is a
regular file of bounded size: a FIFO, a device or ``/dev/zero`` behind a link is refused.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from coachkit.errors import CoachkitError


def new_file_mode() -> int:
    """What ``open()`` gives a new file: 0o666 less the process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_regular(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or one line saying why not.

    Type and size are checked before the file is opened (opening a FIFO would block), again
    on the open descriptor (the path may have been swapped in between), and the read itself
    stops at the limit (a file that grows, or /proc): a FIFO, a device, a folder or an endless
    file is refused, never waited on or read into memory.
    """
    name = os.fspath(path)
    try:
        _check_regular(name, os.stat(name), limit, what)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        with open(os.open(name, flags), "rb", closefd=True) as fh:
            _check_regular(name, os.fstat(fh.fileno()), limit, what)
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise CoachkitError(f"{name}: cannot read (no such file)") from None
    except CoachkitError:
        raise
    except OSError as exc:
        raise CoachkitError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise CoachkitError(f"{name}: file is larger than {size_text(limit)}; a {what} is at "
                            f"most {size_text(limit)}")
    return data


def _check_regular(name: str, info: os.stat_result, limit: int, what: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise CoachkitError(f"{name}: is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise CoachkitError(f"{name}: not a regular file (a pipe, socket or device); a {what} "
                            "is read from a saved file only")
    if info.st_size > limit:
        raise CoachkitError(f"{name}: file is {size_text(info.st_size, 1)}; a {what} is at most "
                            f"{size_text(limit)}")


def size_text(n: int, decimals: int | None = None) -> str:
    """``5 MB``, ``50.0 MB`` (with ``decimals``) or ``64 kB``."""
    if n >= 1_000_000:
        return f"{n / 1e6:.{decimals}f} MB" if decimals is not None else f"{n / 1e6:g} MB"
    return f"{n / 1e3:g} kB" if n >= 1000 else f"{n} bytes"
