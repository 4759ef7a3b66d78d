"""``coachkit app``: the seller's workbook app, served by Voila on 127.0.0.1."""

from __future__ import annotations

import argparse

from coachkit.cli.common import Parents


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: Parents) -> None:
    p = sub.add_parser("app", parents=[parents.store],
                       help="start the seller's workbook app (Voila)",
                       description="Start the workbook app in Voila on 127.0.0.1 and print its "
                       "URL, with a token that is new on every start.")
    p.add_argument("--port", type=int, default=8866,
                   help="port (default 8866; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--pool-size", type=int, default=1, metavar="N",
                   help="kernels kept preheated for the next page (default 1; 0 turns it off)")
    p.add_argument("--max-pages", type=int, default=None, metavar="N",
                   help="most workbook pages open at once, each with its own kernel (default "
                        "6; 0: no limit)")
    p.set_defaults(run=app)


def app(args: argparse.Namespace) -> int:
    from coachkit.app.server import run_app

    return run_app(args)
