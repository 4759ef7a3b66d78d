"""The deal report opens on the review: the verdict, what needs the manager, what changed
since the last review in people's words, the three questions; in the HTML's first section
and on the PDF's first page (papermill, nbconvert, WeasyPrint, pdftotext, pdftoppm)."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
from pathlib import Path

import pytest

from coachkit.model import Deal
from coachkit.model.review import Action, ReviewEvent
from coachkit.reports.changes import change_words, field_words
from coachkit.reports.deal import FRONT_QUESTIONS, DealReport
from coachkit.store import Store
from support.helpers import TODAY

DEAL = "fjordbank-onboarding"
OVERDUE = "Send Thomas the data residency answer"
LATER = "Book the pilot review"
ANSWER = "Thomas agreed to meet on Thursday with Ingrid"
MILESTONE = "Pilot on two depots"


def visible(markup: str) -> str:
    """The text a person reads: tags out, entities decoded, spaces folded."""
    markup = re.sub(r"<(style|script)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def reviewed_store(tmp_path: Path, cli) -> str:
    """The demo, a second review of fjordbank (one action overdue, one open, an answer),
    then a save that adds a milestone and rewrites why now."""
    store = str(tmp_path / "s.db")
    assert cli("demo", "--store", store).code == 0
    with Store(store) as s:
        cur = s.get(DEAL)
        review = s.add_review(DEAL, version=cur.version, by="Maria Lund (manager)",
                              actions=[Action(text=LATER, due=TODAY + dt.timedelta(days=5)),
                                       Action(text=OVERDUE, due=TODAY - dt.timedelta(days=2))])
        s.add_review_event(DEAL, review.number, ReviewEvent(
            at=review.at + dt.timedelta(hours=1), by="Ola Nordmann", kind="answer",
            text=ANSWER))
        doc = cur.deal.to_json_dict()
        doc["plan"].append({"milestone": MILESTONE,
                            "date": (TODAY + dt.timedelta(days=20)).isoformat()})
        doc["problem"]["why_now"] = "The regulator's deadline is in March."
        s.save(Deal.model_validate(doc), base_version=cur.version, author="seller")
    return store


def test_change_words_name_fields_as_people_do(demo: dict[str, Deal]) -> None:
    before = demo[DEAL].to_json_dict()
    after = demo[DEAL].to_json_dict()
    after["plan"].append({"milestone": MILESTONE})
    after["problem"]["why_now"] = ""
    after["confidence"]["customer"]["organisation_impact"] = 5
    n = len(before["plan"])
    assert change_words(f"plan[{n}] (added)", before, after) == f"added milestone ‘{MILESTONE}’"
    assert change_words("problem.why_now", before, after).startswith("Why now: cleared (was ‘")
    assert change_words("confidence.customer.organisation_impact", before, after).startswith(
        "The customer's confidence › what it means for the organisation: ‘")
    removed = change_words("stakeholders[1] (removed)", before,
                           {**after, "stakeholders": after["stakeholders"][:1]})
    assert removed == f"removed stakeholder ‘{before['stakeholders'][1]['name']}’"
    assert field_words("risks[0].owner", before) == (
        f"Risk ‘{before['risks'][0]['description'][:39]}…’ › Owner"
        if len(before["risks"][0]["description"]) > 40
        else f"Risk ‘{before['risks'][0]['description']}’ › Owner")


def test_the_first_section_is_the_review(tmp_path: Path, cli) -> None:
    report = DealReport.load(reviewed_store(tmp_path, cli), DEAL)
    front = report.verdict()
    text = visible(front)
    assert text.startswith(f"Verdict: {report.coaching.verdict.label}")
    needs = text[text.index("What needs you"):text.index("What changed since the last review")]
    # the overdue action first, then the open ones by due date, then the seller's answer
    assert needs.index(OVERDUE) < needs.index(LATER) < needs.index(ANSWER)
    assert f"overdue since {(TODAY - dt.timedelta(days=2)).isoformat()} {OVERDUE}" in needs
    changed = text[text.index("What changed since the last review"):
                   text.index("questions to ask")]
    assert f"added milestone ‘{MILESTONE}’" in changed
    assert "Why now: ‘" in changed and "The regulator's deadline is in March." in changed
    assert "plan[" not in text and "problem." not in text
    assert front.count("<li>", front.index('class="questions"')) >= FRONT_QUESTIONS
    asked = re.findall(r"<li>(.*?)</li>", front[front.index('class="questions"'):])
    assert [html.unescape(q) for q in asked[:FRONT_QUESTIONS]] == [
        q.text for q in report.coaching.questions[:FRONT_QUESTIONS]]
    # the header no longer looks all green when an action is overdue
    assert "1 overdue action" in visible(report.header())


@pytest.mark.slow
def test_the_pdf_first_page_says_the_same(tmp_path: Path, cli) -> None:
    store = reviewed_store(tmp_path, cli)
    out = tmp_path / "out"
    done = cli("report", DEAL, "--store", store, "--out", str(out), "--format", "both")
    assert done.code == 0, done.err
    page = (out / f"{DEAL}.html").read_text(encoding="utf-8")
    sections = re.findall(r'<section class="ck-section ck-(\w+)"', page)
    assert sections[0] == "verdict" and sections[1] == "story"
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1",
                            str(out / f"{DEAL}.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    flat = " ".join(first.split())
    for said in ("Verdict:", "What needs you", "overdue since", OVERDUE, ANSWER,
                 "What changed since the last review", f"added milestone ‘{MILESTONE}’",
                 f"The {FRONT_QUESTIONS} questions to ask"):
        assert said in flat, said
    report = DealReport.load(store, DEAL)
    for q in report.coaching.questions[:FRONT_QUESTIONS]:
        assert " ".join(q.text.split()) in flat, q.text
    png = tmp_path / "first"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",
                    str(out / f"{DEAL}.pdf"), str(png)], check=True)
    assert list(tmp_path.glob("first*.png"))
