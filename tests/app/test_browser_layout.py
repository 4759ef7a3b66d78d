"""The app on a phone, a tablet and a laptop: real Voila, real Chromium, every step.

Each step is measured (no sideways scrolling, the form takes the phone's width, every tab can
be reached, the save status stays in view after scrolling, the coach sits below the form on a
phone and stays in view beside it on a laptop) and photographed into test-artifacts/
(``layout-<width>-<step>.png``): look at them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from coachkit.model.vocabulary import STEPS
from support.pages import FIRST_PAGE, TIMEOUT, open_app, shot, tab
from support.servers import AppServer

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("voila")]

DEAL = "northwind-plant-maintenance"
"""The demo deal with the most in every step: long forms, many people, many findings."""

SIZES = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1300, 900)}


def measure(page: Any, key: str) -> dict[str, Any]:
    """Where things are on the page, in CSS pixels of the viewport."""
    return page.evaluate("""key => {
      const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                width: r.width, height: r.height}; };
      const step = document.querySelector(`.ck-step-${key}`);
      return {
        viewport: window.innerWidth, height: window.innerHeight,
        scrollWidth: document.documentElement.scrollWidth,
        bodyScrollWidth: document.body.scrollWidth,
        form: box(step.querySelector('.ck-step-body')),
        side: box(step.querySelector('.ck-side')),
        coach: box(step.querySelector('.ck-coach-panel')),
        status: box(document.querySelector('.ck-statusbar')),
        tabs: [...document.querySelectorAll('.ck-steps .lm-TabBar-tab')].map(box),
        wide: [...step.querySelectorAll('.ck-step-body *')].filter(el => {
          const r = el.getBoundingClientRect();
          return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1);
        }).map(el => el.className).slice(0, 5),
      };
    }""", key)


def scroll_to_bottom(page: Any, key: str) -> None:
    """Scroll as a reader does until the step's last part is in view (whichever panel of the
    page scrolls)."""
    from playwright.sync_api import expect

    last = page.locator(f".ck-step-{key} .ck-step-body > *").last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()


def scroll_to_top(page: Any) -> None:
    page.locator(".ck-title").scroll_into_view_if_needed()


@pytest.mark.parametrize("size", list(SIZES))
def test_every_step_reads_well(browser: Any, app_server: AppServer, size: str) -> None:
    from playwright.sync_api import expect

    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=1)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        open_app(page, app_server.link(f"deal_id={DEAL}"), timeout=FIRST_PAGE)
        page.locator(".ck-steps").wait_for()
        expect(page.locator(".ck-status")).to_contain_text("version")
        for step in STEPS:
            scroll_to_top(page)
            tab(page, step.title)
            body = page.locator(f".ck-step-{step.key} .ck-step-body")
            expect(body.locator(".ck-field, .ck-list, .ck-review").first).to_be_visible()
            if step.key != "review":
                expect(page.locator(f".ck-step-{step.key} .ck-coach-panel")).to_contain_text(
                    "Coach")
            shot(page, f"layout-{width}-{step.key}")
            at = measure(page, step.key)
            # nothing runs off the side: no sideways scrolling on any device
            assert at["scrollWidth"] <= at["viewport"], (step.key, at["scrollWidth"], at["wide"])
            assert at["wide"] == [], (step.key, at["wide"])
            # every tab is on screen, whole, and can be clicked
            for t in at["tabs"]:
                assert t["left"] >= -1 and t["right"] <= at["viewport"] + 1, (step.key, t)
                assert t["width"] >= 40, (step.key, t)
            if size == "phone":
                assert at["form"]["width"] >= 0.9 * width, (step.key, at["form"])
                if at["coach"] is not None:  # the coach below the form, as wide
                    assert at["side"]["top"] >= at["form"]["bottom"] - 1, (step.key, at)
                    assert at["coach"]["width"] >= 0.9 * width, (step.key, at["coach"])
            elif size == "laptop" and at["coach"] is not None:  # beside the form
                assert at["side"]["left"] >= at["form"]["right"] - 1, (step.key, at)
                assert at["form"]["width"] >= 0.55 * width, (step.key, at["form"])
            # long steps: scrolled to the bottom, the save status is still in view
            scroll_to_bottom(page, step.key)
            after = measure(page, step.key)
            assert after["status"]["top"] >= -1 and after["status"]["bottom"] <= height, (
                step.key, after["status"])
            expect(page.locator(".ck-status")).to_be_in_viewport()
            if size == "laptop" and after["coach"] is not None:
                # the coach stays beside the form while the seller scrolls a long step
                assert after["coach"]["top"] < height and after["coach"]["bottom"] > 0, (
                    step.key, after["coach"])
                assert after["coach"]["top"] >= after["status"]["bottom"] - 1, (step.key, after)
            shot(page, f"layout-{width}-{step.key}-scrolled")
        # the Stakeholders step on a phone: every person is there, readable
        tab(page, "Stakeholders")
        rows = page.locator(".ck-step-stakeholders .ck-row-summary")
        assert rows.count() >= 3
        for i in range(rows.count()):
            box = rows.nth(i).bounding_box()
            assert box is not None and box["width"] >= min(0.5 * width, 300), box
            expect(rows.nth(i)).to_contain_text(re.compile(r"\w+ (—|vs) "))
    finally:
        context.close()


def test_a_new_deal_on_a_phone(browser: Any, app_server: AppServer) -> None:
    """The guided start on a phone: who, what, stage, value and currency, close date and the
    compelling event in one short form, then the Deal step holds them."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        open_app(page, app_server.link(), timeout=FIRST_PAGE)
        page.locator(".ck-picker").wait_for()
        page.locator(".ck-new-customer input").fill("Lakeside Dairy Cooperative")
        page.locator(".ck-new-title input").fill("Fewer lost batches in the cheese plant")
        page.locator(".ck-new-stage select").select_option(label="qualification")
        page.locator(".ck-new-value input").fill("120,000")
        page.locator(".ck-new-currency input").fill("DKK")
        page.locator(".ck-new-close-date input").fill("2027-03-31")
        page.locator(".ck-new-event textarea").fill("The retailer's audit on 1 March")
        page.locator(".ck-new-event-date input").fill("2027-03-01")
        page.locator(".ck-new-event textarea").scroll_into_view_if_needed()
        shot(page, "layout-390-new-deal")
        at = page.evaluate("({w: document.documentElement.scrollWidth, v: innerWidth})")
        assert at["w"] <= at["v"], at
        for name in ("customer", "stage", "value", "currency", "close-date", "event"):
            box = page.locator(f".ck-new-{name}").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
        page.locator(".ck-create").click()
        page.locator(".ck-steps").wait_for()
        expect(page.locator(".ck-status")).to_contain_text("New deal saved")
        expect(page.locator(".ck-field-deal-stage select")).to_have_value("qualification")
        expect(page.locator(".ck-field-deal-value input")).to_have_value("120,000")
        expect(page.locator(".ck-field-deal-currency input")).to_have_value("DKK")
        expect(page.locator(".ck-field-deal-close-date input")).to_have_value("2027-03-31")
        expect(page.locator(".ck-field-deal-compelling-event textarea")).to_have_value(
            "The retailer's audit on 1 March")
        shot(page, "layout-390-new-deal-started")
    finally:
        context.close()


def test_a_scenario_on_a_phone(browser: Any, app_server: AppServer) -> None:
    """A participant on a phone: the brief is open above the coach, below the form."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        open_app(page, app_server.link("scenario=home-care-buying-group"), timeout=FIRST_PAGE)
        page.locator(".ck-participant input").fill("Sam Phone")
        page.locator(".ck-start-scenario").click()
        page.locator(".ck-steps").wait_for()
        tab(page, "Problem")
        brief = page.locator(".ck-step-problem .ck-brief")
        expect(brief).to_be_visible()
        form = page.locator(".ck-step-problem .ck-step-body").bounding_box()
        box = brief.bounding_box()
        assert form and box and box["y"] >= form["y"] + form["height"] - 1
        assert box["width"] >= 0.8 * 390
        brief.scroll_into_view_if_needed()
        shot(page, "layout-390-scenario-brief")
        expect(page.locator(".ck-status")).to_be_in_viewport()
    finally:
        context.close()
