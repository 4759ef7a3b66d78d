"""The reports service's pages are HTML by construction: its own tags stay tags, and what a
seller typed (a customer's name, an answer's author) is text. The service's handlers, signed
in through a real hub, are in tests/test_hub_reports_loop.py."""

from __future__ import annotations

import datetime as dt

from coachkit.html import html
from coachkit.hub.reports import news_html, page
from coachkit.model.review import Action, Review, ReviewEvent

XSS = "<img src=x onerror=alert(1)>"
AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_a_page_keeps_its_tags_and_escapes_its_title() -> None:
    out = page(XSS, html("<p class='refused'>Not now: {}.</p>", XSS), refresh=True)
    assert out.startswith("<!doctype html>\n<html lang=\"en\">")
    assert "<title>&lt;img src=x onerror=alert(1)&gt;</title>" in out
    assert "<meta http-equiv='refresh' content='15'>" in out
    assert "<p class='refused'>Not now: &lt;img src=x onerror=alert(1)&gt;.</p>" in out
    assert "body{font-family:system-ui" in out  # the stylesheet's braces survive
    assert XSS not in out
    assert "http-equiv" not in page("coachkit reports", html("<p>done</p>"))


def test_the_news_marks_answers_and_actions_as_markup() -> None:
    review = Review(number=2, version=3, at=AT, by="maria",
                    actions=[Action(text="Call the CFO"), Action(text="Map the group")],
                    events=[ReviewEvent(at=AT, by="ana", kind="answer", text="soon"),
                            ReviewEvent(at=AT, by="ana", kind="done", action=0)])
    out = news_html("/services/coachkit-reports/", "east west", [("d-1", XSS, review)])
    assert out.startswith("<ul class='news'><li data-deal='d-1'>"
                          "<a href='/services/coachkit-reports/teams/east%20west/d-1.html'>"
                          "&lt;img src=x onerror=alert(1)&gt;</a>, review 2: ")
    assert ("<span class='answered'>answered</span> by ana (2026-03-02 09:30 UTC) · "
            "<span class='action-done'>action done</span> (1 of 2)</li></ul>") in out
    assert news_html("/", "east", []) == ""
