"""The team server's access policy and the scoped store the app uses, on SQLite and on a real
PostgreSQL: every read and write of a deal outside the user's teams is refused."""

from __future__ import annotations

import pytest

from coachkit.access import Access
from coachkit.app.session import WorkbookSession
from coachkit.errors import NotFound, Refused
from coachkit.model.files import dumps
from coachkit.store import Store
from coachkit.store.scoped import ScopedStore
from support.helpers import in_team

ANA = Access.from_groups("ana", ["coachkit-team-east", "jupyterhub-users"])
WES = Access.from_groups("wes", ["coachkit-team-west"])
MAX = Access.from_groups("max", ["coachkit-managers-east", "coachkit-managers-west"])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def two_teams(request: pytest.FixtureRequest, tmp_path, demo) -> Store:
    """The demo deals, two in team east and two in team west."""
    if request.param == "sqlite":
        location = str(tmp_path / "teams.db")
    else:
        location = request.getfixturevalue("postgres").new_database()
    store = Store(location)
    for i, deal in enumerate(sorted(demo.values(), key=lambda d: d.id)):
        store.put(in_team(deal, "east" if i % 2 == 0 else "west"), author="demo")
    yield store
    store.close()


def ids(store: Store | ScopedStore, team: str | None = None) -> set[str]:
    return {d.id for d in store.list_deals(team=team)}


def test_groups_become_teams_and_roles():
    assert ANA.sells == {"east"} and ANA.manages == frozenset() and ANA.teams == {"east"}
    assert MAX.manages == {"east", "west"} and MAX.may_read_reports("west")
    assert not ANA.may_read_reports("east") and ANA.may_work_on("east")
    assert not ANA.may_work_on("west") and not ANA.may_work_on("")
    admin = Access.from_groups("adam", [], admin=True)
    assert admin.may_work_on("anything") and admin.may_read_reports("west")
    assert Access.from_groups("x", ["coachkit-team-", "coachkit-managers-"]).teams == set()


def test_a_seller_sees_and_opens_only_their_teams_deals(two_teams: Store):
    east, west = ids(two_teams, "east"), ids(two_teams, "west")
    ana = ScopedStore(two_teams, ANA)
    assert ids(ana) == east and ids(ana, "west") == set()
    assert ids(ScopedStore(two_teams, MAX)) == east | west
    theirs = sorted(west)[0]
    for read in (lambda: ana.get(theirs), lambda: ana.history(theirs),
                 lambda: ana.latest_version(theirs), lambda: ana.reviews(theirs),
                 lambda: ana.conflicts(theirs)):
        with pytest.raises(NotFound) as refused:
            read()
        # the same words as for a deal that does not exist: no probing of other teams' ids
        assert str(refused.value) == (f"no deal '{theirs}' among the deals of your teams "
                                      "(east)")
    with pytest.raises(NotFound) as missing:
        ana.get("no-such-deal")
    assert "among the deals of your teams" in str(missing.value)
    assert ana.get(sorted(east)[0]).deal_id == sorted(east)[0]


def test_a_seller_cannot_write_into_another_team(two_teams: Store, demo):
    ana = ScopedStore(two_teams, ANA)
    theirs = two_teams.get(sorted(ids(two_teams, "west"))[0]).deal
    before = two_teams.latest_version(theirs.id)
    # an upload of another team's deal, or of that deal moved into ana's team: refused
    with pytest.raises(Refused, match="not one of your teams"):
        ana.put(theirs, author="ana")
    with pytest.raises(NotFound):
        ana.put(in_team(theirs, "east"), author="ana")
    with pytest.raises(NotFound):
        ana.save(in_team(theirs, "east"), base_version=before, author="ana")
    with pytest.raises(NotFound):
        ana.keep(in_team(theirs, "east"), base_version=before, author="ana")
    assert two_teams.latest_version(theirs.id) == before
    assert not [c for c in two_teams.conflicts(theirs.id)]
    # and one of her own deals cannot be moved out of her teams
    mine = two_teams.get(sorted(ids(two_teams, "east"))[0])
    with pytest.raises(Refused, match=r"deal\.team: 'west' is not one of your teams"):
        ana.save(in_team(mine.deal, "west"), base_version=mine.version, author="ana")
    assert two_teams.team_of(mine.deal_id) == "east"


def test_the_session_refuses_a_team_edit_and_saves_as_the_hub_user(two_teams: Store):
    ana = ScopedStore(two_teams, ANA)
    session = WorkbookSession(ana, author="someone-else", save_delay=0)
    deal_id = session.new("Acme", "Fewer stockouts", seller="ana", team="east")
    assert session.set(("deal", "team"), "west") == (
        "deal.team: 'west' is not one of your teams (east); a deal stays in your teams")
    assert session.get(("deal", "team")) == "east"
    assert session.set(("deal", "title"), "Fewer stockouts, fewer rush orders") is None
    session.flush()
    assert [v.author for v in two_teams.history(deal_id)] == ["ana", "ana"]
    with pytest.raises(Refused):
        session.new("Other", "x", team="west")
    # an uploaded file of another team's deal is refused with one line; nothing is saved
    theirs = two_teams.get(sorted(ids(two_teams, "west"))[0])
    with pytest.raises(Refused, match="not one of your teams"):
        session.upload(dumps(theirs.deal).encode(), "theirs.coachkit.json")
    assert two_teams.latest_version(theirs.deal_id) == theirs.version
    assert ScopedStore(two_teams, ANA).new_deal_teams == ["east"]
    assert ScopedStore(two_teams, MAX).new_deal_teams == ["east", "west"]


def test_conflicts_are_kept_and_listed_only_for_the_users_teams(two_teams: Store):
    ana, wes = ScopedStore(two_teams, ANA), ScopedStore(two_teams, WES)
    mine = ana.get(sorted(ids(ana))[0])
    ana.save(mine.deal, base_version=mine.version, author="ana")
    with pytest.raises(Exception, match="kept as conflict"):
        ana.save(mine.deal, base_version=mine.version, author="ana")
    (kept,) = ana.conflicts()
    assert kept.author == "ana" and ana.conflict(kept.id).deal_id == mine.deal_id
    assert wes.conflicts() == []
    with pytest.raises(NotFound, match=f"no conflict {kept.id} among your teams' deals"):
        wes.conflict(kept.id)


def test_reviews_are_the_managers_and_the_sellers_answer_them(two_teams: Store):
    import datetime as dt

    from coachkit.model.review import Action, ReviewEvent

    east = sorted(ids(two_teams, "east"))[0]
    west = sorted(ids(two_teams, "west"))[0]
    ana, maxi = ScopedStore(two_teams, ANA), ScopedStore(two_teams, MAX)
    assert maxi.may_review(east) and not ana.may_review(east)
    with pytest.raises(Refused, match="only a manager"):
        ana.add_review(east, version=1, by="ana", note="I review myself")
    review = maxi.add_review(east, version=1, by="someone else", note="n",
                             actions=[Action(text="call")])
    assert review.by == "max"  # the hub user, whatever the page says
    ana.add_review_event(east, review.number, ReviewEvent(
        at=dt.datetime(2026, 11, 20), by="not ana", kind="done", action=0))
    assert two_teams.reviews(east)[0].action_states()[0].done_by == "ana"
    wes = ScopedStore(two_teams, Access.from_groups("wes", ["coachkit-team-west"]))
    with pytest.raises(NotFound):
        wes.add_review_event(east, review.number, ReviewEvent(
            at=dt.datetime(2026, 11, 20), by="wes", kind="answer", text="not my deal"))
    with pytest.raises(NotFound):
        wes.reviews(east)
    assert wes.reviews(west) == []


def test_behind_the_hub_the_app_links_to_sign_out_and_the_local_app_does_not(
        two_teams: Store, monkeypatch):
    """The app knows it runs behind the hub from the environment the spawner gives it
    (``$JUPYTERHUB_BASE_URL``); the picker of a local store has no sign-in line at all."""
    from coachkit.app.picker import Picker, who_html

    monkeypatch.setenv("JUPYTERHUB_BASE_URL", "/team/")
    assert "<a class='ck-sign-out' href='/team/hub/logout'>Sign out</a>" in who_html(
        ScopedStore(two_teams, ANA))
    assert "href='/team/services/coachkit-reports/'" in who_html(ScopedStore(two_teams, MAX))
    assert "ck-reports" not in who_html(ScopedStore(two_teams, ANA))
    local = Picker(WorkbookSession(two_teams, author="ana", save_delay=0), lambda _: None,
                   lambda: None)
    assert local.who.value == ""


def test_behind_the_hub_a_new_deals_team_is_a_choice_among_ones_own(two_teams: Store):
    """The new-deal form offers the user's own teams in a dropdown labelled once, like every
    field of the form (its own "Team" description said it twice beside the field's label)."""
    from coachkit.app.picker import Picker

    picker = Picker(WorkbookSession(ScopedStore(two_teams, MAX), author="max", save_delay=0),
                    lambda _: None, lambda: None)
    assert list(picker.new_team.options) == ["east", "west"] and picker.new_team.value == "east"
    assert picker.new_team.description == ""
    assert picker.seller.value == "max"
