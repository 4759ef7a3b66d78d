"""A real team server for the tests and the benchmark: ``coachkit hub`` started as a user
starts it (its own subprocess, real JupyterHub, proxy, services), on a store the caller
prepared, with a TEAMS.toml written here."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from coachkit.processes import free_port


@contextlib.contextmanager
def other_unix_user() -> Iterator[str]:
    """Another account on this machine, made for the test and removed after it: what
    another local user can reach. Needs root (CI runs as root)."""
    import pytest

    if os.geteuid() != 0:
        pytest.skip("making another Unix user needs root (CI runs as root)")
    name = f"ck-other-{os.urandom(3).hex()}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=False)


def run_as(user: str, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a Python script as ``user``, with the machine's python3 (this one may be in a
    folder only root can enter) and the standard library only."""
    return subprocess.run(["runuser", "-u", user, "--", "/usr/bin/python3", "-c", script, *args],
                          capture_output=True, text=True, timeout=600, cwd="/")


@dataclass
class Hub:
    url: str
    runtime: Path
    log: Path
    proc: subprocess.Popen[str]
    password: str
    """The trial password every listed user signs in with."""
    admin_password: str
    marker: str
    """A text in the environment of every process the hub starts with the store (the
    database's name); the others have the runtime folder in theirs."""
    stdout: list[str] = field(default_factory=list)

    def login(self, user: str) -> tuple[requests.Session, requests.Response]:
        """Sign in through /hub/login's form; the answer is not followed (no server is
        started for the user)."""
        session = requests.Session()
        form = session.get(f"{self.url}hub/login", timeout=60)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
        assert xsrf, form.text[:300]
        password = self.admin_password if user == "adam" else self.password
        answer = session.post(f"{self.url}hub/login?next=", allow_redirects=False, timeout=60,
                              data={"username": user, "password": password,
                                    "_xsrf": xsrf.group(1)})
        assert answer.status_code == 302, (user, answer.status_code)
        return session, answer

    def processes(self) -> dict[int, str]:
        """pid -> argv of every live process the hub started (found by its environment)."""
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
                argv = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if any(mark in text for mark in (self.marker.encode(), str(self.runtime).encode())
                   for text in (environ, argv)):
                found[int(entry)] = argv.replace(b"\0", b" ").decode(errors="replace")
        found.pop(os.getpid(), None)
        return found


def teams_toml(password: str, admin_password: str) -> str:
    return f"""\
admins = ["adam"]

[teams.east]
sellers = ["ana"]
managers = ["maria", "max"]

[teams.west]
sellers = ["wes"]
managers = ["max"]

[trial]
password = "{password}"
admin_password = "{admin_password}"
"""


@contextlib.contextmanager
def running_hub(folder: Path, *, store: str, password_file: Path | None, marker: str,
                password: str, admin_password: str, report_every: float = 60.0,
                teams_text: str | None = None, extra: tuple[str, ...] = ()) -> Iterator[Hub]:
    """``coachkit hub`` on a free port; stopped with SIGTERM (as a service manager would).
    ``teams_text``: another TEAMS.toml than :func:`teams_toml`'s; ``extra``: more options."""
    teams = folder / "teams.toml"
    teams.write_text(teams_text or teams_toml(password, admin_password))
    runtime = folder / "runtime"
    log = folder / "hub.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("COACHKIT_STORE", "PGPASSWORD")}
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "coachkit.cli", "hub", "--teams", str(teams),
             "--store", store,
             *(["--store-password-file", str(password_file)] if password_file else []),
             "--port", str(port), "--runtime-dir", str(runtime),
             "--report-every", str(report_every), *extra],
            stdout=subprocess.PIPE, stderr=err, text=True, env=env, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{port}/", runtime, log, proc, password, admin_password,
              marker)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        for line in proc.stdout:
            hub.stdout.append(line)
            if line.startswith("coachkit hub: http://"):
                break
            if time.monotonic() > deadline:
                break
        if not hub.stdout or not hub.stdout[-1].startswith("coachkit hub: http://"):
            raise RuntimeError(f"coachkit hub did not start; see {log}:\n"
                               + log.read_text()[-3000:])
        yield hub
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- what the hub's tests share ----------------------------------------------------------------

REPORTS = "services/coachkit-reports/"
"""The reports service's path on the hub."""

SOCKETS_SEEN: list[str] = []
"""Unix sockets user servers listened on, checked gone once the hub has stopped."""


@contextlib.contextmanager
def team_hub(team_store: dict[str, object], folder: Path,
             extra: tuple[str, ...] = ()) -> Iterator[Hub]:
    """``coachkit hub`` on the hub tests' team store (its password in a 0600 file, fresh
    trial passwords), and once it has stopped, none of its processes left."""
    password_file = folder / "store-password"
    password_file.write_text(str(team_store["password"]) + "\n")
    password_file.chmod(0o600)
    with running_hub(folder, store=str(team_store["bare"]), password_file=password_file,
                     marker=str(team_store["database"]), password=secrets.token_urlsafe(9),
                     admin_password=secrets.token_urlsafe(32), extra=extra) as running:
        yield running
    time.sleep(1)
    left = running.processes()
    assert not left, f"processes left after the hub stopped: {left}"


def wait_for_reports(hub: Hub, session: requests.Session, teams: list[str]) -> str:
    """The index once every team has a rendered report (at most 8 minutes here)."""
    deadline = time.monotonic() + 480
    while True:
        page = session.get(hub.url + REPORTS, timeout=60)
        if all(f"href='/{REPORTS}teams/{t}/'" in page.text for t in teams):
            return page.text
        assert time.monotonic() < deadline, page.text
        time.sleep(3)


def signed_in_page(browser, hub: Hub, user: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{hub.url}hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", hub.password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_selector(".ck-deal-list select", timeout=300_000)
    return context, page
