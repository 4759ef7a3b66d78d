"""The Binder configuration, installed the way repo2docker runs it, serving the app.

No Docker here: a fresh virtual environment gets ``binder/requirements.txt`` from the
repository root, then ``binder/postBuild`` runs; a Jupyter Server from that environment on
127.0.0.1 must answer the README badge's urlpath with the rendered app.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from coachkit.processes import free_port
from support.helpers import REPO
from support.servers import Server, wait_for_http

pytestmark = pytest.mark.slow



def readme_urlpath() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"mybinder\.org/v2/gh/[^)\s]+\?urlpath=([^)\s]+)", text)
    assert match, "the README has no Binder link with a urlpath"
    return urllib.parse.unquote(match.group(1))


def test_readme_badge_opens_the_app() -> None:
    assert readme_urlpath() == "voila/render/workbooks/coachkit.ipynb"
    assert (REPO / readme_urlpath().removeprefix("voila/render/")).is_file()


def test_binder_files() -> None:
    assert (REPO / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    requirements = (REPO / "binder" / "requirements.txt").read_text().splitlines()
    assert "-e ." in requirements  # repo2docker ignores pyproject.toml when binder/ exists
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert "set -e" in post_build
    assert os.access(REPO / "binder" / "postBuild", os.X_OK)


def test_binder_environment_serves_the_app(tmp_path: Path) -> None:
    venv = tmp_path / "binder-env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
           "XDG_DATA_HOME": str(tmp_path / "data"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "VIRTUAL_ENV": str(venv)}
    for key in ("COACHKIT_STORE", "PYTHONPATH", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR"):
        env.pop(key, None)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "-r", "binder/requirements.txt"], cwd=REPO, env=env, check=True)
    subprocess.run(["bash", "binder/postBuild"], cwd=REPO, env=env, check=True)
    installed = json.loads((venv / "etc" / "jupyter" / "jupyter_server_config.json").read_text())
    assert installed["VoilaConfiguration"]["template"] == "coachkit"
    template = venv / "share" / "jupyter" / "voila" / "templates" / "coachkit"
    assert (template / "static" / "coachkit.js").is_file()
    store = tmp_path / "data" / "coachkit" / "coachkit.db"
    assert store.is_file()  # postBuild loaded the default store

    port = free_port()
    server = Server([str(venv / "bin" / "jupyter"), "server", "--no-browser",
                     "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--allow-root",
                     "--IdentityProvider.token=", "--ServerApp.password=",
                     f"--ServerApp.root_dir={REPO}"],
                    f"http://127.0.0.1:{port}/", env, cwd=str(REPO),
                    log=tmp_path / "server.log")
    try:
        wait_for_http(server.url + "api/status")
        url = server.url + readme_urlpath() + "?scenario=paper-mill-were-different"
        with urllib.request.urlopen(url, timeout=120) as response:
            page = response.read().decode("utf-8")
    finally:
        server.stop()
    assert "application/vnd.jupyter.widget-view+json" in page
    assert "There was an error when executing cell" not in page
    assert "Traceback" not in page
    assert "voila/templates/coachkit/static/coachkit.js" in page  # the app's page template
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)  # all local
