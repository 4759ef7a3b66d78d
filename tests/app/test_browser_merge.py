"""Two pages on one deal, remove and undo, history, and an address that names the open deal:
a real ``coachkit app`` (Voila) in Debian's Chromium.

Each test works on its own copy of a demo deal, so the shared server's other tests never see
its edits. Screenshots go to test-artifacts/ (look at them: 30-33 are the conflict panel at
1300 px, the remove confirmation and the undo notice).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from coachkit.model import Deal
from coachkit.store import Store
from coachkit.training.demo import demo_deals
from support.helpers import TODAY
from support.pages import FIRST_PAGE, answered, new_context, open_app, shot, status, tab
from support.servers import AppServer

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("voila")]


def copy_of(app_store: str, demo_id: str, new_id: str, customer: str = "") -> str:
    """A fresh deal in the app's store: a demo deal under another id (and customer)."""
    doc = next(d for d in demo_deals(TODAY) if d.id == demo_id).to_json_dict()
    doc["deal"]["id"] = new_id
    doc["deal"]["customer"] = customer or doc["deal"]["customer"]
    with Store(app_store) as store:
        store.put(Deal.model_validate(doc), author="demo")
    return new_id


def two_pages(browser: Any, app_server: AppServer, deal: str, step: str) -> tuple[Any, Any, Any]:
    context = new_context(browser)
    first, second = context.new_page(), context.new_page()
    second.set_viewport_size({"width": 1300, "height": 1000})
    for pg in (first, second):
        open_app(pg, app_server.link(f"deal_id={deal}"), FIRST_PAGE)
        pg.locator(".ck-steps").wait_for()
        tab(pg, step)
    return context, first, second


def test_two_pages_editing_different_fields_both_keep_their_edits(
        browser: Any, app_server: AppServer, app_store: str) -> None:
    from playwright.sync_api import expect

    deal = copy_of(app_store, "harbourline-crm-replacement", "merge-different-fields")
    context, first, second = two_pages(browser, app_server, deal, "Problem")
    first.locator(".ck-field-problem-why-now textarea").fill("First page: board meets in May")
    status(first, "Saved at")
    second.locator(".ck-field-problem-root-cause textarea").fill("Second page: no owner")
    status(second, "merged with browser's change to “Why now”")
    # the second page shows the first page's edit, and keeps its own
    expect(second.locator(".ck-field-problem-why-now textarea")).to_have_value(
        "First page: board meets in May")
    expect(second.locator(".ck-field-problem-root-cause textarea")).to_have_value(
        "Second page: no owner")
    expect(second.locator(".ck-conflict")).to_be_hidden()
    shot(second, "30-merged-by-itself")
    context.close()
    with Store(app_store) as store:
        latest = store.get(deal)
        kept = store.conflicts(deal)
    assert latest.deal.problem.why_now == "First page: board meets in May"
    assert latest.deal.problem.root_cause == "Second page: no owner"
    assert [c.restored_as for c in kept] == [latest.version]  # the refused save went in


def test_the_same_field_edited_twice_gives_a_choice_per_field(
        browser: Any, app_server: AppServer, app_store: str) -> None:
    from playwright.sync_api import expect

    deal = copy_of(app_store, "harbourline-crm-replacement", "merge-same-field")
    context, first, second = two_pages(browser, app_server, deal, "Problem")
    first.locator(".ck-field-problem-why-change textarea").fill("First page: churn")
    first.locator(".ck-field-problem-why-now textarea").fill("First page: board meets in May")
    status(first, "Saved at")
    second.locator(".ck-field-problem-root-cause textarea").fill("Second page: no owner")
    second.locator(".ck-field-problem-why-now textarea").fill("Second page: the Q3 audit")
    status(second, "you both changed “Why now”")
    choice = second.locator(".ck-choice-problem-why-now")
    expect(choice.locator(".ck-theirs")).to_contain_text("First page: board meets in May")
    expect(choice.locator(".ck-theirs")).to_contain_text(re.compile(r"browser · version \d+"))
    expect(choice.locator(".ck-mine")).to_contain_text("Second page: the Q3 audit")
    expect(second.locator(".ck-choice")).to_have_count(1)  # only the field both changed
    save = second.locator(".ck-save-choices")
    expect(save).to_be_disabled()  # nothing is chosen for the seller
    second.locator(".ck-conflict").scroll_into_view_if_needed()
    shot(second, "31-conflict-1300px")
    second.locator(".ck-conflict").screenshot(path=str(_artifact("31b-conflict-panel-1300px")))
    choice.get_by_role("button", name="Keep mine").click()
    expect(save).to_be_enabled()
    save.click()
    status(second, "Saved at")
    expect(second.locator(".ck-conflict")).to_be_hidden()
    expect(second.locator(".ck-field-problem-why-change textarea")).to_have_value(
        "First page: churn")
    context.close()
    with Store(app_store) as store:
        latest = store.get(deal).deal
        history = [v.deal.problem.why_now for v in store.history(deal)]
    assert latest.problem.why_now == "Second page: the Q3 audit"
    assert latest.problem.root_cause == "Second page: no owner"
    assert latest.problem.why_change == "First page: churn"
    assert "First page: board meets in May" in history  # nothing lost


def _artifact(name: str) -> Any:
    from support.helpers import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_remove_says_what_goes_and_undo_brings_it_back(
        page: Any, app_server: AppServer, app_store: str) -> None:
    from playwright.sync_api import expect

    deal = copy_of(app_store, "northwind-plant-maintenance", "merge-remove-undo")
    page.set_viewport_size({"width": 1300, "height": 1000})
    open_app(page, app_server.link(f"deal_id={deal}"), FIRST_PAGE)
    page.locator(".ck-steps").wait_for()
    tab(page, "Stakeholders")
    jonas = page.locator(".ck-step-stakeholders .ck-row-summary",
                         has_text=re.compile("^Jonas Feld —"))
    expect(jonas).to_have_count(1)
    person = page.locator(".ck-step-stakeholders .ck-row").filter(
        has=page.locator(".ck-row-summary", has_text=re.compile("^Jonas Feld —")))
    person.locator(".ck-remove").click()
    notice = page.locator(".ck-step-stakeholders .ck-notice.ck-confirm")
    expect(notice).to_contain_text("Removing Jonas Feld also removes the disagreement with "
                                   "Ömer Yilmaz about “Ömer wants")
    shot(page, "32-remove-confirm")
    with Store(app_store) as store:
        before = store.get(deal)
    page.locator(".ck-confirm-remove").click()
    removed = page.locator(".ck-step-stakeholders .ck-notice.ck-removed")
    expect(removed).to_contain_text("Removed Jonas Feld")
    expect(page.locator(".ck-step-stakeholders")).not_to_contain_text("Jonas Feld vs")
    status(page, "Saved at")
    shot(page, "33-removed-undo")
    with Store(app_store) as store:
        gone = store.get(deal)
    assert gone.version == before.version + 1
    assert "Jonas Feld" not in [p.name for p in gone.deal.stakeholders]
    page.locator(".ck-undo").click()
    expect(jonas).to_have_count(1)
    expect(page.locator(".ck-step-stakeholders")).to_contain_text("Jonas Feld vs Ömer Yilmaz")
    expect(removed).to_be_hidden()
    status(page, "Saved at")
    with Store(app_store) as store:
        back = store.get(deal)
    assert back.version == before.version + 2
    assert back.deal.stakeholders == before.deal.stakeholders
    assert back.deal.disagreements == before.deal.disagreements


def test_the_address_follows_the_open_deal_and_history_restores(
        page: Any, app_server: AppServer, app_store: str) -> None:
    from playwright.sync_api import expect

    deal = copy_of(app_store, "tallis-early-discovery", "merge-address-history",
                   customer="Addressable Mills")
    open_app(page, app_server.link(), FIRST_PAGE)
    page.locator(".ck-picker").wait_for()
    answered(page)
    page.locator(".ck-search input").fill("Addressable Mills")
    expect(page.locator(".ck-deal-list option")).to_have_count(1)
    page.locator(".ck-deal-list select").select_option(index=0)
    page.locator(".ck-open").click()
    page.locator(".ck-steps").wait_for()
    page.wait_for_url(re.compile(rf"\?deal_id={deal}$"))
    assert "token=" not in page.url  # a bookmark never carries the token
    tab(page, "Problem")
    page.locator(".ck-field-problem-why-now textarea").fill("Typed before the reload")
    status(page, "Saved at")
    page.reload()
    page.locator(".ck-steps").wait_for()
    expect(page.locator(".ck-app")).to_contain_text("open: Addressable Mills")
    tab(page, "Problem")
    expect(page.locator(".ck-field-problem-why-now textarea")).to_have_value(
        "Typed before the reload")
    # the deal's history: who saved what, when; restore the first version as a new one
    page.locator(".jupyter-widget-Collapse-header", has_text="History").click()
    versions = page.locator(".ck-history .ck-version")
    expect(versions.first).to_contain_text("browser · changed “Why now”")
    expect(versions.last).to_contain_text("demo · started the deal")
    shot(page, "34-history")
    with Store(app_store) as store:
        first = store.history(deal)[0].version
    page.locator(f".ck-version-{first} .ck-restore").click()
    status(page, "Saved at")
    expect(versions.first).to_contain_text(f"(restored version {first})")
    with Store(app_store) as store:
        latest = store.get(deal)
        original = store.get(deal, version=first).deal
    assert latest.deal == original and latest.version == first + 2
    # back goes to where the page was before the deal was opened: the list
    page.go_back()
    page.locator(".ck-picker").wait_for()
    assert "deal_id" not in page.url
