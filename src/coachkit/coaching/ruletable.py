"""The README's table of rules, made from the registry and the shipped settings.

``python -m coachkit.coaching.ruletable`` prints it; a test checks that README.md holds
exactly this table, so the documented rules never drift from the ones that run.
"""

from __future__ import annotations

from typing import Any

from coachkit.coaching.registry import RuleOptions, registry
from coachkit.coaching.settings import Settings, load_settings

BEGIN = "<!-- rules table: made by `python -m coachkit.coaching.ruletable`, checked by a test -->"
END = "<!-- end of rules table -->"


def _value(value: Any) -> str:
    if isinstance(value, list):
        if len(value) > 3:
            return "a list (" + ", ".join(str(v) for v in value[:2]) + ", …)"
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(getattr(value, "value", value))


def rules_table(settings: Settings | None = None) -> str:
    """Markdown: one row per registered rule, its defaults from the settings."""
    settings = settings or load_settings(None)
    rows = ["| id | section | severity | from stage | fires when | default thresholds |",
            "| --- | --- | --- | --- | --- | --- |"]
    base = set(RuleOptions.model_fields)
    for rule in registry().values():
        options = rule.configure(settings)
        own = [f"`{k}` = {_value(v)}" for k, v in options.model_dump().items() if k not in base]
        rows.append(f"| `{rule.id}` | {rule.section} | {options.severity.value} | "
                    f"{options.from_stage.value} | {rule.summary.replace('|', '/')} | "
                    f"{', '.join(own)} |")
    return "\n".join(rows)


def readme_block(settings: Settings | None = None) -> str:
    """The table between its markers, as README.md holds it."""
    return f"{BEGIN}\n{rules_table(settings)}\n{END}"


if __name__ == "__main__":
    print(readme_block())
