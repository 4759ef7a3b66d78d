"""Training scenarios: a brief, learning goals, a starting workbook and the trainer's answer.

Each scenario is a folder ``coachkit/scenarios/<id>/`` in the package:

- ``scenario.toml``: ``id``, ``title``, ``summary``, ``learning_goals`` and ``focus`` (the
  fields of the reference answer that matter most for this scenario);
- ``brief.md``: what participants read, the situation as the seller knows it;
- ``start.coachkit.json``: the workbook every participant begins from;
- ``reference.coachkit.json``: the trainer's complete answer (never shown to participants).

Dates in the workbooks are written for :data:`coachkit.training.demo.ANCHOR` and moved like the demo
deals', so a scenario never looks stale. :func:`compare_with_reference` says how much of the
reference a participant's workbook found: the cohort report puts that side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from coachkit import clock
from coachkit.errors import CoachkitError
from coachkit.model import Deal

if TYPE_CHECKING:
    from coachkit.coaching.settings import Settings
from coachkit.model.files import SUFFIX, validate_document
from coachkit.model.ids import slug
from coachkit.training.demo import ANCHOR, shift_dates

FOLDER = "scenarios"
"""The package folder holding one sub-folder per scenario."""

MAX_SCENARIO_ID = 36
"""A participant's deal id is ``<participant slug (<=40)>--<scenario id>``: at most 80 chars."""

START_FILE = f"start{SUFFIX}"
REFERENCE_FILE = f"reference{SUFFIX}"


def participant_key(participant: str) -> str:
    """A participant's name, file- and id-safe: ``"Anna Schmidt"`` -> ``"anna-schmidt"``.

    A name with no letters or digits left in ASCII (``"李雷"``) becomes a stable hash, so two
    such names never collide by both becoming empty.
    """
    return slug(participant, 40, fallback="p-")


def participant_deal_id(participant: str, scenario_id: str) -> str:
    """The deal id of a participant's workbook: the same for every start, download and collect
    of one participant and scenario, so nothing is duplicated."""
    return f"{participant_key(participant)}--{scenario_id}"


def download_name(participant: str, scenario_id: str) -> str:
    """``"<participant>__<scenario>.coachkit.json"``, safe as a file name on any system.

    ``coachkit collect`` reads the participant back from this name when the file lacks one.
    Slugs never contain ``__``, so the name splits unambiguously.
    """
    return f"{participant_key(participant)}__{slug(scenario_id, 80) or 'scenario'}{SUFFIX}"


@dataclass(frozen=True)
class Scenario:
    """One training scenario, as shipped in the package."""

    id: str
    title: str
    brief: str
    """Markdown: the situation as the seller knows it, what they heard, the numbers."""
    learning_goals: tuple[str, ...]
    summary: str = ""
    focus: tuple[str, ...] = ()
    """Fields of the reference answer that matter most (``problem.glossary``, ``stakeholders``)."""

    def _document(self, name: str, today: dt.date | None) -> dict[str, Any]:
        text = _folder().joinpath(self.id, name).read_text("utf-8")
        days = ((today or clock.today()) - ANCHOR).days
        return shift_dates(json.loads(text), days)

    def start(self, participant: str, cohort: str = "", today: dt.date | None = None) -> Deal:
        """A fresh workbook for ``participant``, with its own stable deal id.

        The participant plays the seller: their name goes in ``deal.seller`` and in
        ``training.participant``; ``training.scenario`` and ``training.cohort`` are set too.
        """
        name = " ".join(participant.split())
        if not name:
            raise CoachkitError("a participant's name is needed to start a scenario")
        doc = self._document(START_FILE, today)
        doc["deal"]["id"] = participant_deal_id(name, self.id)
        doc["deal"]["seller"] = name
        doc["training"] = {"scenario": self.id, "participant": name, "cohort": cohort.strip()}
        return validate_document(doc, f"scenario {self.id}: participant {name!r}")

    def reference(self, today: dt.date | None = None) -> Deal:
        """The trainer's answer: complete and exemplary. Never show it to participants."""
        return validate_document(self._document(REFERENCE_FILE, today),
                                 f"scenario {self.id}: {REFERENCE_FILE}")


def _folder() -> Any:
    return resources.files("coachkit.training").joinpath(FOLDER)


def scenario_ids() -> list[str]:
    """The ids of the scenarios in the package, sorted."""
    return sorted(p.name for p in _folder().iterdir()
                  if p.is_dir() and p.joinpath("scenario.toml").is_file())


def _text_list(meta: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = meta.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CoachkitError(f"{where}: '{key}' must be a list of text")
    return tuple(v.strip() for v in value)


@lru_cache(maxsize=32)
def load_scenario(scenario_id: str) -> Scenario:
    """One scenario by id; a CoachkitError naming the known ones when there is no such id."""
    known = scenario_ids()
    if scenario_id not in known:
        raise CoachkitError(f"no scenario '{scenario_id}' (known: {', '.join(known)})")
    folder = _folder().joinpath(scenario_id)
    where = f"scenario {scenario_id}"
    try:
        meta = tomllib.loads(folder.joinpath("scenario.toml").read_text("utf-8"))
        brief = folder.joinpath("brief.md").read_text("utf-8")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CoachkitError(f"{where}: cannot read it ({exc})") from None
    if meta.get("id") != scenario_id or len(scenario_id) > MAX_SCENARIO_ID \
            or slug(scenario_id, 80) != scenario_id:
        raise CoachkitError(f"{where}: scenario.toml must say id = \"{scenario_id}\", a slug of "
                            f"at most {MAX_SCENARIO_ID} characters")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise CoachkitError(f"{where}: scenario.toml has no title")
    return Scenario(
        id=scenario_id,
        title=title.strip(),
        brief=brief,
        learning_goals=_text_list(meta, "learning_goals", where),
        summary=str(meta.get("summary", "")).strip(),
        focus=_text_list(meta, "focus", where),
    )


def scenarios() -> list[Scenario]:
    """Every scenario in the package, sorted by id."""
    return [load_scenario(i) for i in scenario_ids()]


# -- comparing a participant's workbook with the reference ---------------------------------------

_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"})


def _tokens(name: str) -> tuple[str, ...]:
    """Case, accents, punctuation and titles left out: ``"Dr. Jörg  Müller-Lüdenscheidt"``
    -> ``("jorg", "muller", "ludenscheidt")``."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = re.findall(r"[^\W_]+", text)
    while len(words) > 1 and words[0] in _HONORIFICS:
        words = words[1:]
    return tuple(words)


def _name_score(theirs: tuple[str, ...], ref: tuple[str, ...]) -> int:
    """How well a participant's name for someone matches a reference name: 3 exact, 2 first
    and last name (middle names or an initial aside), 1 first name or surname alone."""
    if not theirs or not ref:
        return 0
    if theirs == ref:
        return 3
    if len(ref) == 1:
        return 0
    first, surname = ref[0], ref[1:]
    if len(theirs) >= 2 and theirs[-1] == ref[-1] and (
        theirs[0] == first or (len(theirs[0]) == 1 and first.startswith(theirs[0]))
    ):
        return 2
    if len(theirs) >= 2 and len(theirs[0]) == 1 and theirs[1:] == surname \
            and first.startswith(theirs[0]):
        return 2
    if theirs in ((first,), surname, (ref[-1],)):
        return 1
    return 0


def match_names(theirs: Iterable[str], reference: Iterable[str]) -> dict[str, str]:
    """Map a participant's names to reference names, each used at most once.

    A name matches case- and whitespace-insensitively, or by first name or surname alone
    ("Douglas", "Reid", "D. Reid" all find "Douglas Reid"), but only when that points to one
    reference person; better matches are assigned first.
    """
    refs = [(r, _tokens(r)) for r in dict.fromkeys(reference)]
    candidates: list[tuple[int, int, str, str]] = []
    for order, name in enumerate(dict.fromkeys(theirs)):
        tokens = _tokens(name)
        scored = [(_name_score(tokens, rt), r) for r, rt in refs]
        best = max((s for s, _ in scored), default=0)
        winners = [r for s, r in scored if s == best]
        if best and len(winners) == 1:
            candidates.append((-best, order, name, winners[0]))
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for _, _, name, ref in sorted(candidates):
        if ref not in taken:
            mapping[name] = ref
            taken.add(ref)
    return mapping


_ARTICLES = frozenset({"the", "a", "an", "our", "their"})


def _term_variants(text: str) -> frozenset[str]:
    """The ways a glossary term may be written: ``"break (sheet break)"`` gives "break" and
    "sheet break"; ``"the Yankee"`` gives "yankee"; plurals count as singulars."""
    parts = [text, re.sub(r"\([^)]*\)", " ", text), *re.findall(r"\(([^)]*)\)", text)]
    out: set[str] = set()
    for part in parts:
        for piece in re.split(r"[/,;]", part):
            words = list(_tokens(piece))
            while len(words) > 1 and words[0] in _ARTICLES:
                words = words[1:]
            if words and len(words[-1]) > 3 and words[-1].endswith("s") \
                    and not words[-1].endswith("ss"):
                words[-1] = words[-1][:-1]
            if words:
                out.add(" ".join(words))
    return frozenset(out)


@dataclass(frozen=True)
class ReferenceComparison:
    """How much of the trainer's reference a participant's workbook found."""

    deal_id: str
    scenario: str
    stakeholders_found: tuple[str, ...]
    """Reference stakeholders the participant mapped (reference spelling)."""
    stakeholders_missed: tuple[str, ...]
    stakeholders_extra: tuple[str, ...]
    """The participant's stakeholders who match nobody in the reference."""
    disagreements_found: tuple[tuple[str, ...], ...]
    """Reference disagreements (their ``between``) whose people the participant paired too."""
    disagreements_missed: tuple[tuple[str, ...], ...]
    glossary_found: tuple[str, ...]
    """Reference glossary terms (the customer's) that the participant's glossary has too."""
    glossary_missed: tuple[str, ...]
    has_metric: bool
    """A metric with both a baseline and a target."""
    has_cost_of_inaction: bool
    has_do_nothing: bool
    has_why_now: bool
    problem_as_product: bool
    """The participant's problem statement reads as product talk (the coaching rule's check)."""

    @property
    def stakeholders_total(self) -> int:
        return len(self.stakeholders_found) + len(self.stakeholders_missed)

    @property
    def disagreements_total(self) -> int:
        return len(self.disagreements_found) + len(self.disagreements_missed)

    @property
    def glossary_total(self) -> int:
        return len(self.glossary_found) + len(self.glossary_missed)


def compare_with_reference(
    deal: Deal, reference: Deal, settings: Settings | None = None,
) -> ReferenceComparison:
    """Which of the reference's people, disagreements and glossary terms ``deal`` found, and
    whether it has the basics (a measurable metric, a cost of inaction, "do nothing", why now).

    A reference disagreement counts as found when one of the participant's disagreements
    names the same people (a pair matches a pair; for a larger group, any two of its members
    with nobody from outside it). What they wrote it is *about* is not judged here.
    ``settings`` (default: the coaching settings) give the "do nothing" phrases and the
    product-language check.
    """
    from coachkit.coaching.language import ProductLanguage, check
    from coachkit.coaching.rulebook import do_nothing_phrases
    from coachkit.coaching.settings import load_settings

    settings = settings if settings is not None else load_settings()
    ref_names = [s.name for s in reference.stakeholders]
    mapping = match_names([s.name for s in deal.stakeholders], ref_names)
    found_people = set(mapping.values())

    theirs = [frozenset(mapping[n] for n in d.between if n in mapping)
              for d in deal.disagreements]
    found_dis: list[tuple[str, ...]] = []
    missed_dis: list[tuple[str, ...]] = []
    for d in reference.disagreements:
        people = frozenset(d.between)
        need = 2 if len(people) > 2 else len(people)
        hit = any(len(t & people) >= need and t <= people for t in theirs)
        (found_dis if hit else missed_dis).append(tuple(d.between))

    their_terms: set[str] = set()
    for g in deal.problem.glossary:
        their_terms |= _term_variants(g.customer_term)
    ref_terms = [g.customer_term for g in reference.problem.glossary
                 if _term_variants(g.customer_term)]
    statement = deal.problem.statement
    return ReferenceComparison(
        deal_id=deal.id,
        scenario=reference.training.scenario or deal.training.scenario,
        stakeholders_found=tuple(n for n in ref_names if n in found_people),
        stakeholders_missed=tuple(n for n in ref_names if n not in found_people),
        stakeholders_extra=tuple(s.name for s in deal.stakeholders if s.name not in mapping),
        disagreements_found=tuple(found_dis),
        disagreements_missed=tuple(missed_dis),
        glossary_found=tuple(t for t in ref_terms if _term_variants(t) & their_terms),
        glossary_missed=tuple(t for t in ref_terms if not _term_variants(t) & their_terms),
        has_metric=deal.problem.has_measurable_metric,
        has_cost_of_inaction=deal.problem.cost_of_inaction.known,
        has_do_nothing=deal.problem.mentions_do_nothing(do_nothing_phrases(settings)),
        has_why_now=bool(deal.problem.why_now.strip()),
        problem_as_product=bool(statement.strip()) and check(
            statement, ProductLanguage.from_settings(settings)).is_product,
    )
