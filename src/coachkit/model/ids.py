"""Deal ids: readable, safe in file names and URLs, and unique in the store."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable


def slug(text: str, max_length: int = 40) -> str:
    """``"Nordwind Ölwerke GmbH"`` -> ``"nordwind-olwerke-gmbh"``; empty when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length].strip("-")


def new_deal_id(customer: str, exists: Callable[[str], bool] = lambda _: False) -> str:
    """The customer's slug plus a short random suffix, retried until unused."""
    base = slug(customer) or "deal"
    while True:
        candidate = f"{base}-{secrets.token_hex(3)}"
        if not exists(candidate):
            return candidate
