"""The reports service closes the loop on a real ``coachkit hub`` (JupyterHub, PostgreSQL):
PDFs beside the HTML, deal reports linking to the deal in the reader's app, a manager's
"Render now" (a POST with xsrf, rate-limited), and the seller's answers and ticked actions
marked on the reports index. No user server is started here."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import unquote

import pytest
import requests

from coachkit.model.review import Action, ReviewEvent
from coachkit.store import Store
from support.hubserver import REPORTS, Hub, wait_for_reports

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hub")]


def xsrf(page: str) -> str:
    found = re.search(r"name=\"_xsrf\" value=\"([^\"]+)\"", page)
    assert found, page[:500]
    return found.group(1)


def rendered(hub: Hub, session: requests.Session, team: str) -> str:
    page = session.get(hub.url + REPORTS, timeout=60).text
    found = re.search(rf"data-team='{team}' data-rendered='([^']*)'", page)
    assert found, page[:500]
    return found.group(1)


def test_pdfs_are_served_beside_the_html(hub: Hub, team_store) -> None:
    east = team_store["teams"]["east"]
    maria, _ = hub.login("maria")
    index = wait_for_reports(hub, maria, ["east"])
    assert "class='team-pdf'" in index
    pdf = maria.get(f"{hub.url}{REPORTS}teams/east/{east[0]}.pdf", timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    wes, _ = hub.login("wes")  # a seller of the other team: refused, as for the HTML
    assert wes.get(f"{hub.url}{REPORTS}teams/east/{east[0]}.pdf").status_code == 403


def test_deal_reports_link_to_the_deal_in_the_readers_app(hub: Hub, team_store) -> None:
    deal = team_store["teams"]["east"][0]
    maria, _ = hub.login("maria")
    wait_for_reports(hub, maria, ["east"])
    page = maria.get(f"{hub.url}{REPORTS}teams/east/{deal}.html", timeout=60).text
    link = re.search(r'<a href="([^"]+)">Open this deal in the app</a>', page)
    assert link and link.group(1) == f"/hub/user-redirect/?deal_id={deal}"
    # the hub sends each reader on to their own server, the deal picked
    answer = maria.get(hub.url + link.group(1).lstrip("/"), allow_redirects=False, timeout=60)
    assert answer.status_code == 302
    # (to her server, or to its start first when it is not running, then on to it)
    assert unquote(answer.headers["Location"]).endswith(f"/user/maria/?deal_id={deal}")


def test_a_manager_renders_a_team_now_once_in_a_while(hub: Hub, team_store) -> None:
    maria, _ = hub.login("maria")
    index = wait_for_reports(hub, maria, ["east"])
    before = rendered(hub, maria, "east")
    url = f"{hub.url}{REPORTS}teams/east/render"
    assert maria.post(url, allow_redirects=False, timeout=60).status_code == 403  # no xsrf
    token = xsrf(index)
    asked = maria.post(url, data={"_xsrf": token}, allow_redirects=False, timeout=60)
    assert asked.status_code == 303, asked.text[:300]
    # while it renders (seconds: a process and a kernel start) the index reloads itself
    assert "http-equiv='refresh'" in maria.get(hub.url + REPORTS, timeout=60).text
    again = maria.post(url, data={"_xsrf": token}, allow_redirects=False, timeout=60)
    assert again.status_code == 429 and "Not now" in again.text
    wes, _ = hub.login("wes")
    wes_index = wes.get(hub.url + REPORTS, timeout=60).text
    refused = wes.post(url, data={"_xsrf": xsrf(wes_index) if "_xsrf" in wes_index else ""},
                       allow_redirects=False, timeout=60)
    assert refused.status_code == 403
    deadline = time.monotonic() + 300
    while rendered(hub, maria, "east") == before or "rendering now" in maria.get(
            hub.url + REPORTS, timeout=60).text:
        assert time.monotonic() < deadline
        time.sleep(2)
    assert "http-equiv" not in maria.get(hub.url + REPORTS, timeout=60).text  # done: stays
    late = maria.post(url, data={"_xsrf": token}, allow_redirects=False, timeout=60)
    assert late.status_code == 429 and "ask again in" in late.text


def test_the_index_marks_answers_and_actions_done(hub: Hub, team_store) -> None:
    deal = team_store["teams"]["east"][1]
    with Store(str(team_store["url"])) as store:
        version = store.get(deal).version
        review = store.add_review(deal, version=version, by="maria",
                                  actions=[Action(text="Call the CFO"),
                                           Action(text="Map the buying group")])
        at = review.at + dt.timedelta(minutes=5)
        store.add_review_event(deal, review.number, ReviewEvent(
            at=at, by="ana", kind="answer", text="The CFO wants the business case first"))
        store.add_review_event(deal, review.number, ReviewEvent(
            at=at, by="ana", kind="done", action=1))
    maria, _ = hub.login("maria")
    page = wait_for_reports(hub, maria, ["east"])
    item = page[page.index(f"<li data-deal='{deal}'>"):]
    item = item[:item.index("</li>")]
    assert f"href='/{REPORTS}teams/east/{deal}.html'" in item
    assert "<span class='answered'>answered</span> by ana" in item
    assert "<span class='action-done'>action done</span> (1 of 2)" in item


@pytest.mark.browser
def test_a_seller_sees_a_new_review_in_the_deal_list(browser, hub: Hub,
                                                     team_store) -> None:
    from coachkit.app.picker import NEW_REVIEW
    from support.hubserver import signed_in_page

    east = team_store["teams"]["east"]
    customers = team_store["customers"]
    with Store(str(team_store["url"])) as store:
        store.add_review(east[0], version=store.get(east[0]).version, by="maria",
                         actions=[Action(text="Meet the CFO")])
    context, page = signed_in_page(browser, hub, "ana")
    try:
        labels = [label.replace("\xa0", " ") for label in page.eval_on_selector_all(
            ".ck-deal-list option", "els => els.map(e => e.textContent)")]
        marked = [label.split(" · ")[0] for label in labels if NEW_REVIEW in label]
        assert marked == [customers[east[0]]]
    finally:
        context.close()
