"""The reports service's renderings: every team's reports, at start and then on a schedule.

Each team is rendered by the stable command ``coachkit report --team T --out DIR`` in a
subprocess (the store's location, password included, travels in its environment, never in
argv) into a new folder; when the run is complete the team's link is swapped to it in one
rename, so a reader sees the old run or the new one, never half of one.

    REPORTS/runs/<team>-<stamp>/   the files of one run
    REPORTS/teams/<team>           a symbolic link to the run being served
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from coachkit.clock import now

SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}")
SERVED = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
          ".csv": "text/csv; charset=utf-8"}
RUN_TIMEOUT = 3600.0
RENDER_GAP = 120.0
"""Seconds between two renderings of a team that managers ask for."""
APP_LINK_VAR = "COACHKIT_APP_LINK"
"""The renderings' variable saying where the app is (the deal report links to it)."""
APP_LINK = "hub/user-redirect/"
"""Under the hub's base URL: JupyterHub sends it on to the reader's own server (the app)."""
APP_PATH_VAR = "COACHKIT_APP_PATH"
"""Set in the reports service when the app is elsewhere under the hub's base URL (the shared
app's ``services/coachkit-app/``) instead of :data:`APP_LINK`."""


@dataclass(frozen=True)
class TeamState:
    """What the index shows of one team's reports."""

    rendered_at: dt.datetime | None = None
    running: bool = False
    queued: bool = False
    """A manager asked for a rendering that has not started yet."""
    problem: str = ""
    """Why the last run produced no report, or which deals failed (one line)."""


class Renderings:
    """The folder of rendered reports and the schedule that fills it."""

    def __init__(self, folder: Path, teams: list[str], *, python: str = sys.executable):
        self.folder = folder
        self.teams = teams
        self.python = python
        self._lock = threading.Lock()
        self._state = {t: TeamState(rendered_at=self._served_at(t)) for t in teams}
        self._proc: subprocess.Popen[str] | None = None
        self._one_run = threading.Lock()
        self._asked: dict[str, dt.datetime] = {}
        self._stopped = threading.Event()
        (folder / "runs").mkdir(parents=True, exist_ok=True)
        (folder / "teams").mkdir(exist_ok=True)
        for partial in (folder / "runs").glob(".*.partial"):  # a run cut short by a stop
            shutil.rmtree(partial, ignore_errors=True)

    def state(self, team: str) -> TeamState:
        with self._lock:
            return self._state[team]

    def _set(self, team: str, **changes: object) -> None:
        with self._lock:
            self._state[team] = replace(self._state[team], **changes)  # type: ignore[arg-type]

    # -- serving ---------------------------------------------------------------------------

    def served(self, team: str) -> Path | None:
        """The folder of the run being served for ``team`` (None before the first one)."""
        link = self.folder / "teams" / team
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def _served_at(self, team: str) -> dt.datetime | None:
        folder = self.served(team)
        if folder is None:
            return None
        return dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC).replace(tzinfo=None)

    def file(self, team: str, name: str) -> Path | None:
        """A report file of ``team`` by its bare name, or None: only plain names of files
        directly in the team's folder, of the kinds reports are (no path ever leaves it)."""
        folder = self.served(team)
        if folder is None or not SAFE_FILE.fullmatch(name) or ".." in name:
            return None
        path = folder / name
        if path.suffix not in SERVED or path.is_symlink() or not path.is_file() \
                or path.resolve().parent != folder:
            return None
        return path

    def team_report(self, team: str) -> str | None:
        """The team report's file name in the served run."""
        folder = self.served(team)
        found = sorted(folder.glob("team-*.html")) if folder else []
        return found[0].name if found else None

    # -- rendering -------------------------------------------------------------------------

    def render_all(self) -> None:
        for team in self.teams:
            if self._stopped.is_set():
                return
            self.render(team)

    def render_now(self, team: str) -> str:
        """Render ``team`` in a thread at a manager's request; "" when it started, else why
        not (one line): a run under way, or one asked for that ended less than
        :data:`RENDER_GAP` seconds ago (the machine renders for everyone)."""
        with self._lock:
            state = self._state[team]
            if state.running or state.queued:
                return "a rendering of this team is already under way"
            last = self._asked.get(team)
            if last is not None and (now() - last).total_seconds() < RENDER_GAP:
                wait = RENDER_GAP - (now() - last).total_seconds()
                return f"rendered on request a moment ago; ask again in {wait:.0f} seconds"
            self._asked[team] = now()
            self._state[team] = replace(state, queued=True)
        threading.Thread(target=self.render, args=(team,), daemon=True).start()
        return ""

    def render(self, team: str) -> None:
        """Render one team's reports into a new folder and serve it when complete (one run
        at a time: the schedule and a manager's request wait for each other)."""
        with self._one_run:
            self._set(team, queued=False)
            if not self._stopped.is_set():
                self._render(team)
            with self._lock:
                if team in self._asked:  # the gap counts from the end of a rendering
                    self._asked[team] = now()

    def _render(self, team: str) -> None:
        stamp = now().strftime("%Y%m%dT%H%M%S%f")
        partial = self.folder / "runs" / f".{team}-{stamp}.partial"
        self._set(team, running=True)
        try:
            code, errors = self._run(["report", "--team", team, "--out", str(partial),
                                      "--workers", "1", "--format", "both"])
            done = partial.with_name(f"{team}-{stamp}")
            if partial.is_dir() and any(partial.glob("team-*.html")):
                partial.rename(done)
                self._swap(team, done)
                self._set(team, rendered_at=now(),
                          problem="" if code == 0 else _last_line(errors))
            else:
                self._set(team, problem=_last_line(errors) or f"exit code {code}")
        finally:
            shutil.rmtree(partial, ignore_errors=True)
            self._set(team, running=False)

    def _run(self, args: list[str]) -> tuple[int, str]:
        with self._lock:
            if self._stopped.is_set():
                return 1, "stopped"
            app = (os.environ.get("JUPYTERHUB_BASE_URL", "/").rstrip("/") + "/"
                   + os.environ.get(APP_PATH_VAR, APP_LINK))
            self._proc = subprocess.Popen(
                [self.python, "-m", "coachkit.cli", *args], stdout=subprocess.DEVNULL,
                env={**os.environ, APP_LINK_VAR: app},
                stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True,
                cwd=self.folder)
        try:
            _, errors = self._proc.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._kill()
            return 1, f"took longer than {RUN_TIMEOUT / 60:.0f} minutes"
        return self._proc.returncode, errors

    def _swap(self, team: str, run: Path) -> None:
        link = self.folder / "teams" / team
        fresh = link.with_name(f".{team}.link")
        with contextlib.suppress(FileNotFoundError):
            fresh.unlink()
        fresh.symlink_to(Path("..") / "runs" / run.name)
        os.replace(fresh, link)  # one rename: readers see the old run or the new one
        for old in (self.folder / "runs").glob(f"{team}-*"):
            if old != run and old.name.rsplit("-", 1)[0] == team:
                shutil.rmtree(old, ignore_errors=True)

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        """No new run starts; a run under way is ended (its partial folder is removed)."""
        with self._lock:
            self._stopped.set()
        self._kill()

    def every(self, minutes: float) -> None:
        """Render now, then every ``minutes``, until :meth:`stop` (run in a thread)."""
        while not self._stopped.is_set():
            self.render_all()
            self._stopped.wait(minutes * 60)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
