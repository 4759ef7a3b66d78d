"""The app's "Preview the customer's page" and its download, on the Review step, without a
browser: the same page as ``coachkit report --for customer``, nothing internal, all escaped."""

from __future__ import annotations

import base64
import html
import re

from coachkit.app import App
from coachkit.app.customer import CustomerPanel
from support.widgets import XSS, field, find, show


def panel(app: App) -> CustomerPanel:
    show(app, "Review")
    return app.steps[5].customer


def downloaded(p: CustomerPanel) -> str:
    """The downloaded page (nbconvert writes ``'`` as it is: compare with unescaped text)."""
    found = re.search(r'href="data:text/html;charset=utf-8;base64,([A-Za-z0-9+/=]+)"',
                      p.link.value)
    assert found, p.link.value
    return base64.b64decode(found.group(1)).decode("utf-8")


def test_preview_and_download(app: App) -> None:
    app.open("northwind-plant-maintenance")
    p = panel(app)
    assert p.toggle.description == "Preview the customer's page"
    assert p.preview.value == "" and p.link.value == ""  # made only when asked for
    p.toggle.value = True
    assert 'download="northwind-plant-maintenance-customer.html"' in p.link.value
    page = downloaded(p)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "<h1>Northwind Verpackung GmbH</h1>" in page and "Our mutual plan" in page
    deal = app.session.deal
    assert deal is not None
    text = html.unescape(page)
    for risk in deal.risks:  # only the risks the seller marked to share
        assert (risk.description in text) == risk.shared
    for person in deal.stakeholders:
        assert person.personal_goal not in text
    # the preview is that page, in a sandboxed frame (its text escaped once more)
    assert p.preview.value.startswith("<iframe ") and ' sandbox=""' in p.preview.value
    assert html.escape(page) in p.preview.value
    p.toggle.value = False
    assert p.preview.value == "" and p.link.value == ""


def test_the_preview_follows_the_shared_material_only(app: App) -> None:
    app.open("tallis-early-discovery")
    p = panel(app)
    p.toggle.value = True
    before = p.preview.value
    app.session.set(("stakeholders", 0, "concerns"), "Internal: she may leave in spring")
    assert p.preview.value == before  # nothing the customer sees changed
    app.session.set(("problem", "why_now"), "The cleaning contracts renew in March")
    assert p.preview.value != before
    assert "The cleaning contracts renew in March" in downloaded(p)
    assert "she may leave" not in downloaded(p)


def test_sharing_a_risk_from_the_risks_step(app: App) -> None:
    app.open("fjordbank-onboarding")
    deal = app.session.deal
    assert deal is not None
    index = next(i for i, r in enumerate(deal.risks) if not r.shared)
    description = deal.risks[index].description
    p = panel(app)
    p.toggle.value = True
    assert description not in html.unescape(downloaded(p))
    show(app, "Risks")
    [risks] = find(app.steps[2].widget, "ck-list")
    row = risks.children[0].children[index]
    row.children[0].children[1].click()  # "Edit"
    flag = field(app, f"risks-{index}-shared")
    assert flag.description == "Share with the customer" and flag.value is False
    flag.value = True
    assert app.session.doc["risks"][index]["shared"] is True
    show(app, "Review")
    assert description in html.unescape(downloaded(p))


def test_text_is_escaped_in_the_preview_and_the_file(app: App) -> None:
    app.open("tallis-early-discovery")
    app.session.set(("problem", "statement"), XSS)
    p = panel(app)
    p.toggle.value = True
    assert XSS not in p.preview.value and XSS not in p.link.value
    page = downloaded(p)
    assert XSS not in page and html.escape(XSS) in page
    assert [w for w in find(app.widget, "ck-customer") if w is p.widget]
