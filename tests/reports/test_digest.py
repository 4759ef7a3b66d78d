"""``coachkit digest``: each manager's week, sent to a real SMTP server (aiosmtpd, started
here), written as .eml with --dry-run, and kept to resend when the server refuses."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from coachkit.processes import free_port
from support.helpers import TODAY

BASE = "https://coach.example.com"
PASSWORD = "s3cret-smtp-password"


class Inbox:
    """What the SMTP server received, and who signed in."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password.decode() == PASSWORD)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                            authenticator=inbox.authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def teams_toml(folder: Path, port: int, *, login: bool = False) -> str:
    path = folder / "teams.toml"
    secret = folder / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    path.write_text(f"""
[teams.emea-industry]
sellers = ["ana"]
managers = ["maria"]

[teams.nordics-services]
sellers = ["wes"]
managers = ["walt", "maria"]

[digest]
smtp_host = "127.0.0.1"
smtp_port = {port}
starttls = false
sender = "coachkit@example.com"
base_url = "{BASE}"
{'username = "coachkit"' if login else ""}
{f'password_file = "{secret}"' if login else ""}

[digest.addresses]
maria = "maria@example.com"
walt = "walt@example.com"
""")
    return str(path)


@pytest.fixture
def demo_store(tmp_path: Path, cli) -> str:
    store = str(tmp_path / "s.db")
    assert cli("demo", "--store", store).code == 0
    return store


def parts(msg: EmailMessage) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def assert_a_clean_digest(msg: EmailMessage) -> None:
    text, html = parts(msg)
    assert not re.search(r"<script|<img|<link|<iframe|url\(|\bsrc\s*=", html, re.I)
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith(f"{BASE}/services/coachkit-reports/teams/")
                         for link in links)
    assert "Team emea-industry" in text or "Team nordics-services" in text


def test_dry_run_writes_eml_files(tmp_path: Path, demo_store: str, cli) -> None:
    out = tmp_path / "eml"
    done = cli("digest", "--teams", teams_toml(tmp_path, 1), "--store", demo_store,
               "--dry-run", "--out", str(out))
    assert done.code == 0, done.err
    files = sorted(p.name for p in out.glob("*.eml"))
    assert files == [f"maria-{TODAY}.eml", f"walt-{TODAY}.eml"]
    maria = email.message_from_bytes((out / files[0]).read_bytes(), policy=policy.default)
    assert maria["To"] == "maria@example.com"
    assert_a_clean_digest(maria)  # type: ignore[arg-type]
    text, html = parts(maria)  # type: ignore[arg-type]
    # maria manages both teams; the demo's overdue action, a verdict that got worse
    assert "Team emea-industry" in text and "Team nordics-services" in text
    overdue = text[text.index("Overdue actions"):]
    assert "Northwind Verpackung GmbH: “Send the cost-of-inaction sheet" in overdue
    assert (f"{BASE}/services/coachkit-reports/teams/emea-industry/"
            "northwind-plant-maintenance.html") in overdue
    assert "Harbourline Freight Ltd: verdict Keep discovering → Back to discovery" in text
    assert "Fjordbank ASA: proposal → negotiation" in text
    assert ('<a href="https://coach.example.com/services/coachkit-reports/teams/'
            'nordics-services/fjordbank-onboarding.html"') in html
    walt, _ = parts(email.message_from_bytes((out / files[1]).read_bytes(),
                                             policy=policy.default))  # type: ignore[arg-type]
    assert "nordics-services" in walt and "emea-industry" not in walt


def test_sent_over_smtp_with_the_password_from_a_file(tmp_path: Path, demo_store: str, cli,
                                                      smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    done = cli("digest", "--teams", teams_toml(tmp_path, port, login=True), "--store",
               demo_store, "--outbox", str(tmp_path / "outbox"))
    assert done.code == 0, done.err
    assert sorted(m["To"] for m in inbox.messages) == ["maria@example.com", "walt@example.com"]
    for msg in inbox.messages:
        assert_a_clean_digest(msg)
    assert inbox.logins == [("coachkit", PASSWORD)]
    assert PASSWORD not in done.out + done.err


def test_a_refused_connection_keeps_the_digests_to_resend(tmp_path: Path, demo_store: str,
                                                          cli, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    outbox = tmp_path / "outbox"
    closed = free_port()  # nothing listens there
    refused = cli("digest", "--teams", teams_toml(tmp_path, closed), "--store", demo_store,
                  "--outbox", str(outbox))
    assert refused.code == 1
    lines = refused.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.err
    assert f"cannot send through 127.0.0.1:{closed} (Connection refused)" in lines[0]
    assert f"2 digest(s) kept in {outbox}" in lines[0]
    assert sorted(p.name for p in outbox.glob("*.eml")) == [f"maria-{TODAY}.eml",
                                                           f"walt-{TODAY}.eml"]
    assert inbox.messages == []
    # the next run sends what was kept, and this week's digests
    again = cli("digest", "--teams", teams_toml(tmp_path, port), "--store", demo_store,
                "--outbox", str(outbox))
    assert again.code == 0, again.err
    assert len(inbox.messages) == 4 and list(outbox.glob("*.eml")) == []
    assert "sent 2 digest(s) kept from an earlier run" in again.out


def test_settings_mistakes_are_one_line(tmp_path: Path, demo_store: str, cli) -> None:
    path = Path(teams_toml(tmp_path, 25))
    path.write_text(path.read_text().replace('starttls = false', 'password = "x"'))
    bad = cli("digest", "--teams", str(path), "--store", demo_store, "--dry-run")
    assert bad.code != 0 and len(bad.err.strip().splitlines()) == 1
    assert "password_file" in bad.err and '"x"' not in bad.err
