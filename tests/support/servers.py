"""A real ``coachkit app`` (Voila and its kernels) for the tests: started as a user starts it,
signed in to over HTTP as a browser would, and the pieces to talk to its kernels."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from support.helpers import TODAY
from support.procs import cmdline, descendants


def wait_for_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer in {timeout:.0f} s")
        time.sleep(0.25)


class Server:
    """A process group serving HTTP on 127.0.0.1 (Voila and its kernels)."""

    def __init__(self, command: list[str], url: str, env: dict[str, str], cwd: str | None = None,
                 log: Path | None = None):
        self.url = url
        self.log = log
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=45)  # coachkit app gives Voila 20 s, then ends what is left
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log else ""


class AppServer(Server):
    """``coachkit app`` as a user runs it: its URL, token included, is read from what it
    prints."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path,
                 cwd: str | None = None):
        super().__init__(command, "", env, cwd=cwd, log=log)
        deadline = time.monotonic() + 60
        while not (found := re.search(
                r"coachkit app: (http://127\.0\.0\.1:(\d+)/(?:([\w-]+)/)?)\?token=(\S+)",
                self.log_text())):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"coachkit app printed no URL:\n{self.log_text()}")
            time.sleep(0.1)
        self.url, self.port, self.prefix, self.token = (found[1], int(found[2]),
                                                        found[3] or "", found[4])
        self.root = f"http://127.0.0.1:{self.port}/"  # what other servers on the host share
        wait_for_http(self.url + "voila/static/voila.js")  # static: no page, no kernel

    def link(self, query: str = "") -> str:
        """The app's URL with the token, as printed (the first visit trades it for a cookie)."""
        return f"{self.url}?{query + '&' if query else ''}token={self.token}"

    def kernel_pids(self) -> set[int]:
        return {pid for pid in descendants(self.proc.pid) if "ipykernel" in cmdline(pid)}

    def pages_taken(self) -> int:
        """Preheated kernels Voila has handed to pages, from its log."""
        return self.log_text().count("Using pre-heated kernel")


def app_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "coachkit.cli", "app", "--no-browser", "--port", "0", *args]


def app_env() -> dict[str, str]:
    env = {**os.environ, "COACHKIT_TODAY": TODAY.isoformat(), "COACHKIT_AUTHOR": "browser"}
    env.pop("COACHKIT_STORE", None)
    return env


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Answers as they come: a redirect is looked at, not followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class AppClient:
    """A signed-in HTTP client of an :class:`AppServer`: cookies kept, as a browser does."""

    def __init__(self, server: AppServer):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies)
        # Signing in: the token URL answers with the login cookie and a redirect to the page;
        # that redirect is not followed here (the page would take a kernel).
        try:
            urllib.request.build_opener(cookies, NoRedirect).open(server.link(), timeout=60)
        except urllib.error.HTTPError as exc:
            self.signed_in = (exc.code, exc.headers["Location"])
        else:
            raise AssertionError("the token URL did not redirect")
        self.taken: list[str] = []

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name and c.value is not None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def page(self, query: str = "") -> tuple[str, str]:
        """A page (it takes a kernel): its HTML and kernel id."""
        url = self.server.url + (f"?{query}" if query else "")
        with self.opener.open(url, timeout=120) as response:
            html = response.read().decode("utf-8")
        self.taken.append(kernel_id(html))
        return html, self.taken[-1]

    def close_pages(self) -> None:
        """End the kernels of the pages taken, as their tabs' beacons would."""
        for kernel in self.taken:
            with contextlib.suppress(urllib.error.HTTPError):  # ended by the test already
                self.shutdown(kernel)

    def shutdown(self, kernel: str) -> int:
        """What the page's tab-close beacon sends."""
        xsrf = self.cookie("_xsrf")
        request = urllib.request.Request(
            f"{self.server.url}voila/api/shutdown/{kernel}", method="POST",
            data=urllib.parse.urlencode({"_xsrf": xsrf}).encode())
        with self.opener.open(request, timeout=30) as response:
            return response.status


def kernel_id(html: str) -> str:
    found = re.search(r'kernelId"?\s*:\s*"([0-9a-f-]{36})"', html)
    assert found, "the page has no kernel"
    return found[1]


def kernel_pid(server: AppServer, kernel: str) -> int:
    """The process of one of ``server``'s kernels."""
    return next(pid for pid in server.kernel_pids() if f"kernel-{kernel}.json" in cmdline(pid))


def message(msg_type: str, content: dict, **extra: str) -> str:
    """A Jupyter message as a page sends it over the kernel websocket."""
    return json.dumps({
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "t",
                   "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": extra, "content": content, "channel": "shell",
        "buffers": []})


def chromium_path() -> str | None:
    for candidate in (os.environ.get("COACHKIT_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
