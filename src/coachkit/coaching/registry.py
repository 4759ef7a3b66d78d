"""The rule registry: small pure functions of a deal that say what a coach would say.

A rule gets the deal and a :class:`RuleContext` (today's date, passed in, never read from the
clock; its own settings; the compiled product language) and yields :class:`Hit` s. The
registry adds the rule's id, section and configured severity, and skips rules the deal's
stage has not reached yet. Teams add rules through the entry point group ``coachkit.rules``:
each entry point names a :class:`Rule` or a list of them (imported from :mod:`coachkit.rules`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from coachkit.errors import CoachkitError
from coachkit.model import STAGE_ORDER, Deal, Stage

ENTRY_POINT_GROUP = "coachkit.rules"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"

    @property
    def rank(self) -> int:
        return {"critical": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    """What a rule found: what is wrong, where, and the question to ask next."""

    rule: str
    severity: Severity
    section: str
    field: str
    message: str
    question: str

    def to_json_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "section": self.section,
            "field": self.field,
            "message": self.message,
            "question": self.question,
        }


@dataclass(frozen=True)
class Hit:
    """What a rule function yields; the registry turns it into a :class:`Finding`."""

    field: str
    message: str
    question: str
    severity: str | None = None
    """Overrides the rule's configured severity, for rules with a graver case."""


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at besides the deal."""

    today: dt.date
    options: dict[str, Any]
    settings: dict[str, Any]
    language: Any = None  # coachkit.coaching.language.ProductLanguage, compiled once per run


RuleFunction = Callable[[Deal, RuleContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered rule. ``defaults`` are its settings when the settings file has none."""

    id: str
    section: str
    check: RuleFunction
    defaults: dict[str, Any] = field(default_factory=dict)
    summary: str = ""

    def options(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The rule's own table of the settings, over its defaults."""
        return {"enabled": True, "severity": "warning", "from_stage": "discovery",
                **self.defaults, **settings.get("rules", {}).get(self.id, {})}


_BUILTIN: dict[str, Rule] = {}


def rule(rule_id: str, section: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register a built-in rule function under a stable id; its settings are its table
    ``[rules.<id>]`` in settings.toml."""

    def register(fn: RuleFunction) -> RuleFunction:
        if rule_id in _BUILTIN:
            raise ValueError(f"rule {rule_id} registered twice")
        doc = (fn.__doc__ or "").strip().splitlines()
        _BUILTIN[rule_id] = Rule(rule_id, section, fn, {}, doc[0] if doc else "")
        return fn

    return register


def _plugin_rules() -> Iterator[Rule]:
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
        except Exception as exc:
            raise CoachkitError(
                f"rules: cannot load plugin '{ep.name}' ({ep.value}): {exc}"
            ) from exc
        for item in loaded if isinstance(loaded, list | tuple) else [loaded]:
            if not isinstance(item, Rule):
                raise CoachkitError(
                    f"rules: plugin '{ep.name}' gave {type(item).__name__}, not a coachkit Rule"
                )
            yield item


def registry() -> dict[str, Rule]:
    """Built-in rules, then the plugins' (a plugin may not reuse a built-in id)."""
    from coachkit.coaching import rulebook  # noqa: F401  (registers the built-in rules)

    rules = dict(_BUILTIN)
    for plugin in _plugin_rules():
        if plugin.id in rules:
            raise CoachkitError(f"rules: plugin rule '{plugin.id}' reuses an existing rule id")
        rules[plugin.id] = plugin
    return rules


def stage_reached(deal: Deal, from_stage: str) -> bool:
    """Is the deal at or past ``from_stage``? Closed deals are past every gate."""
    try:
        gate = STAGE_ORDER.index(Stage(from_stage))
    except ValueError:
        raise CoachkitError(f"settings: '{from_stage}' is not a stage") from None
    return STAGE_ORDER.index(deal.deal.stage) >= gate


def run_rules(
    deal: Deal, *, today: dt.date, settings: dict[str, Any],
    rules: dict[str, Rule] | None = None, language: Any = None,
) -> list[Finding]:
    """Every enabled rule whose stage gate the deal has reached; most severe first."""
    rules = registry() if rules is None else rules
    unknown = set(settings.get("rules", {})) - set(rules)
    if unknown:
        raise CoachkitError(f"settings: no rule named '{sorted(unknown)[0]}'")
    closed = deal.deal.stage in (Stage.closed_won, Stage.closed_lost)
    if closed and not settings.get("coaching", {}).get("coach_closed_deals", False):
        return []
    findings: list[Finding] = []
    for item in rules.values():
        options = item.options(settings)
        if not options["enabled"] or not stage_reached(deal, options["from_stage"]):
            continue
        try:
            severity = Severity(options["severity"])
        except ValueError:
            raise CoachkitError(
                f"settings: rules.{item.id}.severity must be info, warning or critical"
            ) from None
        ctx = RuleContext(today=today, options=options, settings=settings, language=language)
        for hit in item.check(deal, ctx):
            grave = Severity(hit.severity) if hit.severity else severity
            findings.append(Finding(item.id, grave, item.section, hit.field, hit.message,
                                    hit.question))
    order = {section: i for i, section in enumerate(SECTION_ORDER)}
    findings.sort(key=lambda f: (f.severity.rank, order.get(f.section, len(order))))
    return findings


SECTION_ORDER = ("deal", "problem", "stakeholders", "disagreements", "risks", "confidence",
                 "plan", "fit")
"""The order the workbook asks things in; findings and questions follow it."""
