"""coachkit installed the normal way: a wheel in a fresh virtual environment, used from an
empty folder, does its main jobs (demo store, a report, the app)."""

from __future__ import annotations

import importlib.resources
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

from coachkit.processes import free_port
from support.helpers import REPO
from support.servers import AppClient, AppServer


def test_every_package_is_listed() -> None:
    """A new sub-package must be listed in pyproject.toml, or the wheel leaves it out."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = {".".join(p.parent.relative_to(REPO / "src").parts)
             for p in (REPO / "src" / "coachkit").rglob("__init__.py")}
    assert found | {"coachkit.templates", "coachkit.workbooks"} == listed


def test_the_root_folders_are_the_package_copies() -> None:
    """Binder and JupyterLab open workbooks/ and templates/; the package finds the same."""
    assert Path(str(importlib.resources.files("coachkit.workbooks"))) == REPO / "workbooks"
    assert Path(str(importlib.resources.files("coachkit.templates"))) == REPO / "templates"


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_runs_demo_report_and_app(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", str(wheels), str(REPO)], check=True,
                   cwd=tmp_path)
    wheel = next(wheels.glob("coachkit-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for shipped in ("coachkit/workbooks/coachkit.ipynb", "coachkit/templates/deal_report.ipynb",
                        "coachkit/templates/coachkit/index.html.j2",
                        "coachkit/app/jupyter/voila/templates/coachkit/index.html.j2",
                        "coachkit/app/jupyter/voila/templates/coachkit/conf.json",
                        "coachkit/app/jupyter/voila/templates/coachkit/static/coachkit.js",
                        "coachkit/app/jupyter/voila/templates/coachkit/static/coachkit.css",
                        "coachkit/app/pages/sign-in.html", "coachkit/app/pages/error.html",
                        "coachkit/coaching/settings.toml"):
            assert shipped in names
        assert archive.read("coachkit/workbooks/coachkit.ipynb") == (
            REPO / "workbooks" / "coachkit.ipynb").read_bytes()

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("COACHKIT_STORE", "PYTHONPATH", "VIRTUAL_ENV", "JUPYTER"))}
    env.update({"PATH": f"{venv / 'bin'}:{env['PATH']}", "HOME": str(tmp_path / "home"),
                "XDG_DATA_HOME": str(tmp_path / "data"),
                "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    str(wheel)], check=True, env=env, cwd=tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    coachkit = str(venv / "bin" / "coachkit")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([coachkit, *args], cwd=empty, env=env, capture_output=True,
                              text=True, timeout=600)

    demo = run("demo")
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "data" / "coachkit" / "coachkit.db").is_file()  # the user's data folder
    report = run("report", "northwind-plant-maintenance", "--out", "out")
    assert report.returncode == 0, report.stderr
    page = (empty / "out" / "northwind-plant-maintenance.html").read_text(encoding="utf-8")
    assert "Northwind" in page and "What changed since" in page

    server = AppServer([coachkit, "app", "--port", str(free_port()), "--no-browser"], env,
                       tmp_path / "app.log", cwd=str(empty))
    try:
        page, _ = AppClient(server).page("deal_id=northwind-plant-maintenance")
        assert "application/vnd.jupyter.widget-view+json" in page
        # under the app's secret path segment, as every address of the app
        script = re.search(r'src="/((?:[\w-]+/)?voila/templates/coachkit/static/coachkit\.js'
                           r'[^"]*)"', page)
        assert script, "the page is not the coachkit template's"
        with urllib.request.urlopen(server.root + script[1], timeout=30) as response:
            assert b"connection to the workbook was lost" in response.read()
    finally:
        server.stop()
    assert sorted(p.name for p in empty.iterdir()) == ["out"]  # nothing else left behind
