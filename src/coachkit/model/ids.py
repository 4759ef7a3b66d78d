"""Deal ids: readable, safe in file names and URLs, and unique in the store."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable


def slug(text: str, max_length: int = 40, *, lower: bool = True, fallback: str = "") -> str:
    """``"Nordwind Ölwerke GmbH"`` -> ``"nordwind-olwerke-gmbh"``: safe in ids, file names and
    URLs. When no letter or digit survives as ASCII (``"李雷"``) it is ``""``, or with a
    ``fallback`` prefix a stable hash of the text, so two such names never collide."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if lower:
        ascii_text = ascii_text.lower()
    out = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:max_length].strip("-")
    if out or not fallback:
        return out
    digest = hashlib.sha1(text.strip().encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{fallback}{digest}"


def new_deal_id(customer: str, exists: Callable[[str], bool] = lambda _: False) -> str:
    """The customer's slug plus a short random suffix, retried until unused."""
    base = slug(customer) or "deal"
    while True:
        candidate = f"{base}-{secrets.token_hex(3)}"
        if not exists(candidate):
            return candidate
