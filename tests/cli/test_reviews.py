"""The manager's review loop on the command line: reviews recorded and listed, findings
dismissed (listed, not counted, back when their field changes), actions done, files that
carry reviews from one store to another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coachkit.coaching.coach import Coach
from coachkit.model import Deal
from coachkit.store import Store
from coachkit.training.demo import demo_deal
from support.helpers import TODAY

DEAL = "harbourline-crm-replacement"


def _store(tmp_path: Path) -> str:
    location = str(tmp_path / "s.db")
    with Store(location) as s:
        s.put(demo_deal(DEAL, TODAY), author="seller")
    return location


def test_the_cli_contract(tmp_path: Path, cli) -> None:
    store = _store(tmp_path)
    first = cli("review", DEAL, "--store", store, "--by", "maria", "--note", "Ask about OEE",
                "--dismiss", "no-metric=They measure uptime monthly; we have the numbers",
                "--action", "Call the CFO about the budget@2026-12-01",
                "--action", "Map the buying group")
    assert first.code == 0, first.err
    assert first.out.strip() == "1"
    assert cli("review", DEAL, "--store", store, "--by", "walt").out.strip() == "2"
    out = json.loads(cli("reviews", DEAL, "--store", store, "--json").out)
    assert [r["by"] for r in out] == ["maria", "walt"]  # oldest first
    one = out[0]
    assert one["version"] == 1 and one["note"] == "Ask about OEE" and one["at"]
    assert [(d["rule"], d["reason"]) for d in one["dismissed"]] == [
        ("no-metric", "They measure uptime monthly; we have the numbers")]
    assert [(a["text"], a["due"], a["done"]) for a in one["actions"]] == [
        ("Call the CFO about the budget", "2026-12-01", False),
        ("Map the buying group", None, False)]
    done = cli("done", DEAL, "1.2", "--store", store, "--author", "ana")
    assert done.code == 0, done.err
    out = json.loads(cli("reviews", DEAL, "--store", store, "--json").out)
    assert [a["done"] for a in out[0]["actions"]] == [False, True]
    assert out[0]["actions"][1]["done_by"] == "ana"
    assert cli("done", DEAL, "1.2", "--undo", "--store", store).code == 0
    out = json.loads(cli("reviews", DEAL, "--store", store, "--json").out)
    assert [a["done"] for a in out[0]["actions"]] == [False, False]
    text = cli("reviews", DEAL, "--store", store).out
    assert "Review 1 of version 1" in text and "Dismissed [no-metric]" in text


def test_a_dismissed_finding_is_listed_not_counted_and_comes_back(tmp_path: Path,
                                                                  cli) -> None:
    store = _store(tmp_path)
    before = json.loads(cli("coach", DEAL, "--store", store, "--json").out)
    assert cli("review", DEAL, "--store", store, "--by", "maria",
               "--dismiss", "no-why-now=The audit date is the why-now").code == 0
    after = json.loads(cli("coach", DEAL, "--store", store, "--json").out)
    assert len(after["findings"]) == len(before["findings"])  # never hidden
    why_now = [f for f in after["findings"] if f["rule"] == "no-why-now"]
    assert why_now and why_now[0]["dismissed"] == {
        "by": "maria", "reason": "The audit date is the why-now", "review": 1}
    assert all("dismissed" not in f for f in after["findings"] if f["rule"] != "no-why-now")
    assert why_now[0]["question"] not in [q["question"] for q in after["questions"]]
    with Store(store) as s:
        found = s.get(DEAL)
        coaching = Coach().run(found.deal, TODAY, s.reviews(DEAL))
        plain = Coach().run(found.deal, TODAY)
        assert coaching.counts()["warning"] == plain.counts()["warning"] - 1
        doc = found.deal.to_json_dict()
        doc["problem"]["why_now"] = "  "  # the field changes (still no why-now)
        s.save(Deal.model_validate(doc), base_version=found.version, author="seller")
    back = json.loads(cli("coach", DEAL, "--store", store, "--json").out)
    why_now = [f for f in back["findings"] if f["rule"] == "no-why-now"]
    assert why_now and "dismissed" not in why_now[0]  # undismissed: its field changed


def test_review_mistakes_are_one_line(tmp_path: Path, cli) -> None:
    store = _store(tmp_path)
    nothing = cli("review", DEAL, "--store", store, "--by", "m", "--dismiss",
                  "close-date-passed=not yet")
    assert nothing.code == 1 and "has no finding on deal" in nothing.err
    assert "=" in cli("review", DEAL, "--store", store, "--by", "m", "--dismiss",
                      "no-metric").err
    assert cli("review", "nope", "--store", store, "--by", "m").code == 1
    assert "no review 9" in cli("done", DEAL, "9.1", "--store", store).err
    assert "is not N.K" in cli("done", DEAL, "x", "--store", store).err
    cli("review", DEAL, "--store", store, "--by", "m", "--action", "one")
    assert "has no action 5" in cli("done", DEAL, "1.5", "--store", store).err
    with Store(store) as s:
        assert len(s.reviews(DEAL)) == 1  # the refused ones recorded nothing


def test_reviews_travel_with_the_workbook_file(tmp_path: Path, cli) -> None:
    store = _store(tmp_path)
    cli("review", DEAL, "--store", store, "--by", "maria", "--note", "n",
        "--dismiss", "no-metric=measured", "--action", "call@2026-12-01")
    cli("done", DEAL, "1.1", "--store", store, "--author", "ana")
    path = tmp_path / "h.coachkit.json"
    assert cli("export", DEAL, "--store", store, "-o", str(path)).code == 0
    assert json.loads(path.read_text())["reviews"][0]["by"] == "maria"
    other = str(tmp_path / "other.db")
    assert cli("import", str(path), "--store", other).code == 0
    assert cli("import", str(path), "--store", other).code == 0  # twice: nothing doubled
    mine = json.loads(cli("reviews", DEAL, "--store", store, "--json").out)
    theirs = json.loads(cli("reviews", DEAL, "--store", other, "--json").out)
    assert theirs == mine
    coached = json.loads(cli("coach", str(path), "--json").out)  # a file coaches with them
    assert any(f.get("dismissed") for f in coached["findings"])


@pytest.mark.slow
def test_reports_show_the_review_the_trend_and_the_week(tmp_path: Path, cli) -> None:
    """The demo has a history and reviews: the deal report compares with the reviewed
    version and shows the manager's note, dismissals and actions (done ones as done); the
    trend has a line; the team report says what changed this week."""
    store = str(tmp_path / "s.db")
    assert cli("demo", "--store", store).code == 0
    assert cli("done", "fjordbank-onboarding", "1.1", "--store", store,
               "--author", "astrid").code == 0
    out = tmp_path / "out"
    assert cli("report", "--all", "--store", store, "--out", str(out), "--workers",
               "2").code == 0
    page = (out / "fjordbank-onboarding.html").read_text(encoding="utf-8")
    changes = page[page.index('id="changes"'):]
    assert "What changed since the last review" in changes
    assert "the one review 1 by Maria Lund (manager) looked at" in changes
    assert "Thomas Berg went from sceptical to against" in changes  # the note
    assert "Erik signs what Ingrid recommends" in changes  # a dismissal and its reason
    assert "Actions (1 of 2 done)" in changes and "by astrid" in changes
    findings = page[page.index('id="findings"'):page.index('id="scores"')]
    assert "dismissed" in findings and "in review 1 by Maria Lund" in findings
    health = page[page.index('id="health"'):]
    assert health.count("<polyline") == 3  # completeness, confidence, consensus
    team = (out / "team-all.html").read_text(encoding="utf-8")
    week = team[team.index('id="week"'):team.index('id="ranking"')]
    for heading in ("Stage changes", "Close dates moved", "Decision confidence down"):
        assert heading in week
    assert 'href="fjordbank-onboarding.html"' in week
    assert team.count('class="trend"') == 4


# -- the seller sees a new review; a manager on the team server finds the deal's report ------


def test_a_new_review_is_marked_until_the_seller_acts_on_it(tmp_path: Path) -> None:
    from coachkit.app import App
    from coachkit.app.picker import NEW_REVIEW
    from coachkit.model.review import Action
    from support.helpers import demo_store

    location = demo_store(tmp_path)
    with Store(location) as s:
        s.add_review(DEAL, version=s.get(DEAL).version, by="maria",
                     actions=[Action(text="Call the CFO")])
    app = App(location, author="ana", today=lambda: TODAY)
    app.picker.refresh()
    labels = {deal: label for label, deal in app.picker.list.options}
    assert labels[DEAL].endswith(NEW_REVIEW)
    assert [d for d, label in labels.items() if NEW_REVIEW in label] == [DEAL]
    app.open(DEAL)
    app.tabs.selected_index = [s.key for s in app.steps].index("review")
    panel = app.steps[-1].manager
    assert NEW_REVIEW in panel.latest.value
    panel.actions.children[0].value = True  # the seller ticks the action
    panel.refresh()
    assert NEW_REVIEW not in panel.latest.value
    app.picker.refresh()
    assert not any(NEW_REVIEW in label for label, _ in app.picker.list.options)


def test_a_manager_on_the_team_server_finds_the_deals_latest_report(tmp_path: Path) -> None:
    from coachkit.access import Access, managers_group, sellers_group
    from coachkit.app.review_panel import ReviewPanel
    from coachkit.app.session import WorkbookSession
    from coachkit.store.scoped import ScopedStore
    from support.helpers import demo_store

    location = demo_store(tmp_path)
    with Store(location) as loaded:
        team = loaded.get(DEAL).deal.deal.team
        loaded.add_review(DEAL, version=loaded.get(DEAL).version, by="maria")
        shown = {}
        for who, group in (("maria", managers_group(team)), ("ana", sellers_group(team))):
            session = WorkbookSession(ScopedStore(loaded, Access.from_groups(who, [group])),
                                      author=who, today=lambda: TODAY)
            session.open(DEAL)
            panel = ReviewPanel(session)
            panel.refresh()
            shown[who] = panel.latest.value
    link = f"href='/services/coachkit-reports/teams/{team}/{DEAL}.html'"
    assert link in shown["maria"] and "Latest report of this deal" in shown["maria"]
    assert link not in shown["ana"]  # sellers do not read the reports
