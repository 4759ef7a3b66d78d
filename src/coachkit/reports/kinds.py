"""Every report kind, declared once: the one list to add to for a new kind of report.

A kind is a notebook in ``templates/`` (thin: a ``parameters`` cell, then its content module's
sections), a content module in this package, and one :class:`Kind` in :data:`KINDS` saying
what the engine (:mod:`coachkit.engine`) and ``coachkit report`` need to know of it: the
notebook and its parameters, the file it makes, its title, what its kernel preloads and how
the command selects it. Nothing else in the tree names a kind's notebook or file stem.

This module stays light (no pydantic, pandas or nbconvert): every command imports it. The
engine's jobs look their kind up here by name (a job pickles as a name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coachkit.clock import When
    from coachkit.store import Store

MANAGER = "manager"
"""The audience of the deal review's reports (``coachkit report --for manager``, the default)."""
DATES = ("since", "today")
"""The command's options for the manager's view of time; ``as_of`` and ``settings`` are for
every kind."""


def team_slug(team: str) -> str:
    """A team name as a file name part: ``"EMEA / Industry"`` -> ``EMEA-Industry``."""
    from coachkit.model.ids import slug  # late: the command's start stays light

    if not team:
        return "all"
    return slug(team, 60, lower=False, fallback="team-")


def whose_change(subject: str, about: Any) -> str:
    """``Customer · deal title`` of a deal (its header, or a store's summary of it), or the
    deal id when neither is known."""
    words = [getattr(about, name, "") for name in ("customer", "title")]
    return " · ".join(v for v in words if v.strip()) or subject


@dataclass(frozen=True)
class Kind:
    """One kind of report. ``subject`` is the notebook parameter naming what the report is
    of (``deal_id``, ``team``, ``cohort``); its value is a job's subject."""

    name: str
    notebook: str
    """The template in ``templates/``."""
    content: str
    """The module the notebook calls: a kernel for this kind imports it while it starts."""
    subject: str
    parameters: tuple[str, ...]
    """The notebook's other parameters the command fills (``store`` is always given)."""
    stem: str
    """The files' name without suffix: ``{subject}``, or ``{slug}`` (a team name made safe)."""
    title: str
    """The page's title, from ``{heading}``."""
    heading: Callable[[str, Any], str]
    """What the report is of, in words: from its subject, and what the store says of it
    (a deal's header or summary; None when it says nothing, or for a team or a cohort)."""
    label: Callable[[str], str]
    """How a line of the command's output names one report (its failures, say)."""
    what: str
    """What the command makes of it, for its help and its errors."""
    called: str
    """What a person calls it: ``the deal report``."""
    option: str
    """How ``coachkit report`` selects it: an option (``--team``), or the positional
    argument's name (``deal``), which kinds of different audiences may share."""
    metavar: str = ""
    footer: str = "{heading}"
    """The line under the page, from ``{heading}`` and ``{subject}``."""
    audience: str = MANAGER
    """Who reads it (``--for``); a report not for the manager takes only its own parameters."""
    every: str = ""
    """An option for every subject at once (``--all``: every deal, no team named)."""
    every_help: str = ""
    each: str = ""
    """A batch: the kind rendered first for each deal of the subject, this one last."""
    links: bool = False
    """The notebook links the reports of ``each`` that were written (``link_format`` and
    ``linked`` parameters)."""
    attachments: tuple[tuple[str, str], ...] = ()
    """Files written next to the page: (suffix, the notebook output's mimetype)."""
    find: Callable[[Store, str, When | None], Any] | None = None
    """What the command checks and reads of one subject before rendering it (raising the
    one-line error when it is not there); None for a batch."""

    def stem_of(self, subject: str) -> str:
        return self.stem.format(subject=subject, slug=team_slug(subject))

    def title_of(self, heading: str) -> str:
        return self.title.format(heading=heading)

    def footer_of(self, subject: str, heading: str) -> str:
        return self.footer.format(subject=subject, heading=heading)

    @property
    def flag(self) -> str:
        """The option as a person types it: ``--team``, or ``DEAL_ID``."""
        return self.option if self.option.startswith("-") else self.metavar

    @property
    def dest(self) -> str:
        return self.option.lstrip("-")


def _a_deal(store: Store, deal_id: str, as_of: When | None) -> Any:
    """The deal's header as saved by ``as_of`` (not there: NotFound, one line); None when it
    cannot be read (the report then says why)."""
    found = store.get(deal_id, as_of=as_of)
    try:
        return found.deal.deal
    except ValueError:
        return None


NO_WORKBOOKS = "no workbooks in cohort '{}' (coachkit collect PATH --cohort NAME imports them)"


def _a_cohort(store: Store, cohort: str, as_of: When | None) -> None:
    from coachkit.errors import CoachkitError

    if not store.list_deals(cohort=cohort):
        raise CoachkitError(NO_WORKBOOKS.format(cohort))


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind(
        name="deal", notebook="deal_report.ipynb", content="coachkit.reports.deal",
        subject="deal_id", parameters=("as_of", "since", "today", "settings"),
        stem="{subject}", title="{heading} · coachkit deal report", footer="deal {subject}",
        heading=lambda deal_id, about: getattr(about, "customer", "") or deal_id,
        label=lambda deal_id: deal_id,
        what="one deal's report", called="the deal report", option="deal", metavar="DEAL_ID",
        find=_a_deal,
    ),
    Kind(
        name="team", notebook="team_report.ipynb", content="coachkit.reports.team",
        subject="team", parameters=("as_of", "today", "settings"),
        stem="team-{slug}", title="{heading} · coachkit team report",
        heading=lambda team, _: f"Team {team}" if team else "All deals",
        label=lambda team: f"team report ({team or 'all deals'})",
        what="every deal of team T, plus a team report", called="the team report",
        option="--team", metavar="T",
        every="--all", every_help="every deal, plus a team report",
        each="deal", links=True, attachments=(("csv", "text/csv"),),
    ),
    Kind(
        name="cohort", notebook="cohort_report.ipynb", content="coachkit.reports.cohort",
        subject="cohort", parameters=("as_of", "today", "settings"),
        stem="cohort-{slug}", title="{heading} · coachkit cohort report",
        heading=lambda cohort, _: f"Cohort {cohort}",
        label=lambda cohort: f"cohort report ({cohort})",
        what="a training cohort's report", called="the cohort report", option="--cohort",
        metavar="NAME",
        find=_a_cohort,
    ),
    Kind(
        name="customer", notebook="customer_page.ipynb", content="coachkit.reports.customer",
        subject="deal_id", parameters=("as_of", "settings"),
        stem="{subject}-customer", title="{heading} · our shared view of the change",
        heading=whose_change, label=lambda deal_id: f"{deal_id} (the customer's page)",
        what="one deal's page", called="the customer's page", option="deal",
        metavar="DEAL_ID", audience="customer",
        find=_a_deal,
    ),
)}
"""Every kind, by name; the command offers them in this order."""
AUDIENCES = tuple(dict.fromkeys(k.audience for k in KINDS.values()))
"""Whom reports are for (``coachkit report --for``), the manager first."""
