"""Coaching settings: the shipped defaults (``settings.toml``), merged with a team's file, and
validated by the models below.

``settings.toml`` is the one place every default value lives, documented; these models say
what each table may hold (types, ranges) and refuse unknown keys, so a typo in a team's
file is one line naming it. A team file only needs the keys it changes: tables are merged
key by key before validation.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coachkit.coaching.wording import words
from coachkit.errors import CoachkitError
from coachkit.fs import read_regular
from coachkit.model.deal import Score
from coachkit.model.messages import first_problem

ENV_VAR = "COACHKIT_SETTINGS"
MAX_SETTINGS_BYTES = 1_000_000
"""A team's settings file is a page or two of TOML."""


class Table(BaseModel):
    """One table of the settings: typed, no unknown keys, no silent conversions."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TeamSettings(Table):
    product_names: list[str]


class CoachingSettings(Table):
    coach_closed_deals: bool
    max_questions: int = Field(ge=0, le=100)
    min_questions: int = Field(ge=0, le=100)
    priority: list[str]
    """Rule ids, the one whose answer moves a deal most first (see :mod:`.questions`)."""


class WhoseSettings(Table):
    """Phrases that make an item ours, not the customer's (see :mod:`.whose`)."""

    our_words: list[str]
    our_risk_phrases: list[str]
    our_event_phrases: list[str]


class VerdictRule(Table):
    """One verdict: the rules whose findings lead to it and how many it takes."""

    rules: list[str]
    min_critical: int = Field(ge=0)
    min_warning: int = Field(ge=0)


class VerdictSettings(Table):
    """The verdicts checked in order (see :mod:`.verdict`); the first that holds decides."""

    order: list[str]
    decide: dict[str, VerdictRule]
    on_track_max_warnings: int = Field(ge=0)
    shown_findings: int = Field(ge=1, le=10)



class ScoreSettings(Table):
    section_weights: dict[str, float]
    """Overrides of the sections' default weights (see :mod:`coachkit.model.vocabulary`)."""
    stance_points: float = Field(ge=0)
    agreement_points: float = Field(ge=0)
    disagreement_cost: float = Field(ge=0)
    assumed_rating: Score

    @field_validator("section_weights")
    @classmethod
    def _known_sections(cls, weights: dict[str, float]) -> dict[str, float]:
        from coachkit.model.vocabulary import SECTIONS

        known = {s.key for s in SECTIONS}
        for key, weight in weights.items():
            if key not in known:
                raise ValueError(f"'{key}' is not a section (one of: {', '.join(sorted(known))})")
            if weight < 0:
                raise ValueError(f"the weight of '{key}' must be 0 or more")
        return weights


class RiskSettings(Table):
    high_exposure: int = Field(ge=1, le=25)
    medium_exposure: int = Field(ge=1, le=25)
    placeholder_phrases: list[str]
    placeholder_words: list[str]
    """What a mitigation may be made of and still say nothing (see
    :func:`coachkit.coaching.wording.hollow`)."""

    @field_validator("placeholder_phrases")
    @classmethod
    def _phrases_have_words(cls, phrases: list[str]) -> list[str]:
        for phrase in phrases:
            if not words(phrase):
                raise ValueError(f"{phrase!r} has no word in it")
        return phrases

    @field_validator("placeholder_words")
    @classmethod
    def _one_word_each(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if len(words(entry)) != 1:
                raise ValueError(f"{entry!r} is not one word (put phrases in "
                                 "placeholder_phrases)")
        return entries


class DisagreementSettings(Table):
    high_severity: Score


class ConfidenceSettings(Table):
    high: float = Field(ge=0, le=100)
    medium: float = Field(ge=0, le=100)

    def band(self, index: float | None) -> str:
        """``"high"``, ``"medium"``, ``"low"`` or ``"unknown"`` for a confidence index."""
        if index is None:
            return "unknown"
        return "high" if index >= self.high else "medium" if index >= self.medium else "low"


class RankingSettings(Table):
    critical_points: float = Field(ge=0)
    warning_points: float = Field(ge=0)
    confidence_points: float = Field(ge=0)
    contact_points: float = Field(ge=0)
    contact_days: int = Field(ge=1)


class ReportSettings(Table):
    since_days: int = Field(ge=0)
    week_days: int = Field(ge=1, le=31)
    confidence_move: float = Field(ge=0, le=100)
    trend_days: int = Field(ge=7, le=366)
    top_deals: int = Field(ge=1, le=1000)
    week_lines: int = Field(ge=1, le=1000)


class ProductLanguageSettings(Table):
    """The product-language check's word lists and weights (see
    :mod:`coachkit.coaching.language`); list fields first, then the numbers."""

    want_phrases: list[str]
    acquire_verbs: list[str]
    chain_verbs: list[str]
    replace_verbs: list[str]
    product_nouns: list[str]
    commercial_terms: list[str]
    ask_objects: list[str]
    wish_modifiers: list[str]
    existing_markers: list[str]
    definite_words: list[str]
    history_words: list[str]
    irregular_past: list[str]
    own_pronouns: list[str]
    negations: list[str]
    clause_words: list[str]
    ask_breakers: list[str]
    filler_words: list[str]
    pain_terms: list[str]
    outcome_terms: list[str]
    consequence_phrases: list[str]
    affected_people: list[str]
    time_units: list[str]
    deal_words: list[str]
    number_words: list[str]
    ask_window: int = Field(ge=0, le=20)
    replace_window: int = Field(ge=0, le=20)
    weight_product_name: float
    threshold: float = Field(gt=0, lt=1)
    explain_words: int = Field(ge=1, le=20)


class Settings(Table):
    """Everything coaching, scores and reports may be tuned by."""

    team: TeamSettings
    coaching: CoachingSettings
    rules: dict[str, dict[str, Any]]
    """Each rule's table, checked against the rule's own options model when rules run
    (plugin rules bring theirs)."""
    scores: ScoreSettings
    risks: RiskSettings
    disagreements: DisagreementSettings
    confidence: ConfidenceSettings
    ranking: RankingSettings
    reports: ReportSettings
    product_language: ProductLanguageSettings
    whose: WhoseSettings
    verdicts: VerdictSettings

    def section_weight(self, key: str) -> float:
        """A section's weight: the team's, else the section's default."""
        from coachkit.model.vocabulary import section

        return self.scores.section_weights.get(key, section(key).weight)

    def replace(self, table: str, **values: Any) -> Settings:
        """A copy with some keys of one table changed (validated like a settings file)."""
        merged = self.model_dump()
        merged[table] = {**merged[table], **values}
        return _validate(merged, "settings")


def default_settings_text() -> str:
    """The documented defaults, as shipped in the package."""
    return resources.files("coachkit.coaching").joinpath("settings.toml").read_text("utf-8")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``, table by table (the models judge what is left)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def _validate(data: dict[str, Any], where: str) -> Settings:
    """Check every table, the rules' tables too (with the rules that are installed)."""
    from coachkit.coaching.registry import Rulebook, registry

    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise CoachkitError(f"settings: {where}: {describe(exc)}") from None
    try:
        Rulebook.of(settings, registry())
    except CoachkitError as exc:
        raise CoachkitError(str(exc).replace("settings: ", f"settings: {where}: ", 1)) from None
    return settings


_KINDS = {"int_type": "int", "int_parsing": "int", "float_type": "a number",
          "bool_type": "bool", "string_type": "str", "list_type": "a list",
          "dict_type": "a table"}


def describe(exc: ValidationError, prefix: str = "") -> str:
    """The first problem as ``'table.key': message``, plus how many more there are (the
    one formatter of :mod:`coachkit.model.messages`); an unknown key is called one."""
    return first_problem(exc, lambda error: _setting_problem(error, prefix))


RETIRED = {
    "rules.jargon-as-customer-words.plain_acronyms":
        "an acronym is jargon only when listed in seller_acronyms now; delete the line",
}
"""Settings a team file may still hold from an earlier coachkit, and what to do instead."""


def _setting_problem(error: Any, prefix: str) -> str:
    path = ".".join(str(p) for p in (*([prefix] if prefix else []), *error["loc"]))
    kind = error["type"]
    shown = error.get("input")
    if kind == "extra_forbidden":
        retired = RETIRED.get(path)
        return f"'{path}' is no longer a setting: {retired}" if retired \
            else f"unknown setting '{path}'"
    if kind == "missing":
        return f"'{path}' is missing"
    if kind in _KINDS:
        return f"'{path}' must be {_KINDS[kind]}, got {type(shown).__name__}"
    got = "" if isinstance(shown, dict | list) else f" (got {shown!r:.40})"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"'{path}': {message}{got}"


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Defaults, overridden by ``path`` or else by the file named in $COACHKIT_SETTINGS."""
    settings = tomllib.loads(default_settings_text())
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        return _validate(settings, "defaults")
    file = Path(chosen)
    try:
        override = tomllib.loads(read_regular(file, MAX_SETTINGS_BYTES, "settings file")
                                 .decode("utf-8"))
    except CoachkitError as exc:
        raise CoachkitError(f"settings: {exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CoachkitError(f"settings: {file} is not valid TOML: {exc}") from None
    return _validate(_merge(settings, override), str(file))
