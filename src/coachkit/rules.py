"""The API for rule plugins: ``from coachkit.rules import Hit, Rule``.

Teams add coaching rules through the entry point group ``coachkit.rules``; this module is
their stable import path (the registry itself lives in :mod:`coachkit.coaching.registry`).
"""

from coachkit.coaching.registry import Finding, Hit, Rule, RuleContext, Severity

__all__ = ["Finding", "Hit", "Rule", "RuleContext", "Severity"]
