"""Three-way merge of two edits of one deal: the version both started from (base), the one
saved meanwhile (theirs) and the one being saved (mine).

A save that finds a newer version is merged, never written over it. Fields are merged one by
one: a field only one side changed takes that side's value, a field both changed to the same
value is settled, and only a field both changed differently is a :class:`FieldConflict`,
for a person to choose. Nothing is dropped silently: an item one side removed and the other
changed is a conflict too.

Lists of records are matched by identity, not by position (a risk added on one page must not
pair with a different risk on the other):

- **stakeholders** by name (the model keeps names unique; a renamed person is matched as
  below, and their disagreements follow the new name);
- every other list (risks, disagreements, the mutual plan, metrics, ...) by alignment:
  unchanged items are anchors; among the items between two anchors, an edited item pairs with
  the base item it shares most filled-in values with, and when as many items changed on
  both sides, they pair in order (one item edited in place).

JSON Patch (RFC 6902, the ``jsonpatch`` library) addresses list items by index, so a patch
from base to mine applied to theirs would edit the wrong risk once theirs added or removed
one: the merge itself is done here with identity, and the chosen values are applied to the
merged document as a JSON Patch (:func:`resolve`).

Pure functions of plain JSON documents (``Deal.to_json_dict()``): the app's session and the
CLI's ``import`` both use them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import jsonpatch
import jsonpointer

from coachkit.model.vocabulary import field_title

Path = tuple[str | int, ...]

MINE = "mine"
THEIRS = "theirs"

SIMILAR = 0.5
"""Share of filled-in values two versions of a record must have in common to be one item."""

_KEYS: dict[str, Callable[[Any], Any]] = {"stakeholders": lambda item: item.get("name")}
"""Lists whose items carry their identity in a field (by the list's name)."""


@dataclass(frozen=True)
class FieldConflict:
    """A field (or a whole item) both sides changed differently: a person chooses.

    ``path`` is where it sits in the merged document, which holds ``theirs`` until mine is
    chosen. For an item one side removed and the other changed, that side's value is None
    (choosing it removes the item)."""

    path: Path
    title: str
    base: Any
    mine: Any
    theirs: Any

    @property
    def pointer(self) -> str:
        return jsonpointer.JsonPointer.from_parts([str(p) for p in self.path]).path

    @property
    def item(self) -> bool:
        """A whole item removed on one side and changed on the other."""
        return (self.mine is None and isinstance(self.theirs, dict)) or \
            (self.theirs is None and isinstance(self.mine, dict))


@dataclass
class Merge:
    """The merged document, the changes of theirs it took in, and the conflicts left."""

    doc: dict[str, Any]
    conflicts: list[FieldConflict] = field(default_factory=list)
    theirs_changed: list[str] = field(default_factory=list)
    """Titles of what theirs changed that the merge took in (for "merged with ...")."""
    mine_changed: list[str] = field(default_factory=list)
    labels: dict[Path, str] = field(default_factory=dict, repr=False)
    """The label of each list item met (by its path in the merged document)."""
    renamed: dict[str, list[str]] = field(default_factory=dict)
    """Stakeholders renamed on either side: old name -> the new names."""

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge(base: Mapping[str, Any], theirs: Mapping[str, Any],
          mine: Mapping[str, Any]) -> Merge:
    """Merge ``mine`` and ``theirs``, both edited from ``base``. The documents are not
    changed; conflicts hold theirs in ``Merge.doc`` until :func:`resolve` applies a choice."""
    out = Merge(doc={})
    for side in (theirs, mine):
        _renames(base.get("stakeholders"), side.get("stakeholders"), out.renamed)
    doc = _merge(copy.deepcopy(dict(base)), copy.deepcopy(dict(theirs)),
                 copy.deepcopy(dict(mine)), (), out)
    out.doc = _follow_people(doc, out.renamed)
    out.theirs_changed = list(dict.fromkeys(out.theirs_changed))
    out.mine_changed = list(dict.fromkeys(out.mine_changed))
    return out


def resolve(merged: Merge, choices: Mapping[str, str]) -> dict[str, Any]:
    """The merged document with each conflict settled as chosen (``choices[pointer]`` is
    :data:`MINE` or :data:`THEIRS`; a conflict left out keeps theirs). Applied as one JSON
    Patch; removed items go last, from the end, so that earlier indices stay right."""
    replace, remove = [], []
    for c in merged.conflicts:
        chosen = c.mine if choices.get(c.pointer, THEIRS) == MINE else c.theirs
        if chosen is None and c.item:
            remove.append(c)
        elif chosen != c.theirs:
            replace.append({"op": "replace", "path": c.pointer, "value": chosen})
    remove.sort(key=lambda c: c.path, reverse=True)
    ops = replace + [{"op": "remove", "path": c.pointer} for c in remove]
    doc = jsonpatch.JsonPatch(ops).apply(merged.doc) if ops else copy.deepcopy(merged.doc)
    return _follow_people(doc, merged.renamed)


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What changed from ``old`` to ``new``, as field titles ("Why now", "Risks › Sensors
    late › Owner", "Stakeholders › Jonas Berg (removed)"), list items matched by identity."""
    return merge(old, new, old).theirs_changed


def summary(titles: Sequence[str], most: int = 3) -> str:
    """'“Why now”, “Root cause” and 2 more': a few titles for a sentence."""
    shown = [f"“{t}”" for t in titles[:most]]
    if len(titles) > most:
        shown.append(f"{len(titles) - most} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def merged_with(who: str, titles: Sequence[str], version: int) -> str:
    """"merged with maria's change to “Why now” (version 41)"; "" when nothing came in."""
    if not titles:
        return ""
    return (f"merged with {who}'s change{'s' if len(titles) > 1 else ''} to "
            f"{summary(titles)} (version {version})")


# -- the walk ------------------------------------------------------------------------------

def _merge(base: Any, theirs: Any, mine: Any, path: Path, out: Merge) -> Any:
    if mine == theirs:
        return theirs
    records = isinstance(base, list) and isinstance(theirs, list) and isinstance(mine, list) \
        and any(isinstance(x, dict) for x in (*base, *theirs, *mine))
    if theirs == base and not isinstance(mine, dict):
        out.mine_changed.append(_title(path, out, mine if mine is not None else base))
        return mine
    if mine == base and not (isinstance(theirs, dict) or records):
        out.theirs_changed.append(_title(path, out, theirs if theirs is not None else base))
        return theirs
    if isinstance(base, dict) and isinstance(theirs, dict) and isinstance(mine, dict):
        return {key: _merge(base.get(key), theirs.get(key), mine.get(key), (*path, key), out)
                for key in [*theirs, *(k for k in mine if k not in theirs)]}
    if records:
        return _merge_records(base, theirs, mine, path, out)
    if isinstance(base, list) and isinstance(theirs, list) and isinstance(mine, list) \
            and all(isinstance(x, str) for x in (*base, *theirs, *mine)):
        out.theirs_changed.append(_title(path, out, theirs))
        return _merge_set(base, theirs, mine)
    out.conflicts.append(FieldConflict(path, _title(path, out, base), base, mine, theirs))
    return theirs


def _merge_set(base: list[str], theirs: list[str], mine: list[str]) -> list[str]:
    """A list of plain texts (the alternatives, the people of a disagreement): what either
    side added is in, what either side removed is out, in theirs' order."""
    kept = [x for x in theirs if not (x in base and x not in mine)]
    return kept + [x for x in dict.fromkeys(mine) if x not in base and x not in kept]


def _merge_records(base: list[Any], theirs: list[Any], mine: list[Any], path: Path,
                   out: Merge) -> list[Any]:
    key = _KEYS.get(str(path[-1])) if path else None
    to_theirs = dict(_pairs(base, theirs, key))
    to_mine = dict(_pairs(base, mine, key))
    from_theirs = {t: b for b, t in to_theirs.items()}
    from_mine = {m: b for b, m in to_mine.items()}
    result: list[Any] = []
    placed: dict[int, int] = {}  # base index -> index in result
    for t, item in enumerate(theirs):
        b = from_theirs.get(t)
        if b is None:  # theirs added it
            out.theirs_changed.append(_title((*path, len(result)), out, item) + " (added)")
            result.append(item)
            continue
        m = to_mine.get(b)
        here = (*path, len(result))
        out.labels[here] = item_label(str(path[-1]), item)
        if m is None:  # mine removed it
            if item == base[b]:
                out.mine_changed.append(_title(here, out, base[b]) + " (removed)")
                continue
            out.conflicts.append(FieldConflict(here, _title(here, out, item), base[b], None, item))
        else:
            item = _merge(base[b], item, mine[m], here, out)
        placed[b] = len(result)
        result.append(item)
    for b, old in enumerate(base):  # theirs removed it
        if b in to_theirs:
            continue
        m = to_mine.get(b)
        if m is None or mine[m] == old:
            out.theirs_changed.append(f"{_safe_title(path)} › {item_label(str(path[-1]), old)}"
                                      " (removed)")
            continue
        here = (*path, len(result))
        out.labels[here] = item_label(str(path[-1]), mine[m])
        out.conflicts.append(FieldConflict(here, _title(here, out, mine[m]), old, mine[m],
                                           None))
        result.append(mine[m])
    # mine's additions: after the item they follow in mine, in mine's order
    cursor = 0
    for m, item in enumerate(mine):
        b = from_mine.get(m)
        if b is not None:
            cursor = placed[b] + 1 if b in placed else cursor
            continue
        same = _key(key, item) if key else None
        twin = next((i for i, r in enumerate(result)
                     if same is not None and key and _key(key, r) == same), None)
        if twin is not None:  # both added the same person: merged as two edits of nothing
            out.labels[(*path, twin)] = item_label(str(path[-1]), item)
            result[twin] = _merge(_blank(item), result[twin], item, (*path, twin), out)
            continue
        if item in result:  # both added the very same item
            continue
        _shift(out, path, cursor)
        placed = {k: v + (v >= cursor) for k, v in placed.items()}
        result.insert(cursor, item)
        out.mine_changed.append(_title((*path, cursor), out, item) + " (added)")
        cursor += 1
    return result


def _shift(out: Merge, path: Path, at: int) -> None:
    """An item inserted at ``path[at]``: conflicts at or after it move one down."""
    n = len(path)
    for i, c in enumerate(out.conflicts):
        step = c.path[n] if len(c.path) > n else None
        if c.path[:n] == path and isinstance(step, int) and step >= at:
            out.conflicts[i] = FieldConflict((*path, step + 1, *c.path[n + 1:]), c.title,
                                             c.base, c.mine, c.theirs)


def _blank(item: dict[str, Any]) -> dict[str, Any]:
    return {k: None for k in item}


def _pairs(base: Sequence[Any], other: Sequence[Any],
           key: Callable[[Any], Any] | None) -> dict[int, int]:
    """Which item of ``other`` is which item of ``base`` (base index -> other index)."""
    found: dict[int, int] = {}
    if key is not None:
        where: dict[Any, int] = {}
        for o, item in enumerate(other):
            where.setdefault(_key(key, item), o)
        for b, item in enumerate(base):
            same = where.get(_key(key, item))
            if same is not None and _key(key, item) is not None \
                    and same not in found.values():
                found[b] = same
    rest_b = [b for b in range(len(base)) if b not in found]
    taken = set(found.values())
    rest_o = [o for o in range(len(other)) if o not in taken]
    texts_b = [_canon(base[b]) for b in rest_b]
    texts_o = [_canon(other[o]) for o in rest_o]
    matcher = SequenceMatcher(None, texts_b, texts_o, autojunk=False)
    for tag, b1, b2, o1, o2 in matcher.get_opcodes():
        if tag == "equal":
            found.update({rest_b[b1 + i]: rest_o[o1 + i] for i in range(b2 - b1)})
        elif tag == "replace":
            found.update(_pair_changed([rest_b[i] for i in range(b1, b2)],
                                       [rest_o[i] for i in range(o1, o2)], base, other))
    return found


def _pair_changed(bs: list[int], os_: list[int], base: Sequence[Any],
                  other: Sequence[Any]) -> dict[int, int]:
    """Among changed items between two anchors: most alike first, then in order."""
    scored = sorted(((_alike(base[b], other[o]), b, o) for b in bs for o in os_),
                    key=lambda s: (-s[0], s[1], s[2]))
    found: dict[int, int] = {}
    for score, b, o in scored:
        if score >= SIMILAR and b not in found and o not in found.values():
            found[b] = o
    left_b = [b for b in bs if b not in found]
    left_o = [o for o in os_ if o not in found.values()]
    if len(left_b) == len(left_o):
        found.update(zip(left_b, left_o, strict=True))
    return found


def _alike(a: Any, b: Any) -> float:
    """The share of filled-in fields two records agree on (0 for non-records)."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return 0.0
    filled = [k for k in {*a, *b} if a.get(k) not in (None, "", [], False)
              or b.get(k) not in (None, "", [], False)]
    if not filled:
        return 1.0
    return sum(a.get(k) == b.get(k) for k in filled) / len(filled)


def _key(key: Callable[[Any], Any], item: Any) -> Any:
    value = key(item) if isinstance(item, dict) else None
    return value.strip() if isinstance(value, str) else value


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _renames(base: Any, side: Any, out: dict[str, list[str]]) -> None:
    if not (isinstance(base, list) and isinstance(side, list)):
        return
    key = _KEYS["stakeholders"]
    for b, o in _pairs(base, side, key).items():
        old, new = _key(key, base[b]), _key(key, side[o])
        if old != new and isinstance(old, str) and isinstance(new, str):
            out.setdefault(old, []).append(new)


def _follow_people(doc: dict[str, Any], renamed: Mapping[str, list[str]]) -> dict[str, Any]:
    """Disagreements name stakeholders: after a merge they follow a person renamed on either
    side, and name only people still listed (a person removed leaves them; fewer than two
    left and the disagreement goes), as the app does when a person is renamed or removed."""
    people = doc.get("stakeholders")
    if not isinstance(people, list) or not isinstance(doc.get("disagreements"), list):
        return doc
    names = {p.get("name") for p in people if isinstance(p, dict)}
    kept = []
    for d in doc["disagreements"]:
        if isinstance(d, dict) and isinstance(d.get("between"), list):
            named = [n if n in names else next(
                (new for new in renamed.get(n, []) if new in names), n) for n in d["between"]]
            d["between"] = [n for n in named if n in names]
            if len(d["between"]) < 2:
                continue
        kept.append(d)
    doc["disagreements"] = kept
    return doc


# -- words -----------------------------------------------------------------------------------

def item_label(list_name: str, item: Any) -> str:
    """How a person recognises an item of a list: the stakeholder's name, the risk's text."""
    if not isinstance(item, dict):
        return str(item)
    if list_name == "disagreements" and isinstance(item.get("between"), list):
        return " vs ".join(map(str, item["between"]))
    for name in ("name", "description", "milestone", "customer_term", "quote", "about"):
        text = item.get(name)
        if isinstance(text, str) and text.strip():
            text = " ".join(text.split())
            return text if len(text) <= 40 else text[:39] + "…"
    return "(untitled)"


def _title(path: Path, out: Merge, value: Any = None) -> str:
    """``("problem", "why_now")`` -> "Why now"; in a list the item's label comes first:
    "Risks › Night shift ignores alerts › Owner" (``value``: the item, for a whole item)."""
    if not path:
        return "the deal"
    words: list[str] = []
    start = 0
    for i, step in enumerate(path):
        if not isinstance(step, int):
            continue
        words.append(_safe_title(path[:i]))
        label = out.labels.get(path[:i + 1])
        if label is None and i == len(path) - 1:
            label = item_label(str(path[i - 1]), value)
        words.append(label or f"#{step + 1}")
        start = i + 1
    if start < len(path):
        words.append(_safe_title(path))
    return " › ".join(words)


def _safe_title(path: Path) -> str:
    try:
        return field_title(path)
    except (KeyError, StopIteration):
        return str(path[-1]).replace("_", " ").capitalize()
