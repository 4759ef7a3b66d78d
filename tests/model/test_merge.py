"""The three-way merge of two edits of one deal: fields by themselves, list items by identity,
only a field both changed is a conflict, and nothing is dropped."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachkit.model import Deal, empty_deal
from coachkit.model.merge import MINE, THEIRS, merge, resolve
from support.strategies import deal_documents

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _doc(raw: dict[str, Any]) -> dict[str, Any]:
    return Deal.model_validate(raw).to_json_dict()


def _base() -> dict[str, Any]:
    doc = empty_deal("lakeside", customer="Lakeside Dairy", title="Fewer lost batches")
    out = doc.to_json_dict()
    out["stakeholders"] = [_doc({"deal": {"id": "x"}, "stakeholders": [
        {"name": n, "role": r}]})["stakeholders"][0]
        for n, r in (("Maja Holm", "economic_buyer"), ("Jonas Berg", "user"),
                     ("Ute Lind", "technical"))]
    out["disagreements"] = [{"between": ["Maja Holm", "Jonas Berg"], "about": "Who pays",
                             "severity": 4, "resolution_plan": "", "resolved": False}]
    out["risks"] = [_doc({"deal": {"id": "x"}, "risks": [{"description": d}]})["risks"][0]
                    for d in ("Night shift ignores alerts", "Sensors late", "IT says no")]
    return _doc(out)


def _edit(doc: dict[str, Any], change: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    change(out)
    return _doc(out)


def test_different_fields_merge_by_themselves() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["problem"].update(why_now="Audit in March"))
    mine = _edit(base, lambda d: d["problem"].update(root_cause="No alarms at night"))
    merged = merge(base, theirs, mine)
    assert merged.clean
    assert merged.doc["problem"]["why_now"] == "Audit in March"
    assert merged.doc["problem"]["root_cause"] == "No alarms at night"
    assert merged.theirs_changed == ["Why now"]
    assert merged.mine_changed == ["Root cause"]
    _doc(merged.doc)  # a valid deal


def test_one_field_both_changed_is_one_conflict_and_both_values_are_kept() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["problem"].update(why_now="Theirs", why_change="T"))
    mine = _edit(base, lambda d: d["problem"].update(why_now="Mine", root_cause="M"))
    merged = merge(base, theirs, mine)
    [conflict] = merged.conflicts
    assert (conflict.title, conflict.base, conflict.theirs, conflict.mine) == (
        "Why now", "", "Theirs", "Mine")
    assert conflict.pointer == "/problem/why_now"
    assert merged.doc["problem"]["why_now"] == "Theirs"  # until chosen
    assert resolve(merged, {conflict.pointer: MINE})["problem"] == {
        **merged.doc["problem"], "why_now": "Mine"}
    kept = resolve(merged, {conflict.pointer: THEIRS})
    assert (kept["problem"]["why_now"], kept["problem"]["why_change"],
            kept["problem"]["root_cause"]) == ("Theirs", "T", "M")


def test_list_items_merge_by_identity_not_position() -> None:
    """They add a risk at the top; I edit the second risk: my edit lands on the same risk."""
    base = _base()
    new_risk = copy.deepcopy(base["risks"][0]) | {"description": "Budget frozen"}
    theirs = _edit(base, lambda d: d["risks"].insert(0, new_risk))
    mine = _edit(base, lambda d: d["risks"][1].update(owner="Jonas Berg"))
    merged = merge(base, theirs, mine)
    assert merged.clean
    assert [r["description"] for r in merged.doc["risks"]] == [
        "Budget frozen", "Night shift ignores alerts", "Sensors late", "IT says no"]
    assert merged.doc["risks"][2]["owner"] == "Jonas Berg"
    assert merged.mine_changed == ["Risks › Sensors late › Owner"]


def test_both_add_items_both_kept() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["risks"].append(d["risks"][0] | {"description": "A"}))
    mine = _edit(base, lambda d: d["risks"].append(d["risks"][0] | {"description": "B"}))
    merged = merge(base, theirs, mine)
    assert merged.clean
    assert [r["description"] for r in merged.doc["risks"]][-2:] == ["B", "A"] or \
        [r["description"] for r in merged.doc["risks"]][-2:] == ["A", "B"]
    assert len(merged.doc["risks"]) == 5


def test_edited_item_text_still_pairs_with_its_base_item() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["risks"][1].update(description="Sensors arrive late"))
    mine = _edit(base, lambda d: d["risks"][1].update(mitigation="Order in May"))
    merged = merge(base, theirs, mine)
    assert merged.clean and len(merged.doc["risks"]) == 3
    assert merged.doc["risks"][1]["description"] == "Sensors arrive late"
    assert merged.doc["risks"][1]["mitigation"] == "Order in May"


def test_stakeholders_by_name_and_their_disagreements_follow() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["stakeholders"].reverse())
    mine = _edit(base, lambda d: d["stakeholders"][2].update(stance=3))
    merged = merge(base, theirs, mine)
    assert merged.clean
    assert next(p for p in merged.doc["stakeholders"] if p["name"] == "Ute Lind")["stance"] == 3


def test_removed_by_me_changed_by_them_is_a_conflict_not_a_loss() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["risks"][2].update(owner="Ute Lind"))
    mine = _edit(base, lambda d: d["risks"].pop(2))
    merged = merge(base, theirs, mine)
    [conflict] = merged.conflicts
    assert conflict.item and conflict.mine is None and conflict.theirs["owner"] == "Ute Lind"
    assert conflict.title == "Risks › IT says no"
    assert len(merged.doc["risks"]) == 3  # kept until chosen
    assert len(resolve(merged, {conflict.pointer: MINE})["risks"]) == 2
    assert resolve(merged, {conflict.pointer: THEIRS})["risks"][2]["owner"] == "Ute Lind"


def test_removed_by_them_changed_by_me_is_kept_until_chosen() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["risks"].pop(0))
    mine = _edit(base, lambda d: d["risks"][0].update(owner="Maja Holm"))
    merged = merge(base, theirs, mine)
    [conflict] = merged.conflicts
    assert conflict.theirs is None and conflict.mine["owner"] == "Maja Holm"
    assert merged.doc["risks"][conflict.path[1]]["owner"] == "Maja Holm"
    assert len(resolve(merged, {conflict.pointer: THEIRS})["risks"]) == 2


def test_a_person_removed_takes_their_disagreements_along_in_the_merge() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["problem"].update(why_now="Audit"))

    def remove_jonas(d: dict[str, Any]) -> None:
        d["stakeholders"].pop(1)
        d["disagreements"] = []

    mine = _edit(base, remove_jonas)
    merged = merge(base, theirs, mine)
    assert merged.clean
    assert [p["name"] for p in merged.doc["stakeholders"]] == ["Maja Holm", "Ute Lind"]
    assert merged.doc["disagreements"] == []
    _doc(merged.doc)


def test_alternatives_merge_as_a_set() -> None:
    base = _base()
    theirs = _edit(base, lambda d: d["problem"]["alternatives"].append("Hire a night lead"))
    mine = _edit(base, lambda d: d["problem"]["alternatives"].append("Paper checklists"))
    merged = merge(base, theirs, mine)
    assert merged.clean
    assert merged.doc["problem"]["alternatives"] == [
        "Do nothing", "Hire a night lead", "Paper checklists"]


@SETTINGS
@given(base=deal_documents(), mine=deal_documents())
def test_merge_with_an_unchanged_side_is_the_other_side(base: dict[str, Any],
                                                        mine: dict[str, Any]) -> None:
    base, mine = _doc(base), _doc(mine)
    assert merge(base, base, mine).doc == mine and merge(base, base, mine).clean
    assert merge(base, mine, base).doc == mine and merge(base, mine, base).clean
    assert merge(base, mine, mine).doc == mine


@SETTINGS
@given(base=deal_documents(), data=st.data())
def test_edits_of_different_fields_both_land(base: dict[str, Any], data: st.DataObject) -> None:
    base = _doc(base)
    fields = [("problem", "why_now"), ("problem", "root_cause"), ("deal", "title"),
              ("fit", "reason"), ("confidence", "decision_process")]
    one, other = data.draw(st.permutations(fields))[:2]
    text = st.text(st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=12)
    a, b = data.draw(text), data.draw(text)
    theirs = _edit(base, lambda d: d[one[0]].update({one[1]: a}))
    mine = _edit(base, lambda d: d[other[0]].update({other[1]: b}))
    merged = merge(base, theirs, mine)
    assert merged.clean
    assert merged.doc[one[0]][one[1]] == a and merged.doc[other[0]][other[1]] == b


@SETTINGS
@given(base=deal_documents(), theirs=deal_documents(), mine=deal_documents())
def test_every_conflict_keeps_both_values(base: dict[str, Any], theirs: dict[str, Any],
                                          mine: dict[str, Any]) -> None:
    merged = merge(_doc(base), _doc(theirs), _doc(mine))
    for c in merged.conflicts:
        assert c.mine != c.theirs
        chosen = {c.pointer: MINE}
        # choosing one conflict never fails, and it takes mine's value where it sits
        doc = resolve(merged, chosen)
        if not c.item:
            where: Any = doc
            for step in c.path:
                where = where[step]
            assert where == c.mine


def test_a_person_renamed_on_one_side_is_the_same_person_on_the_other() -> None:
    base = _base()

    def rename(d: dict[str, Any]) -> None:
        d["stakeholders"][0]["name"] = "Maja Holm-Berg"
        d["disagreements"][0]["between"][0] = "Maja Holm-Berg"

    def edit_and_add(d: dict[str, Any]) -> None:
        d["stakeholders"][0]["stance"] = -2
        d["disagreements"].append({"between": ["Maja Holm", "Ute Lind"], "about": "Scope",
                                   "severity": None, "resolution_plan": "",
                                   "resolved": False})

    mine, theirs = _edit(base, rename), _edit(base, edit_and_add)
    merged = merge(base, theirs, mine)
    assert merged.clean
    maja = merged.doc["stakeholders"][0]
    assert (maja["name"], maja["stance"]) == ("Maja Holm-Berg", -2)
    assert [d["between"] for d in merged.doc["disagreements"]] == [
        ["Maja Holm-Berg", "Jonas Berg"], ["Maja Holm-Berg", "Ute Lind"]]
    _doc(merged.doc)
