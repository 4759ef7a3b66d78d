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
from conftest import AppServer
from pages import FIRST_PAGE, TIMEOUT, open_app, shot, tab

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
