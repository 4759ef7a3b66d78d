"""The links a trainer shares: the app opened on a scenario, locally or on Binder.

Both are whole URLs anyone can open: ``coachkit scenarios`` prints them, and the README's
Binder badge points at the same repository.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode, urlsplit

from coachkit.errors import CoachkitError

LOCAL_APP = "http://127.0.0.1:8866/"
"""Where ``coachkit app`` listens unless told otherwise (``--port``)."""

BINDER_REPO = "coachkit/coachkit"
"""The GitHub repository whose ``binder/`` folder Binder builds (the README badge's)."""

BINDER = "https://mybinder.org/v2/gh/"
APP_NOTEBOOK = "workbooks/coachkit.ipynb"

_REPO = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)/([A-Za-z0-9][A-Za-z0-9_.-]*)(?:@([^\s@]+))?$")


def _query(scenario_id: str, cohort: str) -> str:
    params = {"scenario": scenario_id} if scenario_id else {}
    if cohort.strip():
        params["cohort"] = cohort.strip()
    return urlencode(params, quote_via=quote)


def local_link(scenario_id: str, cohort: str = "", app_url: str = LOCAL_APP) -> str:
    """``http://127.0.0.1:8866/?scenario=...&cohort=...`` (the app asks for its token)."""
    parts = urlsplit(app_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise CoachkitError(f"--app-url: not an app address: {app_url!r} "
                            "(e.g. http://127.0.0.1:8866/)")
    base = app_url if app_url.endswith("/") else app_url + "/"
    query = _query(scenario_id, cohort)
    return base + (f"?{query}" if query else "")


def binder_link(scenario_id: str, cohort: str = "", repo: str = BINDER_REPO) -> str:
    """``https://mybinder.org/v2/gh/OWNER/REPO/REF?urlpath=voila/render/...``: Binder builds
    the repository and opens the app on the scenario."""
    match = _REPO.match(repo.strip())
    if not match:
        raise CoachkitError(f"--binder: not a GitHub repository: {repo!r} (use OWNER/REPO "
                            "or OWNER/REPO@BRANCH)")
    owner, name, ref = match.groups()
    query = _query(scenario_id, cohort)
    urlpath = f"voila/render/{APP_NOTEBOOK}" + (f"?{query}" if query else "")
    return (f"{BINDER}{owner}/{name}/{quote(ref or 'HEAD', safe='')}"
            f"?urlpath={quote(urlpath, safe='/')}")
