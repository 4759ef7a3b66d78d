"""The app's editing session, without widgets: validation, debounced saving, conflicts."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from coachkit.app.session import WorkbookSession
from coachkit.errors import InvalidWorkbook
from coachkit.model import DO_NOTHING
from coachkit.store import Store
from coachkit.training.demo import demo_deals
from support.helpers import TODAY, run_async


@pytest.fixture
def loaded(store: Store) -> Store:
    for deal in demo_deals(TODAY):
        store.put(deal, author="demo")
    return store


def session(store: Store, who: str = "ann", delay: float = 0.05) -> WorkbookSession:
    return WorkbookSession(store, author=who, today=lambda: TODAY, save_delay=delay)


def test_new_deal_starts_with_do_nothing(store: Store) -> None:
    s = session(store)
    deal_id = s.new("Ölmühle Süd", "Less waste", team="south")
    assert store.get(deal_id).deal.problem.alternatives == [DO_NOTHING]
    assert s.status.state == "saved"


def test_valid_edit_is_applied_and_coached(loaded: Store) -> None:
    s = session(loaded)
    s.open("northwind-plant-maintenance")
    assert not [f for f in s.coaching.findings if f.severity != "info"]
    assert s.set(("problem", "statement"), "They need to buy a new maintenance system") is None
    assert "problem-as-product" in {f.rule for f in s.coaching.findings}
    assert s.status.state == "pending"


def test_refused_edit_names_the_field_and_changes_nothing(loaded: Store) -> None:
    s = session(loaded)
    s.open("fjordbank-onboarding")
    before = json.dumps(s.doc)
    refused = s.set(("stakeholders", 0, "stance"), 9)
    assert refused == "Stance (-5 against … +5 for): at most 5"  # words, not a validator's
    other = s.doc["stakeholders"][1]["name"]
    assert s.set(("stakeholders", 0, "name"), other) == (
        f"Name: another person is already called '{other}'")
    assert s.set(("deal", "id"), "other-id") == (
        "Deal id: the id of an open deal cannot change")
    assert s.set(("deal", "currency"), "eu") == "Currency: three capital letters, like EUR"
    assert s.set(("deal", "close_date"), "soon") == "Close date: a date, like 2027-03-31"
    assert s.set(("stakeholders", 0, "name"), " ") == "Name: cannot be empty"
    assert s.set(("deal", "value"), -5) == "Value: at least 0"
    assert s.set(("disagreements", 0, "between"), [other]) == "Between: pick at least 2"
    assert json.dumps(s.doc) == before
    assert s.status.state == "saved"


def test_renaming_a_stakeholder_follows_into_disagreements(loaded: Store) -> None:
    s = session(loaded)
    s.open("fjordbank-onboarding")
    old = s.doc["disagreements"][0]["between"][0]
    index = next(i for i, p in enumerate(s.doc["stakeholders"]) if p["name"] == old)
    assert s.set(("stakeholders", index, "name"), "Ingrid (COO)") is None
    assert "Ingrid (COO)" in s.doc["disagreements"][0]["between"]
    assert old not in json.dumps(s.doc["disagreements"])


def test_removing_a_stakeholder_removes_them_from_disagreements(loaded: Store) -> None:
    s = session(loaded)
    s.open("fjordbank-onboarding")
    name = s.doc["disagreements"][0]["between"][1]
    index = next(i for i, p in enumerate(s.doc["stakeholders"]) if p["name"] == name)
    assert s.remove_item(("stakeholders",), index) is None
    assert all(name not in d["between"] for d in s.doc["disagreements"])
    assert all(len(d["between"]) >= 2 for d in s.doc["disagreements"])


def test_saving_is_debounced_to_one_version_per_pause(loaded: Store) -> None:
    async def typing() -> None:
        s = session(loaded, delay=0.2)
        s.open("tallis-early-discovery")
        for text in ("C", "Cr", "Cre", "Crews", "Crews lose two hours a day"):
            s.set(("problem", "statement"), text)
            await asyncio.sleep(0.02)
        assert s.status.state == "pending"
        await asyncio.sleep(0.5)
        assert s.status.state == "saved"

    before = loaded.latest_version("tallis-early-discovery")
    run_async(typing())
    assert loaded.latest_version("tallis-early-discovery") == before + 1
    saved = loaded.get("tallis-early-discovery").deal.problem.statement
    assert saved == "Crews lose two hours a day"


def test_without_a_loop_flush_saves(loaded: Store) -> None:
    s = session(loaded)
    s.open("tallis-early-discovery")
    s.set(("problem", "why_now"), "the tender for 2027 opens in March")
    s.flush()
    assert loaded.get("tallis-early-discovery").deal.problem.why_now.startswith("the tender")
    s.flush()  # nothing pending: no new version
    assert s.status.state == "saved"


def test_two_tabs_editing_different_fields_both_keep_their_edits(loaded: Store) -> None:
    """The defect of issue 20: the second page used to be refused and then wrote its whole
    document over the first page's save. Now the save merges, and says so."""
    a, b = session(loaded, "maria"), session(loaded, "tab-b")
    a.open("northwind-plant-maintenance")
    b.open("northwind-plant-maintenance")
    a.set(("problem", "why_now"), "Maria's reason")
    a.flush()
    b.set(("problem", "root_cause"), "B's root cause")
    b.flush()
    version = loaded.latest_version("northwind-plant-maintenance")
    assert b.status.state == "saved" and b.status.version == version
    assert f"merged with maria's change to “Why now” (version {version - 1})" in \
        b.status.message
    latest = loaded.get("northwind-plant-maintenance")
    assert latest.deal.problem.why_now == "Maria's reason"
    assert latest.deal.problem.root_cause == "B's root cause"
    assert b.doc["problem"]["why_now"] == "Maria's reason"  # the page shows the merge
    # the refused save is still on record, and says it went into the merged version
    [kept] = loaded.conflicts("northwind-plant-maintenance")
    assert kept.deal.problem.root_cause == "B's root cause" and kept.restored_as == version
    # the next edit is saved on top of the merge, with no conflict
    b.set(("problem", "why_change"), "after the merge")
    b.flush()
    assert b.status.state == "saved" and "merged" not in b.status.message


def test_the_same_field_edited_twice_is_chosen_per_field(loaded: Store) -> None:
    a, b = session(loaded, "maria"), session(loaded, "tab-b")
    a.open("northwind-plant-maintenance")
    b.open("northwind-plant-maintenance")
    a.set(("problem", "why_now"), "A's reason")
    a.set(("problem", "why_change"), "A's why change")
    b.set(("problem", "why_now"), "B's reason")
    b.set(("problem", "root_cause"), "B's root cause")
    a.flush()
    theirs = loaded.latest_version("northwind-plant-maintenance")
    b.flush()
    assert b.status.state == "conflict"
    assert "maria saved version" in b.status.message and "“Why now”" in b.status.message
    [conflict] = b.merging.conflicts
    assert (conflict.title, conflict.mine, conflict.theirs) == ("Why now", "B's reason",
                                                               "A's reason")
    assert b.theirs.who == "maria" and b.theirs.version == theirs
    conflict_id = b.status.conflict_id
    assert loaded.conflict(conflict_id).deal.problem.why_now == "B's reason"
    assert loaded.latest_version("northwind-plant-maintenance") == theirs  # nothing saved
    # B keeps typing before choosing: the conflict record follows every edit
    b.set(("problem", "personal_impact"), "typed after the conflict")
    b.flush()
    assert [c.id for c in loaded.conflicts("northwind-plant-maintenance")] == [conflict_id]
    assert loaded.conflict(conflict_id).deal.problem.personal_impact == (
        "typed after the conflict")
    assert b.choose({conflict.pointer: "mine"}) is None
    assert b.status.state == "saved"
    latest = loaded.get("northwind-plant-maintenance")
    assert latest.version == theirs + 1
    assert latest.deal.problem.why_now == "B's reason"
    assert latest.deal.problem.why_change == "A's why change"  # A's other field kept
    assert latest.deal.problem.root_cause == "B's root cause"
    assert latest.deal.problem.personal_impact == "typed after the conflict"
    history = [v.deal.problem.why_now for v in loaded.history("northwind-plant-maintenance")]
    assert "A's reason" in history  # A's value stays in the history
    assert loaded.conflict(conflict_id).restored_as == latest.version


def test_choosing_theirs_keeps_my_other_fields(loaded: Store) -> None:
    a, b = session(loaded, "maria"), session(loaded, "tab-b")
    a.open("fjordbank-onboarding")
    b.open("fjordbank-onboarding")
    a.set(("deal", "title"), "A's title")
    a.flush()
    b.set(("deal", "title"), "B's title")
    b.set(("problem", "why_now"), "B's why now")
    b.flush()
    [conflict] = b.merging.conflicts
    assert conflict.title == "Deal title"
    assert b.choose({conflict.pointer: "theirs"}) is None
    latest = loaded.get("fjordbank-onboarding").deal
    assert (latest.deal.title, latest.problem.why_now) == ("A's title", "B's why now")


def test_choices_made_on_a_stale_merge_are_asked_again(loaded: Store) -> None:
    a, b = session(loaded, "maria"), session(loaded, "tab-b")
    a.open("fjordbank-onboarding")
    b.open("fjordbank-onboarding")
    a.set(("problem", "why_now"), "A1")
    a.flush()
    b.set(("problem", "why_now"), "B")
    b.flush()
    [conflict] = b.merging.conflicts
    a.set(("problem", "why_now"), "A2")  # maria saves again while B looks at the choice
    a.flush()
    refused = b.choose({conflict.pointer: "theirs"})
    assert refused and "saved again" in refused
    assert b.merging.conflicts[0].theirs == "A2"
    assert loaded.get("fjordbank-onboarding").deal.problem.why_now == "A2"
    assert b.choose({conflict.pointer: "theirs"}) is None
    assert loaded.get("fjordbank-onboarding").deal.problem.why_now == "A2"


def test_removing_a_person_says_what_goes_and_undo_brings_it_back(loaded: Store) -> None:
    s = session(loaded)
    s.open("fjordbank-onboarding")
    before = json.loads(json.dumps(s.doc))
    name = s.doc["disagreements"][0]["between"][1]
    index = next(i for i, p in enumerate(s.doc["stakeholders"]) if p["name"] == name)
    linked = s.linked_to(("stakeholders",), index)
    assert linked and all("the disagreement with" in line for line in linked)
    assert s.remove_item(("stakeholders",), index) is None
    assert s.removal.what == name and s.removal.linked == tuple(linked)
    s.flush()
    removed_version = loaded.latest_version("fjordbank-onboarding")
    s.set(("problem", "why_now"), "typed after the removal")
    assert s.undo_removal() is None
    assert s.doc["stakeholders"] == before["stakeholders"]
    assert s.doc["disagreements"] == before["disagreements"]
    assert s.doc["problem"]["why_now"] == "typed after the removal"
    assert s.removal is None
    s.flush()
    latest = loaded.get("fjordbank-onboarding")
    assert latest.version == removed_version + 1
    assert [p.name for p in latest.deal.stakeholders] == [
        p["name"] for p in before["stakeholders"]]


def test_history_and_restore_make_a_new_version(loaded: Store) -> None:
    s = session(loaded, "ann")
    s.open("tallis-early-discovery")
    first = loaded.latest_version("tallis-early-discovery")
    original = s.doc["problem"]["why_now"]
    s.set(("problem", "why_now"), "changed")
    s.flush()
    assert [v.version for v in s.history()][-2:] == [first, first + 1]
    assert s.restore(first) is None
    latest = loaded.get("tallis-early-discovery")
    assert latest.version == first + 2
    assert latest.deal.problem.why_now == original
    assert latest.author == f"ann (restored version {first})"
    assert s.doc["problem"]["why_now"] == original and s.status.state == "saved"
    s.set(("problem", "why_now"), "after the restore")
    s.flush()
    assert loaded.get("tallis-early-discovery").author == "ann"


def test_loading_theirs_keeps_ours_as_a_conflict(loaded: Store) -> None:
    a, b = session(loaded, "tab-a"), session(loaded, "tab-b")
    a.open("fjordbank-onboarding")
    b.open("fjordbank-onboarding")
    a.set(("problem", "root_cause"), "A")
    a.flush()
    b.set(("problem", "root_cause"), "B")
    b.flush()
    b.set(("problem", "root_cause"), "B, later")
    b.load_theirs()
    assert b.doc["problem"]["root_cause"] == "A"
    kept = [c.deal.problem.root_cause for c in loaded.conflicts("fjordbank-onboarding")]
    assert kept == ["B, later"]  # the conflict's one record, with the edit made after it


def test_edits_after_a_conflict_reach_its_record_on_the_debounce(loaded: Store) -> None:
    """A refused page that is then closed or killed before its seller chooses has lost
    nothing: each pause in typing brings the conflict record up to date."""
    async def typing() -> int:
        a, b = session(loaded, "tab-a", delay=0.05), session(loaded, "tab-b", delay=0.05)
        a.open("tallis-early-discovery")
        b.open("tallis-early-discovery")
        a.set(("problem", "why_now"), "A")
        b.set(("problem", "why_now"), "B")
        await asyncio.sleep(0.3)
        assert (a.status.state, b.status.state) == ("saved", "conflict")
        for text in ("B, later", "B, later still"):
            b.set(("problem", "why_change"), text)
            await asyncio.sleep(0.3)
        assert b.status.state == "conflict"
        return b.status.conflict_id

    conflict_id = run_async(typing())  # the session is never flushed by hand
    kept = loaded.conflicts("tallis-early-discovery")
    assert [c.id for c in kept] == [conflict_id]
    assert kept[0].deal.problem.why_change == "B, later still"
    assert loaded.get("tallis-early-discovery").deal.problem.why_now == "A"


def test_last_saved_is_what_the_page_shows_when_the_kernel_is_gone(loaded: Store) -> None:
    s = session(loaded)
    assert s.last_saved() == ""
    s.open("tallis-early-discovery")
    version = loaded.latest_version("tallis-early-discovery")
    opened = loaded.get("tallis-early-discovery").saved_at
    assert s.last_saved().startswith(f"version {version} ")
    assert f"at {opened:%H:%M} UTC" in s.last_saved()
    s.set(("problem", "why_now"), "the tender opens in March")
    assert s.last_saved().startswith(f"version {version} ")  # not saved yet
    s.flush()
    assert re.fullmatch(rf"version {version + 1} at \d\d:\d\d UTC", s.last_saved())


def test_upload_good_and_bad(loaded: Store, tmp_path: Path) -> None:
    s = session(loaded)
    deal = demo_deals(TODAY)[0].model_copy(deep=True)
    deal.problem.why_now = "from the uploaded file"
    text = deal.model_dump_json().encode()
    assert s.upload(text, "mine.coachkit.json") == deal.id
    assert loaded.get(deal.id).deal.problem.why_now == "from the uploaded file"
    with pytest.raises(InvalidWorkbook, match=r"broken\.json: not valid JSON"):
        s.upload(b"{nope", "broken.json")
    with pytest.raises(InvalidWorkbook, match=r"evil\.json: deal\.id"):
        s.upload(json.dumps({"schema_version": 1, "deal": {"id": "../etc"}}).encode(),
                 "evil.json")
    assert s.deal.id == deal.id  # the open deal is untouched by a refused file


def test_hostile_text_is_kept_as_typed(loaded: Store) -> None:
    s = session(loaded)
    s.open("tallis-early-discovery")
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    assert s.add_item(("stakeholders",), {"name": payload}) is None
    s.flush()
    names = [p.name for p in loaded.get("tallis-early-discovery").deal.stakeholders]
    assert payload in names
    assert payload in s.download_text()


@pytest.mark.slow
def test_a_kernel_shut_down_saves_what_is_pending(loaded: Store, store_path: Path) -> None:
    """What Voila does to the kernel of a page whose tab closed (the beacon), whose websocket
    stayed gone (culling) or whose server is stopping: a graceful shutdown. A real kernel with
    an edit still waiting for its debounce saves it on the way out."""
    from jupyter_client.manager import KernelManager

    code = (
        "from coachkit.app.session import WorkbookSession\n"
        "from coachkit.store import Store\n"
        f"s = WorkbookSession(Store({str(store_path)!r}), author='kernel', save_delay=600)\n"
        "s.open('tallis-early-discovery')\n"
        "s.set(('problem', 'why_now'), 'typed just before the tab closed')\n"
        "assert s.status.state == 'pending' and s._timer is not None\n")
    before = loaded.latest_version("tallis-early-discovery")
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        client = km.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(code, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert loaded.latest_version("tallis-early-discovery") == before  # still pending
        client.stop_channels()
        km.shutdown_kernel(now=False)
    finally:
        if km.is_alive():
            km.shutdown_kernel(now=True)
    assert loaded.latest_version("tallis-early-discovery") == before + 1
    saved = loaded.get("tallis-early-discovery")
    assert saved.deal.problem.why_now == "typed just before the tab closed"
    assert saved.author == "kernel"


def test_a_downloaded_file_edited_offline_merges_when_uploaded(loaded: Store) -> None:
    s = session(loaded, "sam")
    s.open("northwind-plant-maintenance")
    doc = json.loads(s.download_text())
    doc["problem"]["root_cause"] = "edited offline"
    other = session(loaded, "maria")
    other.open("northwind-plant-maintenance")
    other.set(("problem", "why_now"), "saved meanwhile")
    other.flush()
    theirs = loaded.latest_version("northwind-plant-maintenance")
    assert s.upload(json.dumps(doc).encode(), "offline.coachkit.json") == (
        "northwind-plant-maintenance")
    assert s.status.state == "saved"
    assert f"merged with maria's change to “Why now” (version {theirs})" in s.status.message
    latest = loaded.get("northwind-plant-maintenance")
    assert latest.version == theirs + 1 and latest.author == "sam (upload)"
    assert latest.deal.problem.why_now == "saved meanwhile"
    assert latest.deal.problem.root_cause == "edited offline"


def test_on_the_team_server_a_merge_is_saved_as_the_signed_in_users(loaded: Store) -> None:
    """The hub's scoped store: the merged version and its settled conflict record are the
    signed-in users', and only their teams' deals."""
    from coachkit.access import Access
    from coachkit.store.scoped import ScopedStore

    team = loaded.get("northwind-plant-maintenance").deal.deal.team
    ana = ScopedStore(loaded, Access.from_groups("ana", [f"coachkit-team-{team}"]))
    ben = ScopedStore(loaded, Access.from_groups("ben", [f"coachkit-team-{team}"]))
    a, b = session(ana, "ana"), session(ben, "ben")
    a.open("northwind-plant-maintenance")
    b.open("northwind-plant-maintenance")
    a.set(("problem", "why_now"), "Ana's reason")
    a.flush()
    b.set(("problem", "root_cause"), "Ben's root cause")
    b.flush()
    assert "merged with ana's change to “Why now”" in b.status.message
    latest = loaded.get("northwind-plant-maintenance")
    assert latest.author == "ben"
    [kept] = loaded.conflicts("northwind-plant-maintenance")
    assert kept.author == "ben" and kept.restored_as == latest.version
