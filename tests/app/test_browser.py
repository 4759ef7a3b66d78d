"""A seller in a real browser: Debian's Chromium, driven by Playwright, against `coachkit app`.

Screenshots of every step go to test-artifacts/ (look at them).
"""

from __future__ import annotations

import re

import pytest

from coachkit.store import Store
from support.pages import open_app, panel, shot, status, tab
from support.servers import AppServer
from support.widgets import XSS

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("voila")]


def test_seller_fills_a_deal_and_finds_it_back(page, app_server: AppServer,
                                               app_store: str) -> None:
    from playwright.sync_api import expect

    open_app(page, app_server.link())
    page.locator(".ck-picker").wait_for()
    shot(page, "01-picker")
    page.locator(".ck-new-customer input").fill("Lakeside Dairy Cooperative")
    page.locator(".ck-new-title input").fill("Fewer lost batches in the cheese plant")
    page.locator(".ck-create").click()
    page.locator(".ck-steps").wait_for()
    status(page, "New deal saved")
    shot(page, "02-deal")

    tab(page, "Problem")
    statement = page.locator(".ck-field-problem-statement textarea")
    statement.fill("They need to buy a new batch tracking system")
    expect(panel(page, "problem")).to_contain_text("problem-as-product")
    expect(page.locator(".ck-language")).to_contain_text("something to buy")
    shot(page, "03-problem-product-talk")
    statement.fill("Six batches a month fail the culture check, each costing 9,000 EUR of "
                   "milk and the plant manager's weekend")
    expect(panel(page, "problem")).not_to_contain_text("problem-as-product")
    page.locator(".ck-field-problem-why-now textarea").fill("The retailer audit in March")
    shot(page, "04-problem")

    tab(page, "Stakeholders")
    page.locator(".ck-add-stakeholders").click()
    page.locator(".ck-field-stakeholders-0-name input").fill("Maja Holm")
    page.locator(".ck-add-stakeholders").click()
    page.locator(".ck-field-stakeholders-1-name input").fill("Jonas Berg")
    page.locator(".ck-add-disagreements").click()
    chooser = page.locator(".ck-field-disagreements-0-between select")
    expect(chooser.locator("option")).to_have_count(2)
    chooser.select_option(["Maja Holm", "Jonas Berg"])
    page.locator(".ck-field-disagreements-0-about textarea").fill("Who pays for the sensors")
    page.locator(".ck-field-disagreements-0-severity select").select_option(label="4")
    expect(panel(page, "stakeholders")).to_contain_text("unresolved-disagreement")
    shot(page, "05-stakeholders")

    tab(page, "Risks")
    page.locator(".ck-add-risks").click()
    page.locator(".ck-field-risks-0-description textarea").fill("Night shift ignores alerts")
    page.locator(".ck-field-risks-0-likelihood select").select_option(label="4")
    page.locator(".ck-field-risks-0-impact select").select_option(label="4")
    expect(panel(page, "risks")).to_contain_text("unmitigated-risk")
    page.locator(".ck-field-risks-0-mitigation textarea").fill("Alerts go to the shift lead")
    expect(panel(page, "risks")).not_to_contain_text("unmitigated-risk")
    shot(page, "06-risks")

    tab(page, "Decision confidence")
    shot(page, "07-confidence")
    tab(page, "Review")
    expect(page.locator(".ck-review")).to_contain_text("Questions for the next call")
    expect(page.locator(".ck-verdict-label")).to_be_visible()  # the verdict, first
    shot(page, "08-review")
    status(page, "Saved at")

    link = page.locator(".ck-permalink").get_attribute("href")
    deal_id = link.split("deal_id=")[1]
    open_app(page, app_server.url + link)
    page.locator(".ck-steps").wait_for()
    tab(page, "Problem")
    expect(page.locator(".ck-field-problem-statement textarea")).to_have_value(
        re.compile("^Six batches a month"))
    tab(page, "Stakeholders")
    expect(page.locator(".ck-step-stakeholders .ck-row-summary")).to_have_count(3)
    expect(page.locator(".ck-step-stakeholders")).to_contain_text("Maja Holm vs Jonas Berg")
    tab(page, "Risks")
    expect(page.locator(".ck-step-risks .ck-row-summary")).to_contain_text("Night shift")
    shot(page, "09-after-reload")
    with Store(app_store) as store:
        saved = store.get(deal_id).deal
    assert saved.disagreements[0].between == ["Maja Holm", "Jonas Berg"]
    assert saved.risks[0].mitigation == "Alerts go to the shift lead"


def test_malformed_upload_shows_the_error(page, app_server: AppServer) -> None:
    from playwright.sync_api import expect

    open_app(page, app_server.link())
    with page.expect_file_chooser() as chooser:
        page.locator(".ck-upload").click()
    chooser.value.set_files(files=[{
        "name": "broken.coachkit.json", "mimeType": "application/json",
        "buffer": b'{"schema_version": 1, "deal": {"id": "x", "stage": "won"'}])
    expect(page.locator(".ck-error-box")).to_contain_text("broken.coachkit.json: not valid JSON")
    shot(page, "11-bad-upload")
    assert page.locator(".ck-steps").is_hidden()


def test_html_in_a_name_is_shown_not_run(page, app_server: AppServer) -> None:
    from playwright.sync_api import expect

    open_app(page, app_server.link("deal_id=tallis-early-discovery"))
    page.locator(".ck-steps").wait_for()
    tab(page, "Stakeholders")
    page.locator(".ck-add-stakeholders").click()
    name = page.locator(".ck-field-stakeholders-1-name input")
    name.fill(XSS)
    page.locator(".ck-field-stakeholders-1-influence select").select_option(label="4")
    page.locator(".ck-field-stakeholders-1-stance select").select_option(label="-4")
    expect(panel(page, "stakeholders")).to_contain_text(XSS)  # as text, in the finding
    expect(page.locator(".ck-stakeholder-map")).to_contain_text(XSS)
    page.locator(".ck-step-stakeholders .ck-edit").last.click()  # close: the summary line
    expect(page.locator(".ck-step-stakeholders .ck-row-summary").last).to_contain_text(XSS)
    shot(page, "12-html-as-text")
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.dialogs == []
    assert not page.evaluate("document.querySelectorAll('script[src=\"x\"], img[onerror]').length")


def test_participant_works_a_scenario_and_downloads_it(page, app_server: AppServer,
                                                        tmp_path) -> None:
    from playwright.sync_api import expect

    from coachkit.model.files import read_workbook

    open_app(page, app_server.link("scenario=paper-mill-were-different&cohort=leeds-nov"))
    training = page.locator(".ck-training")
    training.wait_for()
    expect(training).to_contain_text("Binder session is temporary")
    page.locator(".ck-participant input").fill("Robin Ashdown")
    page.locator(".ck-start-scenario").click()
    page.locator(".ck-steps").wait_for()
    expect(page.locator(".ck-training-banner")).to_contain_text("Download your workbook")
    tab(page, "Problem")
    # the brief is open beside the step the participant is writing, not folded away
    brief = page.locator(".ck-step-problem .ck-side .ck-brief")
    expect(brief).to_be_visible()
    expect(brief).to_contain_text("What you will practise")
    form = page.locator(".ck-step-problem .ck-step-body").bounding_box()
    beside = brief.bounding_box()
    assert form and beside and beside["x"] >= form["x"] + form["width"] - 1
    expect(page.locator(".ck-step-problem .ck-coach-panel")).to_be_in_viewport()  # not pushed
    # down by the brief
    page.locator(".ck-field-problem-statement textarea").fill(
        "PM2 loses eleven breaks a week, which keeps machine efficiency at 84 against a "
        "group target of 89 before the capex committee decides")
    status(page, "Saved at")
    shot(page, "13-participant")
    with page.expect_download() as download_info:
        page.locator(".ck-download").click()
    download = download_info.value
    assert download.suggested_filename == "robin-ashdown__paper-mill-were-different.coachkit.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    deal = read_workbook(saved)
    assert deal.training.participant == "Robin Ashdown"
    assert deal.training.scenario == "paper-mill-were-different"
    assert deal.training.cohort == "leeds-nov"
    assert deal.problem.statement.startswith("PM2 loses eleven breaks")


def test_messages_in_words_and_headers_that_follow(page, app_server: AppServer) -> None:
    """A refused value is said in words by its field; a person's header follows the typing."""
    from playwright.sync_api import expect

    open_app(page, app_server.link())  # a deal of its own: the demo deals are shared
    page.locator(".ck-new-customer input").fill("Brightwater Utilities")
    page.locator(".ck-create").click()
    page.locator(".ck-steps").wait_for()
    currency = page.locator(".ck-field-deal-currency input")
    currency.fill("eu")
    box = page.locator(".ck-field", has=currency)
    expect(box.locator(".ck-field-error")).to_have_text(
        "Currency: three capital letters, like EUR")
    expect(page.locator(".ck-app")).not_to_contain_text("should match pattern")
    currency.fill("SEK")
    expect(box.locator(".ck-field-error")).to_have_text("")
    tab(page, "Stakeholders")
    page.locator(".ck-add-stakeholders").click()
    header = page.locator(".ck-step-stakeholders .ck-row-summary").last
    expect(header).to_have_text("Person 1 — influencer")
    page.locator(".ck-field-stakeholders-0-name input").fill("Maja Holm")
    page.locator(".ck-field-stakeholders-0-role select").select_option(label="champion")
    expect(header).to_have_text("Maja Holm — champion")
    shot(page, "14-words-and-headers")
