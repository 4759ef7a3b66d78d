"""The app's widgets without a browser: ipywidgets run in plain Python, observers fire."""

from __future__ import annotations

import html
import json

from coachkit.app import App
from coachkit.app.fields import ListEditor
from coachkit.training.demo import demo_deals
from support.helpers import TODAY
from support.widgets import XSS, field, find, show


def test_picker_lists_searches_and_opens(app: App) -> None:
    ids = [value for _, value in app.picker.list.options]
    assert set(ids) == {d.id for d in demo_deals(TODAY)}
    app.picker.search.value = "fjord"
    assert [v for _, v in app.picker.list.options] == ["fjordbank-onboarding"]
    app.picker.search.value = ""
    app.picker.team.value = "emea-industry"
    assert {v for _, v in app.picker.list.options} == {"northwind-plant-maintenance",
                                                       "harbourline-crm-replacement"}
    app.picker.list.value = "harbourline-crm-replacement"
    app.picker.open_button.click()
    assert app.session.deal.id == "harbourline-crm-replacement"
    assert app.tabs.layout.display is None
    assert app.tabs.titles[1].startswith("Problem · ")
    assert "Download workbook" in app.links.value


def test_opening_a_missing_deal_is_a_message(app: App) -> None:
    app.open("no-such-deal")
    assert "no deal 'no-such-deal'" in html.unescape(app.picker.message.value)
    assert app.session.deal is None


def test_new_deal_from_the_picker(app: App) -> None:
    app.picker.create.click()
    assert "customer" in app.picker.message.value
    app.picker.customer.value = "Brightwater Utilities"
    app.picker.title.value = "Fewer burst mains"
    app.picker.create.click()
    assert app.session.deal.deal.customer == "Brightwater Utilities"
    assert app.session.doc["problem"]["alternatives"] == ["Do nothing"]


def test_typing_updates_the_coaching_live(app: App) -> None:
    app.open("northwind-plant-maintenance")
    show(app, "Problem")
    problem = app.steps[1]
    statement = field(app, "problem-statement")
    statement.value = "They want our analytics module with SSO"
    assert "problem-as-product" in problem.coach_panel.value
    assert "something to buy" in problem.language_nudge.value
    statement.value = ("Unplanned stops on line 3 cost them 40 hours a month and the plant "
                       "manager's bonus")
    assert "problem-as-product" not in problem.coach_panel.value
    assert "customer problem" in problem.language_nudge.value


def test_the_coach_panel_stays_markup(app: App) -> None:
    """The panel's own HTML stays HTML: a plain str joined to escaped markup (markupsafe)
    would be escaped whole."""
    app.open("northwind-plant-maintenance")
    show(app, "Problem")
    problem = app.steps[1]
    field(app, "problem-statement").value = "They want our analytics module with SSO"
    panel = problem.coach_panel.value
    assert panel.startswith("<div class='ck-panel-head'>Coach · Problem"), panel[:120]
    assert "<div class='ck-finding" in panel and "&lt;div" not in panel


def test_bad_number_is_shown_by_its_field(app: App) -> None:
    app.open("northwind-plant-maintenance")
    value = field(app, "deal-value")
    value.value = "lots"
    box = next(b for b in find(app.widget, "ck-field") if getattr(b, "input", None) is value)
    assert "Not a number" in box.children[-1].value
    value.value = "250,000"
    assert app.session.doc["deal"]["value"] == 250_000
    assert box.children[-1].value == ""


def test_cost_of_inaction_calculator(app: App) -> None:
    app.open("tallis-early-discovery")
    show(app, "Problem")
    editor = next(e for e in _editors(app) if e.list_path[-1] == "assumptions")
    editor.add.click()
    editor.add.click()
    field(app, "problem-cost-of-inaction-assumptions-0-value").value = "120"
    field(app, "problem-cost-of-inaction-assumptions-1-value").value = "85"
    field(app, "problem-cost-of-inaction-assumptions-1-kind").value = "money"
    assert app.session.doc["problem"]["cost_of_inaction"]["amount"] == 10_200
    coi = app.steps[1].coi_result.value
    assert "10,200" in coi and "122,400" in coi  # per month and per year


def test_a_count_alone_is_not_shown_as_money(app: App) -> None:
    """"9 batches per month" alone never becomes "9 EUR per month": the page says what is
    missing, and no amount is saved."""
    app.open("tallis-early-discovery")
    show(app, "Problem")
    editor = next(e for e in _editors(app) if e.list_path[-1] == "assumptions")
    editor.add.click()
    field(app, "problem-cost-of-inaction-assumptions-0-name").value = "Failed batches"
    field(app, "problem-cost-of-inaction-assumptions-0-unit").value = "batches per month"
    field(app, "problem-cost-of-inaction-assumptions-0-value").value = "9"
    assert field(app, "problem-cost-of-inaction-assumptions-0-kind").value == "count"
    coi = html.unescape(app.steps[1].coi_result.value)
    assert app.session.doc["problem"]["cost_of_inaction"]["amount"] is None
    currency = app.session.deal.deal.currency
    assert currency not in coi and "108" not in coi  # no "9 SEK per month, 108 per year"
    assert "9 batches per month" in coi and "missing a money factor" in coi
    # the price of one batch makes it money
    editor.add.click()
    field(app, "problem-cost-of-inaction-assumptions-1-kind").value = "money"
    field(app, "problem-cost-of-inaction-assumptions-1-unit").value = f"{currency} per batch"
    field(app, "problem-cost-of-inaction-assumptions-1-value").value = "9,000"
    assert app.session.doc["problem"]["cost_of_inaction"]["amount"] == 81_000
    assert f"81,000 {currency} per month" in html.unescape(app.steps[1].coi_result.value)


def _editors(app: App) -> list[ListEditor]:
    out = []
    for step in app.steps:
        for value in vars(step).values():
            if isinstance(value, ListEditor):
                out.append(value)
    problem = app.steps[1]
    if hasattr(problem, "assumptions"):
        out.append(problem.assumptions)
    return out


def test_stakeholders_and_disagreements(app: App) -> None:
    app.open("tallis-early-discovery")
    show(app, "Stakeholders")
    step = app.steps[3]
    assert step.disagreements.add.disabled  # one person: nobody to disagree with
    step.people.add.click()
    assert not step.disagreements.add.disabled
    names = [p["name"] for p in app.session.doc["stakeholders"]]
    step.disagreements.add.click()
    chooser = field(app, "disagreements-0-between")
    assert list(chooser.options) == names
    field(app, f"stakeholders-{len(names) - 1}-name").value = "Rosa Lind"
    assert "Rosa Lind" in app.session.doc["disagreements"][0]["between"]
    assert "Rosa Lind" in field(app, "disagreements-0-between").options
    assert "Rosa Lind" in step.map.value


def test_html_in_text_is_shown_as_text(app: App) -> None:
    app.open("tallis-early-discovery")
    show(app, "Stakeholders")
    step = app.steps[3]
    step.people.add.click()
    index = len(app.session.doc["stakeholders"]) - 1
    field(app, f"stakeholders-{index}-name").value = XSS
    field(app, f"stakeholders-{index}-influence").value = 3
    field(app, f"stakeholders-{index}-stance").value = 2
    html = [x.value for x in find(app.widget, "ck-map")] + [
        x.value for x in find(app.widget, "ck-row-summary")]
    step.people.rebuild()
    html += [x.value for x in find(app.widget, "ck-row-summary")]
    joined = "".join(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in joined
    assert XSS not in joined
    app.session.set(("problem", "statement"), XSS)
    show(app, "Review")
    assert XSS not in app.steps[5].review.value


def test_upload_a_malformed_file_shows_the_error(app: App) -> None:
    app.picker._uploaded(({"name": "broken.coachkit.json", "size": 5,
                           "content": memoryview(b'{"sch')},))
    assert "broken.coachkit.json: not valid JSON" in app.picker.message.value
    assert app.session.deal is None
    good = demo_deals(TODAY)[1].to_json_dict()
    good["problem"]["why_now"] = "uploaded"
    data = json.dumps(good).encode()
    app.picker._uploaded(({"name": "ok.json", "size": len(data), "content": memoryview(data)},))
    assert app.session.deal.problem.why_now == "uploaded"


def test_review_step_shows_scores_and_questions(app: App) -> None:
    app.open("harbourline-crm-replacement")
    show(app, "Review")
    review = app.steps[5].review.value
    assert "completeness" in review and "Questions for the next call" in review
    assert "CRITICAL" in review


def test_the_page_finds_its_heartbeat_and_last_save(app: App) -> None:
    """What coachkit.js reads: a hidden button the kernel answers by changing its text, and
    the last save on the status line."""
    [beat] = find(app.widget, "ck-heartbeat")
    assert beat.layout.display == "none"
    beat.click()
    beat.click()
    assert beat.description == "2"
    app.open("tallis-early-discovery")
    assert f"data-last-saved='{app.session.last_saved()}'" in app.status.value
    assert app.session.last_saved().startswith("version ")
    [limit] = [x for x in find(app.picker.widget, "ck-hint-box") if "data-ck-max-bytes" in x.value]
    assert "data-ck-max-bytes='5000000'" in limit.value


def test_item_headers_follow_edits(app: App) -> None:
    """A person's header says who they are as it is typed, not "Person 2 — influencer"."""
    app.open("tallis-early-discovery")
    show(app, "Stakeholders")
    step = app.steps[3]
    step.people.add.click()
    index = len(app.session.doc["stakeholders"]) - 1
    headers = [x for x in find(app.widget, "ck-row-summary")
               if "Person" in x.value]
    assert len(headers) == 1 and "Person 2 — influencer" in headers[0].value
    field(app, f"stakeholders-{index}-name").value = "Maja Holm"
    field(app, f"stakeholders-{index}-title").value = "Plant manager"
    field(app, f"stakeholders-{index}-role").value = "champion"
    assert html.unescape(headers[0].value) == "<b>Maja Holm — Plant manager, champion</b>"
    assert field(app, f"stakeholders-{index}-name").value == "Maja Holm"  # still open


def test_guided_start_asks_where_the_deal_stands(app: App) -> None:
    import datetime as dt

    picker = app.picker
    picker.customer.value = "Lakeside Dairy Cooperative"
    picker.title.value = "Fewer lost batches"
    picker.stage.value = "qualification"
    picker.value.value = "120,000"
    picker.currency.value = "EURO"
    picker.close_date.value = TODAY + dt.timedelta(days=90)
    picker.event.value = "The retailer's audit in March"
    picker.event_date.value = TODAY + dt.timedelta(days=60)
    picker.create.click()
    assert html.unescape(picker.message.value).count("Currency: three capital letters, "
                                                     "like EUR") == 1
    assert app.session.deal is None  # nothing was started
    picker.currency.value = "gbp"
    picker.create.click()
    info = app.session.deal.deal
    assert (info.customer, info.stage.value, info.value, info.currency) == (
        "Lakeside Dairy Cooperative", "qualification", 120_000, "GBP")
    assert info.close_date == TODAY + dt.timedelta(days=90)
    assert info.compelling_event == "The retailer's audit in March"
    assert info.compelling_event_date == TODAY + dt.timedelta(days=60)
    assert picker.value.value == "" and picker.stage.value == "discovery"  # ready for the next


def test_scenario_statement_is_coached_like_any_other(app: App) -> None:
    """The paper mill's starting statement is the seller's own generalisation: it names a
    pain but is not the customer's words, so it is not "a customer problem" yet."""
    app.training.preselect("paper-mill-were-different", cohort="leeds-nov")
    app.training.participant.value = "Robin Ashdown"
    app.training.start.click()
    show(app, "Problem")
    problem = app.steps[1]
    nudge = html.unescape(problem.language_nudge.value)
    assert "Reads as a customer problem" not in nudge
    assert "in our words, not the customer's" in nudge
    field(app, "problem-in-customer-words").value = True
    assert "Reads as a customer problem" in problem.language_nudge.value


def test_the_brief_sits_beside_every_step(app: App) -> None:
    app.training.preselect("paper-mill-were-different")
    app.training.participant.value = "Robin Ashdown"
    app.training.start.click()
    for step in app.steps:
        if step.sections:  # every step with a form and a coach
            assert step.side.children == (step.coach_panel, app.brief), step.key
    assert "<details open>" in app.brief.value and "What you will practise" in app.brief.value
    app.open("northwind-plant-maintenance")  # not a training workbook: no brief
    assert all(app.brief not in step.side.children for step in app.steps)


def test_the_apps_own_tags_stay_tags_and_typed_text_stays_text(app: App) -> None:
    """Each piece of the app's HTML is built by :func:`coachkit.html.html`: its own tags reach
    the page as tags (a plain str joined to Markup would show them as text) while a seller's
    text is escaped."""
    from coachkit.app.conflicts import shown
    from coachkit.app.fields import heading, hint
    from coachkit.model.merge import FieldConflict

    def markup(value: str, starts: str) -> None:
        assert value.startswith(starts) and "&lt;" not in value.replace(
            "&lt;img src=x onerror=alert(1)&gt;", ""), value[:200]
        assert XSS not in value

    markup(heading(XSS).value, "<h3 class='ck-heading'>")
    markup(hint(XSS).value, "<div class='ck-hint'>")
    app.open("tallis-early-discovery")
    markup(app.status.value, "<span class='ck-status-")
    markup(app.links.value, "<a class='ck-permalink' href='?deal_id=tallis-early-discovery'>")
    assert "<a class='ck-download' download='tallis-early-discovery" in app.links.value
    markup(app.url.value, "<span data-deal-id='tallis-early-discovery'>")
    show(app, "Problem")
    field(app, "problem-statement").value = f"They want our analytics module {XSS}"
    markup(app.steps[1].language_nudge.value, "<div class='ck-nudge ck-warning'>")
    markup(app.steps[1].coi_result.value, "<div class='ck-coi")
    show(app, "Stakeholders")
    step = app.steps[3]
    names = [p["name"] for p in app.session.doc["stakeholders"]]
    step.people.add.click()
    field(app, f"stakeholders-{len(names)}-name").value = XSS
    step.disagreements.add.click()
    field(app, "disagreements-0-between").value = (names[0], XSS)
    step.people._remove(len(names))
    notice = step.people.notice.children[0].value
    markup(notice, "Removing <b>&lt;img")
    assert "</b> also removes the disagreement with" in notice
    step.people.notice.children[1].click()  # remove them
    markup(step.people.notice.children[0].value, "Removed <b>&lt;img")
    person = {"name": XSS, "title": "CFO", "role": None}
    conflict = FieldConflict(("stakeholders", 0), XSS, None, person, None)
    markup(shown(person, conflict), "<b>&lt;img")
    assert "<br>Title: CFO" in shown(person, conflict)
    assert shown(None, conflict) == "<em>(removed)</em>"
    assert shown([], conflict) == "<em>(none)</em>"


def test_the_apps_severity_colours_are_the_palettes() -> None:
    """The findings' and verdicts' severity colours are the palette's, which the maps and the
    reports' charts draw in: the stylesheet names them, the palette's block defines them."""
    import re

    from coachkit.app.style import CSS
    from coachkit.views import palette

    for css_class, colour in (("ck-critical", palette.CRITICAL), ("ck-warning", palette.WARNING),
                              ("ck-info", palette.INFO), ("ck-good", palette.GOOD)):
        rule = re.search(rf"\.{css_class} \{{ border-left-color: var\(--ck-([a-z]+)\); \}}",
                         CSS)
        assert rule, css_class
        defined = re.search(rf"--ck-{rule.group(1)}: (#[0-9a-f]{{6}});", CSS)
        assert defined and defined.group(1) == colour, (css_class, defined, colour)
