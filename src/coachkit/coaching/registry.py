"""The rule registry: small pure functions of a deal that say what a coach would say.

A rule gets the deal and a :class:`RuleContext` (today's date, passed in, never read from the
clock; its own options; all settings; the compiled product language) and yields
:class:`Hit` s. The registry adds the rule's id, section and configured severity, and skips
rules the deal's stage has not reached yet. Teams add rules through the entry point group
``coachkit.rules``: each entry point names a :class:`Rule` or a list of them (imported from
:mod:`coachkit.rules`).
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, ValidationError, create_model

from coachkit.coaching.settings import Settings, Table, describe
from coachkit.errors import CoachkitError
from coachkit.model import STAGE_ORDER, Deal, Stage
from coachkit.model.vocabulary import section_rank

if TYPE_CHECKING:
    from coachkit.coaching.language import ProductLanguage

ENTRY_POINT_GROUP = "coachkit.rules"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"

    @property
    def rank(self) -> int:
        return {"critical": 0, "warning": 1, "info": 2}[self.value]


def _one_of(kind: type[StrEnum], what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value not in kind.__members__:
            raise ValueError(f"'{value:.40}' is not a {what} (one of: {', '.join(kind)})")
        return kind(value) if isinstance(value, str) else value

    return check


SeverityName = Annotated[Severity, BeforeValidator(_one_of(Severity, "severity"))]
StageName = Annotated[Stage, BeforeValidator(_one_of(Stage, "stage"))]


class RuleOptions(Table):
    """A rule's table of the settings: these three keys, and the rule's own thresholds in a
    subclass. Read like a mapping (``ctx.options["max_days"]``) or by attribute."""

    enabled: bool = True
    severity: SeverityName = Severity.warning
    from_stage: StageName = Stage.discovery

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


@dataclass(frozen=True)
class Finding:
    """What a rule found: what is wrong, where, and the question to ask next."""

    rule: str
    severity: Severity
    section: str
    field: str
    message: str
    question: str
    about: str = ""
    """What the question is about (a person, a risk, the cost of inaction): questions about
    one object are one question. Empty: the field."""

    @property
    def topic(self) -> str:
        return self.about or self.field

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
    about: str = ""
    """The object the question is about (``person:NAME``, ``risk:3``, ...), for merging."""


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at besides the deal."""

    today: dt.date
    options: RuleOptions
    settings: Settings
    language: ProductLanguage | None = None  # compiled once per run


RuleFunction = Callable[[Deal, RuleContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered rule. Its options come from its table ``[rules.<id>]`` in the settings,
    checked by ``options`` (a :class:`RuleOptions` subclass); a plugin may give
    ``defaults`` instead, and its options model is made from their types."""

    id: str
    section: str
    check: RuleFunction
    defaults: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""
    options: type[RuleOptions] | None = None

    def options_model(self) -> type[RuleOptions]:
        """``options``, or a model typed after a plugin's ``defaults``."""
        if self.options is not None:
            return self.options
        fields: dict[str, Any] = {
            key: (list[Any] if isinstance(value, list) else type(value), ...)
            for key, value in self.defaults.items() if key not in RuleOptions.model_fields}
        return create_model(f"Options_{self.id}", __base__=RuleOptions, **fields)

    def configure(self, settings: Settings) -> RuleOptions:
        """This rule's options for ``settings`` (over its ``defaults``), or one line naming
        the bad key."""
        table = {**self.defaults, **settings.rules.get(self.id, {})}
        try:
            return self.options_model().model_validate(table)
        except ValidationError as exc:
            raise CoachkitError(f"settings: {describe(exc, f'rules.{self.id}')}") from None


_BUILTIN: dict[str, Rule] = {}


def rule(rule_id: str, section: str, options: type[RuleOptions] = RuleOptions,
         ) -> Callable[[RuleFunction], RuleFunction]:
    """Register a built-in rule function under a stable id; ``options`` says what its table
    ``[rules.<id>]`` in settings.toml holds."""

    def register(fn: RuleFunction) -> RuleFunction:
        if rule_id in _BUILTIN:
            raise ValueError(f"rule {rule_id} registered twice")
        doc = (fn.__doc__ or "").strip().splitlines()
        _BUILTIN[rule_id] = Rule(rule_id, section, fn, {}, doc[0] if doc else "", options)
        return fn

    return register


def _plugin_rules() -> tuple[Rule, ...]:
    """The installed plugins' rules (looked up once per ``sys.path``)."""
    return _plugins_on(tuple(sys.path))


@functools.lru_cache(maxsize=8)
def _plugins_on(path: tuple[str, ...]) -> tuple[Rule, ...]:
    return tuple(_load_plugins())


def _load_plugins() -> Iterator[Rule]:
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


@dataclass(frozen=True)
class Rulebook:
    """The rules with their options for one settings: checked once, run for many deals."""

    settings: Settings
    rules: tuple[tuple[Rule, RuleOptions], ...]

    @classmethod
    def of(cls, settings: Settings, rules: Mapping[str, Rule]) -> Rulebook:
        unknown = set(settings.rules) - set(rules)
        if unknown:
            raise CoachkitError(f"settings: no rule named '{sorted(unknown)[0]}'")
        return cls(settings, tuple((r, r.configure(settings)) for r in rules.values()))

    def run(self, deal: Deal, today: dt.date, language: ProductLanguage | None = None,
            ) -> list[Finding]:
        """Every enabled rule whose stage gate the deal has reached; most severe first."""
        if deal.closed and not self.settings.coaching.coach_closed_deals:
            return []
        findings: list[Finding] = []
        for item, options in self.rules:
            if not options.enabled or not stage_reached(deal, options.from_stage):
                continue
            ctx = RuleContext(today=today, options=options, settings=self.settings,
                              language=language)
            for hit in item.check(deal, ctx):
                grave = Severity(hit.severity) if hit.severity else options.severity
                findings.append(Finding(item.id, grave, item.section, hit.field, hit.message,
                                        hit.question, hit.about))
        findings.sort(key=finding_order(self.settings))
        return findings


def finding_order(settings: Settings) -> Callable[[Finding], tuple[int, int, int]]:
    """Most severe first; within a severity, what moves the deal most
    (``[coaching] priority``), then the workbook's section order."""
    priority = {rule_id: i for i, rule_id in enumerate(settings.coaching.priority)}
    last = len(priority)
    return lambda f: (f.severity.rank, priority.get(f.rule, last), section_rank(f.section))


def stage_reached(deal: Deal, from_stage: Stage) -> bool:
    """Is the deal at or past ``from_stage``? Closed deals are past every gate."""
    return STAGE_ORDER.index(deal.deal.stage) >= STAGE_ORDER.index(from_stage)
