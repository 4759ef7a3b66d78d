"""Benchmark of coaching judgement on labelled deals: does coachkit spot what a coach would?

    python bench/judgement.py [--split tuning|heldout|blind|all] [--data DIR]

The deals are workbook files under ``tests/data/judgement/<split>/``; ``labels.toml`` there
says, per deal, the rules a sales coach would expect to fire (warnings and criticals) and the
verdict they would give. The splits were made before any threshold was tuned; thresholds are
tuned on ``tuning`` only, and ``heldout`` is never tuned on. ``blind/`` holds deals written and
labelled by someone who never saw the rules' code, settings or the other deals (its own
``labels.toml``: verdicts as their label text, coached on 2026-11-23); nothing is tuned on it.

Prints, per deal, the verdict (expected / given), the rules missed and the extra ones, and the
number of questions; then per split the precision and recall of findings (per deal, rule ids
of warnings and criticals that stand) and the verdict accuracy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from coachkit.coaching.coach import Coach
from coachkit.coaching.registry import Severity
from coachkit.model.files import read_workbook_file

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "judgement"


@dataclass(frozen=True)
class Result:
    deal: str
    split: str
    expected: frozenset[str]
    fired: frozenset[str]
    verdict: str
    given: str
    questions: int


BLIND_TODAY = dt.date(2026, 11, 23)


def _labelled(data: Path, splits: set[str]) -> list[tuple[str, str, Path, dict, dt.date]]:
    """(deal id, split, file, label, today) of every labelled deal of the splits asked for."""
    labels = tomllib.loads((data / "labels.toml").read_text("utf-8"))
    today = dt.date.fromisoformat(labels["today"])
    out = [(deal_id, label["split"], data / label["split"] / f"{deal_id}.json", label, today)
           for deal_id, label in labels["deals"].items() if label["split"] in splits]
    if "blind" in splits:
        blind = tomllib.loads((data / "blind" / "labels.toml").read_text("utf-8"))
        for deal_id, label in blind.items():
            # their verdicts are label texts ("multi-thread first"): the ids are kebab case
            label = {**label, "verdict": label["verdict"].strip().lower().replace(" ", "-")}
            out.append((deal_id, "blind", data / "blind" / f"{deal_id}.coachkit.json", label,
                        BLIND_TODAY))
    return out


def run(data: Path, splits: set[str]) -> list[Result]:
    coach = Coach()
    out = []
    for deal_id, split, path, label, today in _labelled(data, splits):
        result = coach.run(read_workbook_file(path).deal, today)
        fired = frozenset(f.rule for f in result.standing if f.severity != Severity.info)
        out.append(Result(deal_id, split, frozenset(label["rules"]), fired,
                          label["verdict"], result.verdict.key, len(result.questions)))
    return out


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.2f} ({num}/{den})" if den else "n/a (0/0)"


def report(results: list[Result]) -> str:
    lines = [f"{'deal':40} {'split':8} {'verdict expected -> given':45} q  missed / extra"]
    for r in results:
        ok = "ok " if r.verdict == r.given else "XX "
        missed = ",".join(sorted(r.expected - r.fired)) or "-"
        extra = ",".join(sorted(r.fired - r.expected)) or "-"
        lines.append(f"{r.deal:40} {r.split:8} {ok}{r.verdict + ' -> ' + r.given:42} "
                     f"{r.questions}  {missed} / {extra}")
    lines.append("")
    for split in sorted({r.split for r in results}, reverse=True):
        rs = [r for r in results if r.split == split]
        tp = sum(len(r.expected & r.fired) for r in rs)
        fired = sum(len(r.fired) for r in rs)
        expected = sum(len(r.expected) for r in rs)
        right = sum(r.verdict == r.given for r in rs)
        lines.append(f"{split:8} deals {len(rs):2}  findings precision {_ratio(tp, fired)}  "
                     f"recall {_ratio(tp, expected)}  verdicts {_ratio(right, len(rs))}  "
                     f"min questions {min(r.questions for r in rs)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tuning", "heldout", "blind", "all"), default="all")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    splits = {"tuning", "heldout", "blind"} if args.split == "all" else {args.split}
    print(report(run(args.data, splits)))


if __name__ == "__main__":
    main()
