"""What changed between two versions of a deal, as field paths a person can read."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from coachkit.model.messages import field_path

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _walk(old: Any, new: Any, loc: tuple[int | str, ...], out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            _walk(old.get(key), new.get(key), (*loc, key), out)
    elif isinstance(old, list) and isinstance(new, list) and not (
        all(isinstance(x, str) for x in old + new)
    ):
        for i in range(max(len(old), len(new))):
            a = old[i] if i < len(old) else None
            b = new[i] if i < len(new) else None
            if a is None or b is None:
                if a != b:
                    out.append(field_path((*loc, i)) + (" (added)" if a is None else " (removed)"))
            else:
                _walk(a, b, (*loc, i), out)
    elif old != new:
        out.append(field_path(loc))


def changed_fields(old: dict, new: dict) -> list[str]:
    """Leaf paths whose value differs, e.g. ``['problem.why_now', 'risks[2] (added)']``.

    Lists of records are compared position by position; lists of plain strings (such as
    ``problem.alternatives``) count as one field.
    """
    out: list[str] = []
    _walk(old, new, (), out)
    return out


def changed_sections(old: dict, new: dict) -> list[str]:
    """The top-level sections touched between two versions, in document order."""
    return list(dict.fromkeys(path.split(".")[0].split("[")[0]
                              for path in changed_fields(old, new)))


def path_steps(path: str) -> tuple[str | int, ...]:
    """``risks[2].owner (added)`` -> ``("risks", 2, "owner")`` (a change's note left out)."""
    return tuple(name or int(index) for name, index in _STEP.findall(path.split(" (")[0]))


def value_at(doc: Any, path: str) -> Any:
    """The value at a field path (``risks[2].owner``, as findings and :func:`changed_fields`
    name fields), None if absent."""
    path = path.split(" (")[0]
    for name, index in _STEP.findall(path):
        if name:
            doc = doc.get(name) if isinstance(doc, dict) else None
        else:
            i = int(index)
            doc = doc[i] if isinstance(doc, list) and i < len(doc) else None
    return doc


def set_at(doc: Any, path: str, value: Any) -> None:
    """Set the value at a field path in a document (the path must exist but for its end)."""
    steps = [(name, int(index) if index else None) for name, index in _STEP.findall(path)]
    for name, index in steps[:-1]:
        doc = doc[name] if name else doc[index]
    name, index = steps[-1]
    if name:
        doc[name] = value
    else:
        doc[index] = value


def fingerprint(doc: dict[str, Any], path: str) -> str:
    """A short stable digest of the value at ``path``: equal exactly while the field is
    unchanged (a dismissed finding comes back when its field changes)."""
    text = json.dumps(value_at(doc, path), sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
