"""Sending the weekly digest: SMTP settings from TEAMS.toml's ``[digest]``, messages with a
plain-text and an HTML part, and an outbox that keeps what could not be sent.

    [digest]
    smtp_host = "smtp.example.com"
    smtp_port = 587                  # default 587 with starttls, else 25
    starttls = true                  # default true
    username = "coachkit"            # optional: sign in to the server
    password_file = "/etc/coachkit/smtp-password"   # or $COACHKIT_SMTP_PASSWORD
    sender = "coachkit@example.com"
    base_url = "https://coach.example.com"          # the team server, for the links

    [digest.addresses]
    maria = "maria@example.com"      # a manager without an address gets no digest

The password is never an argument (every user of a machine can read argv): it comes from
``password_file`` or ``$COACHKIT_SMTP_PASSWORD``.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from coachkit.errors import CoachkitError
from coachkit.fs import write_atomic

PASSWORD_ENV = "COACHKIT_SMTP_PASSWORD"
TIMEOUT = 20.0
"""Seconds to wait for the SMTP server before the digests are kept to resend."""
KEYS = ("smtp_host", "smtp_port", "starttls", "username", "password_file", "sender",
        "base_url", "addresses")


@dataclass(frozen=True)
class MailSettings:
    """TEAMS.toml's ``[digest]``."""

    smtp_host: str
    sender: str
    base_url: str
    smtp_port: int = 587
    starttls: bool = True
    username: str = ""
    password_file: str = ""
    addresses: dict[str, str] = field(default_factory=dict)

    def password(self) -> str:
        """From the file, else the environment, else "" (a server that needs none)."""
        if self.password_file:
            try:
                return Path(self.password_file).read_text("utf-8").strip()
            except OSError as exc:
                raise CoachkitError(f"digest.password_file: cannot read "
                                    f"{self.password_file} ({exc.strerror})") from None
        return os.environ.get(PASSWORD_ENV, "")

    @property
    def server(self) -> str:
        return f"{self.smtp_host}:{self.smtp_port}"


def parse_mail(data: dict[str, Any], where: str) -> MailSettings:
    """The ``[digest]`` table of a TEAMS.toml; a mistake is one line naming the key."""
    raw = data.get("digest")
    if not isinstance(raw, dict):
        raise CoachkitError(f"{where}: no [digest] table (smtp_host, sender, base_url and "
                            "[digest.addresses]; see docs/team-server.md)")
    unknown = set(raw) - set(KEYS)
    if unknown:
        raise CoachkitError(f"{where}: digest: unknown key '{sorted(unknown)[0]}' "
                            f"(keys: {', '.join(KEYS)})")
    for key in ("smtp_host", "sender", "base_url"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CoachkitError(f"{where}: digest.{key} must be a text")
    if "password" in raw:
        raise CoachkitError(f"{where}: digest: put the password in password_file or "
                            f"${PASSWORD_ENV}, not in the file")
    starttls = raw.get("starttls", True)
    port = raw.get("smtp_port", 587 if starttls else 25)
    if not isinstance(port, int) or not 0 < port < 65536 or not isinstance(starttls, bool):
        raise CoachkitError(f"{where}: digest.smtp_port must be a port number and "
                            "digest.starttls true or false")
    addresses = raw.get("addresses", {})
    if not isinstance(addresses, dict) or not all(
            isinstance(v, str) and "@" in v for v in addresses.values()):
        raise CoachkitError(f"{where}: digest.addresses must map user names to email "
                            "addresses")
    return MailSettings(raw["smtp_host"], raw["sender"], raw["base_url"], port, starttls,
                        str(raw.get("username", "")), str(raw.get("password_file", "")),
                        dict(addresses))


def message(sender: str, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A message with a plain-text part and its HTML alternative."""
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def write_eml(folder: Path, name: str, msg: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_atomic(folder / f"{name}.eml", msg.as_bytes())
    path.chmod(0o600)  # an address book and a team's pipeline
    return path


def send(settings: MailSettings, messages: Iterable[EmailMessage]) -> None:
    """Send every message over one SMTP connection; raises ``OSError`` or
    ``smtplib.SMTPException`` (the caller keeps what was not sent)."""
    password = settings.password()
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, password)
        for msg in messages:
            smtp.send_message(msg)
