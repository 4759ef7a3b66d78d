"""A real PostgreSQL server for the tests that need one: Debian's postgresql, started in a
temporary folder on 127.0.0.1 and a free port, as the unprivileged ``postgres`` user when the
tests run as root (the server refuses to run as root)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from coachkit.processes import free_port

BIN_DIRS = [Path(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]


def find_bin() -> Path | None:
    for folder in BIN_DIRS:
        if (folder / "initdb").is_file():
            return folder
    return None


@dataclass
class Postgres:
    """A running server: ``url(db)`` gives a SQLAlchemy URL with the password in it."""

    bin: Path
    data: Path
    port: int
    password: str
    as_user: list[str]

    def url(self, database: str = "coachkit", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://coachkit:{self.password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        env = {**os.environ, "PGPASSWORD": self.password}
        return subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "coachkit",
             "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            env=env, check=True, capture_output=True, text=True).stdout

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"t_{secrets.token_hex(6)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def kill_connections(self, database: str) -> None:
        """Cut every other session's connection to ``database`` (a dropped connection)."""
        self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  f"WHERE datname = '{database}' AND pid <> pg_backend_pid()")

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.data.parent, ignore_errors=True)


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    """Start a throwaway server; stop it and remove its files afterwards."""
    bin_dir = find_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="coachkit-pg-"))
    data = root / "data"
    password = secrets.token_urlsafe(12)
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses root: run it as the postgres user
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres")
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "coachkit",
                    "--pwfile", str(pwfile), "--auth=scram-sha-256", "-E", "UTF8",
                    "--locale=C.UTF-8"], check=True, capture_output=True)
    pwfile.unlink()
    port = free_port()
    server = Postgres(bin_dir, data, port, password, as_user)
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", "60",
                    "-l", str(root / "log"), "-o",
                    f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200",
                    "start"], check=True, capture_output=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.psql("CREATE DATABASE coachkit")
                break
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        server.stop()
