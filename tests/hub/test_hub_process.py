"""Running the hub so that nothing outlives it, and the reports service's folder: what the
team server does around JupyterHub, with real processes and real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from coachkit.hub.rendering import Renderings
from support.procs import alive

STAND_IN = textwrap.dedent("""\
    # a program that behaves like JupyterHub where it matters here: it starts a process in
    # a new session, handles SIGTERM only once it says it is running, and leaves that
    # process behind when it stops
    import signal, subprocess, sys, time
    print("sigint:", "default" if signal.getsignal(signal.SIGINT) is signal.default_int_handler
          else "ignored", flush=True)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                             start_new_session=True)
    print("child:", child.pid, flush=True)
    time.sleep(2)  # until here SIGTERM kills it at once, as it kills a starting JupyterHub
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # now it is handled
    print("JupyterHub is now running at http://127.0.0.1:1", flush=True)
    signal.sigwait({signal.SIGTERM})
    print("stopping", flush=True)
""")

WRAPPER = textwrap.dedent("""\
    import sys
    from coachkit.hub.process import run_hub
    sys.exit(run_hub([sys.executable, sys.argv[1]], env=None, cwd=".", log=sys.stdout,
                     on_running=lambda: print("running", flush=True)))
""")


@pytest.mark.slow
def test_a_stop_before_the_hub_runs_waits_for_it_and_nothing_is_left(tmp_path: Path):
    stand_in = tmp_path / "hub.py"
    stand_in.write_text(STAND_IN)
    wrapper = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(stand_in)], stdout=subprocess.PIPE, text=True,
        cwd=tmp_path, start_new_session=True,
        # started like a background job of a script: SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert wrapper.stdout is not None
    lines = [wrapper.stdout.readline(), wrapper.stdout.readline()]
    child = int(lines[1].split()[1])
    wrapper.send_signal(signal.SIGTERM)  # before "JupyterHub is now running"
    out, _ = wrapper.communicate(timeout=60)
    lines += out.splitlines()
    assert lines[0].strip() == "sigint: default"
    assert "running" in lines and "stopping" in lines  # waited for it, then stopped it
    assert lines.index("running") < lines.index("stopping")
    assert wrapper.returncode == 0
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child), "the process the hub left behind is still running"


# -- the reports folder ----------------------------------------------------------------------


def test_only_plain_report_files_of_the_served_run_are_served(tmp_path: Path):
    folder = tmp_path / "reports"
    cut_short = folder / "runs" / ".east-0.partial"  # a run a stop cut short
    cut_short.mkdir(parents=True)
    renderings = Renderings(folder, ["east", "west"])
    assert not cut_short.exists()
    assert renderings.served("east") is None and renderings.file("east", "x.html") is None
    run = folder / "runs" / "east-1"
    run.mkdir()
    for name in ("team-east.html", "acme-1a2b3c.html", "acme-1a2b3c.pdf", "team-east.csv",
                 "notes.ipynb", ".hidden.html"):
        (run / name).write_text(name)
    (folder / "runs" / "west-1").mkdir()
    (folder / "runs" / "west-1" / "secret.html").write_text("west")
    (tmp_path / "outside.html").write_text("outside")
    (run / "link.html").symlink_to(tmp_path / "outside.html")
    (folder / "teams" / "east").symlink_to(Path("..") / "runs" / "east-1")
    assert renderings.team_report("east") == "team-east.html"
    assert renderings.file("east", "acme-1a2b3c.html") == run / "acme-1a2b3c.html"
    assert renderings.file("east", "team-east.csv") == run / "team-east.csv"
    for name in ("../west-1/secret.html", "..", "../../outside.html", "/etc/passwd",
                 "notes.ipynb", ".hidden.html", "link.html", "", "team-east.html/",
                 "..%2Fwest-1%2Fsecret.html", "missing.html", "east-1"):
        assert renderings.file("east", name) is None, name
    assert renderings.file("west", "secret.html") is None  # no run served for west yet


@pytest.mark.slow
def test_a_failed_run_serves_nothing_new_and_says_why(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("COACHKIT_STORE", str(tmp_path / "empty.db"))
    renderings = Renderings(tmp_path / "reports", ["east"])
    renderings.render("east")  # coachkit report --team east: no deals in that team
    state = renderings.state("east")
    assert not state.running and state.rendered_at is None
    assert state.problem == "coachkit: no deals in team 'east'"
    assert renderings.served("east") is None
    assert os.listdir(tmp_path / "reports" / "runs") == []  # the partial run is gone
