"""The manager's review in the app, on the Review step.

The seller sees the latest review (who, when, the note, the dismissed findings with their
reasons, the actions) and answers it: ticks an action done (or open again), writes an answer
to the note. Whoever may review (locally anyone; on a team server a manager of the deal's
team, :attr:`WorkbookSession.can_review`) records a review from here too: a note, findings
to dismiss with a reason, actions with optional due dates. Everything is appended to the
store; nothing is ever overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import ipywidgets as w

from coachkit import clock
from coachkit.app.fields import css_class, hint
from coachkit.app.session import WorkbookSession
from coachkit.coaching.dismissals import dismissal_of
from coachkit.errors import CoachkitError
from coachkit.html import Markup, html, join
from coachkit.model.review import Action, Review, ReviewEvent

ACTION_LINE = re.compile(r"^(?P<text>.*?)\s*(?:@(?P<due>\d{4}-\d{2}-\d{2}))?\s*$")


class ReviewPanel:
    """The latest review with its actions and answers, and a form to record a review."""

    def __init__(self, session: WorkbookSession):
        self.session = session
        self.latest = css_class(w.HTML(), "ck-latest-review")
        self.actions = css_class(w.VBox(), "ck-review-actions")
        self.answer = css_class(w.Textarea(placeholder="Answer the review: what you did, "
                                           "what you found out, where you disagree",
                                           rows=2, layout=w.Layout(width="100%")),
                                "ck-review-answer")
        self.about = css_class(w.Dropdown(options=[("the note", "note")], value="note",
                                          description="About", layout=w.Layout(width="auto")),
                               "ck-review-about")
        self.send = css_class(w.Button(description="Send the answer"), "ck-review-send")
        self.message = css_class(w.HTML(), "ck-field-error")
        self.answer_box = w.VBox([self.answer, w.HBox([self.about, self.send])])
        self.form = ReviewForm(session, self._recorded)
        self.record = css_class(w.Accordion(children=[self.form.widget],
                                            titles=("Record a review",),
                                            selected_index=None), "ck-record-review")
        self.send.on_click(lambda _: self._answer())
        self.widget = css_class(w.VBox([self.latest, self.actions, self.answer_box,
                                        self.message, self.record]), "ck-review-panel")
        self._shown: tuple[Any, ...] = ()

    def refresh(self) -> None:
        """Show the latest review (only what changed is sent to the page)."""
        deal = self.session.deal
        reviews = self.session.reviews
        latest = reviews[-1] if reviews else None
        key = (deal.id if deal else "", latest.model_dump_json() if latest else "",
               self.session.can_review, self.session.base_version)
        self.record.layout.display = None if self.session.can_review else "none"
        self.form.refresh()
        if key == self._shown:
            return
        self._shown = key
        self.answer_box.layout.display = None if latest else "none"
        if latest is None:
            self.latest.value = ("<div class='ck-ok'>No review of this deal yet.</div>")
            self.actions.children = []
            return
        self.latest.value = self._marks(latest) + review_html(latest)
        self.about.options = [("the note", "note")] + [
            (f"dismissed: {d.rule}", f"dismissal:{d.rule}") for d in latest.dismissed]
        self.about.value = "note"
        boxes = []
        for i, action in enumerate(latest.action_states()):
            due = f" (due {action.due.isoformat()})" if action.due else ""
            done = (f" — done {action.done_at:%Y-%m-%d} by {action.done_by}"
                    if action.done and action.done_at else "")
            box = css_class(w.Checkbox(value=action.done, description=f"{action.text}{due}"
                                       f"{done}", indent=False,
                                       layout=w.Layout(width="100%")), "ck-review-action")
            box.observe(lambda change, i=i: self._tick(latest, i, change["new"]),
                        names="value")
            boxes.append(box)
        self.actions.children = boxes

    def _marks(self, latest: Review) -> Markup:
        """"● new review" when the seller has not acted on it; for whoever may read the
        team's reports on the team server, the link to the deal's latest report."""
        from coachkit.app.picker import NEW_REVIEW, report_url
        from coachkit.store.scoped import ScopedStore

        deal, store = self.session.deal, self.session.store
        marks = []
        if deal and latest.is_new(self.session.base_version or 0):
            marks.append(html("<div class='ck-new-review'><b>{}</b></div>", NEW_REVIEW))
        if deal and isinstance(store, ScopedStore) and store.access.may_read_reports(
                deal.deal.team):
            marks.append(html("<div class='ck-report-link'><a href='{}' target='_blank'>"
                              "Latest report of this deal</a></div>",
                              report_url(deal.deal.team, deal.id)))
        return join(marks)

    def _tick(self, review: Review, index: int, done: bool) -> None:
        self._append(review, ReviewEvent(at=clock.now(), by=self.session.author,
                                         kind="done" if done else "reopened", action=index))

    def _answer(self) -> None:
        reviews = self.session.reviews
        if not reviews:
            return
        text = self.answer.value.strip()
        if not text:
            self.message.value = "<span>Write the answer first.</span>"
            return
        self._append(reviews[-1], ReviewEvent(at=clock.now(), by=self.session.author,
                                              kind="answer", about=self.about.value,
                                              text=text))
        self.answer.value = ""

    def _append(self, review: Review, event: ReviewEvent) -> None:
        deal = self.session.deal
        if deal is None:
            return
        self.message.value = ""
        try:
            self.session.store.add_review_event(deal.id, review.number, event)
        except CoachkitError as exc:
            self.message.value = html("<span>{}</span>", exc)
            return
        self.session.reviews_changed()

    def _recorded(self) -> None:
        self.session.reviews_changed()


class ReviewForm:
    """Record a review: a note, findings dismissed with a reason, actions."""

    def __init__(self, session: WorkbookSession, recorded: Any):
        self.session = session
        self.recorded = recorded
        self.note = css_class(w.Textarea(placeholder="What you want the seller to think about",
                                         rows=3, layout=w.Layout(width="100%")),
                              "ck-review-note")
        self.dismissals = css_class(w.VBox(), "ck-review-dismissals")
        self.action_lines = css_class(w.Textarea(
            placeholder="One action a line; a due date after @, e.g.\n"
                        "Call the CFO about the budget @2026-12-01",
            rows=3, layout=w.Layout(width="100%")), "ck-review-new-actions")
        self.save = css_class(w.Button(description="Record the review", button_style="primary"),
                              "ck-review-record")
        self.message = css_class(w.HTML(), "ck-field-error")
        self.save.on_click(lambda _: self._record())
        self.widget = w.VBox([
            hint("Your review goes to the seller with the deal as it is now."),
            self.note, css_class(w.HTML("<b>Findings that do not apply</b>"), "ck-label"),
            self.dismissals, css_class(w.HTML("<b>Actions for the seller</b>"), "ck-label"),
            self.action_lines, self.save, self.message])
        self._rows: list[tuple[Any, w.Checkbox, w.Text]] = []
        self._for = ""

    def refresh(self) -> None:
        """One row per finding that stands now: tick it and say why it does not apply."""
        coaching = self.session.coaching
        if coaching is None:
            return
        key = "|".join(f"{f.rule}:{f.field}" for f in coaching.standing)
        if key == self._for:
            return
        self._for = key
        self._rows = []
        for f in coaching.standing:
            box = w.Checkbox(value=False, description=f"{f.rule}: {f.message}", indent=False,
                             layout=w.Layout(width="100%"))
            reason = w.Text(placeholder="Why it does not apply", layout=w.Layout(width="100%"))
            self._rows.append((f, box, reason))
        self.dismissals.children = [w.VBox([box, reason]) for _, box, reason in self._rows] or [
            w.HTML("<em>No finding stands: nothing to dismiss.</em>")]

    def _record(self) -> None:
        session, deal = self.session, self.session.deal
        if deal is None or session.base_version is None:
            return
        self.message.value = ""
        try:
            session.flush()  # the review is of the deal as it is on the page
            dismissed = []
            for finding, box, reason in self._rows:
                if box.value:
                    if not reason.value.strip():
                        raise CoachkitError(f"say why '{finding.rule}' does not apply")
                    dismissed.append(dismissal_of(deal, finding, reason.value.strip()))
            actions = []
            for line in self.action_lines.value.splitlines():
                match = ACTION_LINE.match(line)
                if match and match["text"].strip():
                    due = dt.date.fromisoformat(match["due"]) if match["due"] else None
                    actions.append(Action(text=match["text"], due=due))
            if not (self.note.value.strip() or dismissed or actions):
                raise CoachkitError("a review needs a note, a dismissal or an action")
            version = session.store.latest_version(deal.id) or session.base_version
            session.store.add_review(deal.id, version=version, by=session.author,
                                     note=self.note.value.strip(), dismissed=dismissed,
                                     actions=actions)
        except CoachkitError as exc:
            self.message.value = html("<span>{}</span>", exc)
            return
        except ValueError as exc:
            self.message.value = html("<span>{}</span>", str(exc).splitlines()[0])
            return
        self.note.value = self.action_lines.value = ""
        self._for = ""
        self.recorded()


def review_html(review: Review) -> Markup:
    """The latest review as the seller reads it (everything escaped)."""
    parts = [html("<div class='ck-review-head'><b>Review {}</b> by {}, {:%Y-%m-%d %H:%M} UTC, "
                  "of version {}</div>", review.number, review.by, review.at, review.version)]
    if review.note.strip():
        parts.append(html("<blockquote class='ck-review-note-text'>{}</blockquote>",
                          review.note))
    if review.dismissed:
        items = join(html("<li><code>{}</code> {}: {}</li>", d.rule, d.field, d.reason)
                     for d in review.dismissed)
        parts.append(html("<div><b>Dismissed</b> (no longer counted while the field stays as "
                          "it was)<ul>{}</ul></div>", items))
    answers = review.answers()
    if answers:
        items = join(html("<li><b>{}</b> ({:%Y-%m-%d}{}): {}</li>", a.by, a.at,
                          ", on " + a.about if a.about != "note" else "", a.text)
                     for a in answers)
        parts.append(html("<div><b>Answers</b><ul>{}</ul></div>", items))
    if review.actions:
        parts.append(Markup("<div><b>Actions</b> (tick when done)</div>"))
    return join(parts)
