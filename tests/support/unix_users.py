"""Another Unix user of this machine, made for a test: what a local attacker can reach.

CI runs as root; root reads every file, so the attacker is a fresh user (``useradd``) and runs
its commands through ``setpriv``, with no supplementary groups."""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


class OtherUser:
    """A user made for the test, and a way to run commands as it."""

    def __init__(self, name: str):
        self.name = name
        entry = pwd.getpwnam(name)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    def command(self, argv: list[str]) -> list[str]:
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                "--reset-env", "--", *argv]

    def run(self, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(argv), capture_output=True, text=True,
                              timeout=timeout, cwd="/")

    def python(self, code: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``code`` in this machine's Python (no venv packages needed) as the user."""
        return self.run([sys.executable, "-I", "-c", code, *args])

    def can_read(self, path: Path) -> bool:
        """Whether the user can open ``path`` for reading (a file) or list it (a folder)."""
        done = self.python("import os, sys\n"
                           "p = sys.argv[1]\n"
                           "os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1)\n",
                           str(path))
        if done.returncode and "PermissionError" not in done.stderr:
            raise AssertionError(f"reading {path} as {self.name} failed otherwise:\n"
                                 f"{done.stderr}")
        return done.returncode == 0


@contextlib.contextmanager
def other_user() -> Iterator[OtherUser]:
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"):
        pytest.skip("needs root with useradd and setpriv (CI runs as root)")
    name = f"ckt{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)
    try:
        yield OtherUser(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@contextlib.contextmanager
def shared_folder() -> Iterator[Path]:
    """A folder every user may enter and list (0755), as a home folder or /srv often is;
    pytest's own temporary folders are private to root, which would hide every mistake."""
    folder = Path(tempfile.mkdtemp(prefix="coachkit-shared-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def without_privileges(argv: list[str]) -> list[str]:
    """``argv`` run so that file modes bind it: as root (CI), through ``setpriv`` with every
    capability dropped (no CAP_DAC_OVERRIDE: a 0444 file is read-only to it, as to any user).
    The user id stays 0, so an interpreter and a checkout in folders only root may enter (as
    /root is) still run; another user could not start them there."""
    if os.geteuid() != 0:
        return argv
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux) to drop root's capabilities")
    return ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--",
            *argv]
