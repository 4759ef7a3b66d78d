"""What changed between two versions of a deal, as field paths a person can read."""

from __future__ import annotations

from typing import Any

from coachkit.model.files import field_path


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
