"""``coachkit digest``: each manager's weekly digest, sent over SMTP (or written as .eml)."""

from __future__ import annotations

import argparse
from pathlib import Path

from coachkit.cli.common import Parents, day_arg, err


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("digest", parents=[parents.coaching],
                       help="email each manager their teams' week",
                       description="For each manager of TEAMS.toml with an address in "
                       "[digest.addresses]: their teams' changes this week, overdue actions "
                       "and deals whose verdict or health got worse, each with a link to its "
                       "report on the team server. Sent over SMTP as set in [digest]; the "
                       "password comes from digest.password_file or $COACHKIT_SMTP_PASSWORD. "
                       "Digests that cannot be sent are kept in the outbox and sent with the "
                       "next run.")
    p.add_argument("--teams", metavar="TEAMS.toml", required=True,
                   help="the teams, their managers, and the [digest] settings")
    p.add_argument("--dry-run", action="store_true",
                   help="send nothing: write each digest as an .eml file into --out")
    p.add_argument("--out", metavar="DIR", default="digest",
                   help="where --dry-run writes (default: ./digest)")
    p.add_argument("--outbox", metavar="DIR", default=None,
                   help="where unsent digests wait (default: digest-outbox in your data "
                        "folder)")
    p.add_argument("--today", type=day_arg, metavar="DATE",
                   help="the week ending on DATE (default: today, UTC)")
    p.set_defaults(run=digest)


def _outbox(args: argparse.Namespace) -> Path:
    if args.outbox:
        return Path(args.outbox)
    from platformdirs import user_data_dir

    return Path(user_data_dir("coachkit", appauthor=False)) / "digest-outbox"


def digest(args: argparse.Namespace) -> int:
    import smtplib
    import tomllib

    from coachkit.hub.teams import load_teams
    from coachkit.mail import message, parse_mail, send, write_eml
    from coachkit.reports.digest import digests

    teams = load_teams(args.teams)
    mail = parse_mail(tomllib.loads(Path(args.teams).read_text("utf-8")), args.teams)
    managers: dict[str, list[str]] = {}
    for name, team in teams.teams.items():
        for m in team.managers:
            managers.setdefault(m, []).append(name)
    for m in sorted(set(managers) - set(mail.addresses)):
        err(f"digest: no address for {m} in [digest.addresses]: no digest for them")
        del managers[m]
    made = digests(args.store or "", managers, mail.base_url, today=args.today,
                   settings=args.settings or "")
    stamp = (made[0].today.isoformat() if made else "")
    mails = {f"{d.manager}-{stamp}": message(mail.sender, mail.addresses[d.manager], d.subject,
                                             d.text(), d.html()) for d in made}
    if args.dry_run:
        for name, msg in mails.items():
            print(write_eml(Path(args.out), name, msg))
        return 0
    outbox = _outbox(args)
    waiting = sorted(outbox.glob("*.eml")) if outbox.is_dir() else []
    from email import message_from_bytes, policy

    kept = [message_from_bytes(p.read_bytes(), policy=policy.SMTP) for p in waiting]
    try:
        send(mail, [*kept, *mails.values()])
    except (OSError, smtplib.SMTPException) as exc:
        for name, msg in mails.items():
            write_eml(outbox, name, msg)
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        err(f"digest: cannot send through {mail.server} ({reason}); "
            f"{len(mails) + len(waiting)} digest(s) kept in {outbox}, sent with the next "
            "`coachkit digest`")
        return 1
    for p in waiting:
        p.unlink()
    for name in mails:
        print(f"sent {name} to {mails[name]['To']}")
    if waiting:
        print(f"sent {len(waiting)} digest(s) kept from an earlier run")
    return 0

