"""Who saved versions are recorded as when nobody says: one default for the app and the CLI.

Standard library only: ``coachkit --help`` builds its ``--author`` default from it. On the team
server the signed-in user is the author instead (:mod:`coachkit.app.shell`).
"""

from __future__ import annotations

import os

ENV_VAR = "COACHKIT_AUTHOR"
FALLBACK = "coachkit"
"""The author when neither ``$COACHKIT_AUTHOR`` nor ``$USER`` says who."""


def default_author() -> str:
    """``$COACHKIT_AUTHOR``, else ``$USER``, else :data:`FALLBACK`."""
    return os.environ.get(ENV_VAR) or os.environ.get("USER") or FALLBACK
