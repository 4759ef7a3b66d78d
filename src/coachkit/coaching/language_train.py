"""Train the product-language model and write the weights the package ships.

    python -m coachkit.coaching.language_train            # write language_model.json
    python -m coachkit.coaching.language_train --check    # exit 1 if the shipped file differs

Reads the ``train`` rows of tests/data/purchase_asks.tsv (never the ``heldout`` and
``heldout2`` rows: they measure the model, see bench/language.py) and the older set
tests/data/product_language.tsv, extracts the features of
:mod:`coachkit.coaching.language_features` with the shipped word lists (the older set's
product names read as a team's names, so no name is learned), and fits an L2 logistic
regression (scikit-learn, the ``train`` extra; only here, never at run time). Deterministic:
the same data give the same file, weights rounded to 4 decimals.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from coachkit.coaching.language import MODEL_FILE, ProductLanguage
from coachkit.coaching.language_features import features, names
from coachkit.coaching.settings import load_settings

DATA = Path(__file__).resolve().parents[3] / "tests" / "data"
ASKS = DATA / "purchase_asks.tsv"
OLDER = DATA / "product_language.tsv"
TARGET = Path(__file__).resolve().with_name(MODEL_FILE)
# The product names the older set's statements use for "our" products: read as a team's
# product names (weighed by the settings), never learned as words.
OLDER_PRODUCT_NAMES = ("Ledgerly", "FleetPilot", "Ledgerly Insights")
# Inverse regularisation strength, chosen by 5-fold cross-validation on the train rows only.
C = 1.0
DIGITS = 4


def read(path: Path) -> list[dict[str, str]]:
    """The rows of a labelled TSV (columns split?, label, statement)."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def training_rows(asks: Path = ASKS, older: Path = OLDER) -> list[tuple[str, bool]]:
    """(statement, is product) for every row the model may learn from."""
    rows = [r for r in read(asks) if r["split"] == "train"]
    rows += read(older)
    return [(r["statement"], r["label"] == "product") for r in rows]


def fit(rows: Sequence[tuple[str, bool]], c: float = C) -> dict[str, object]:
    """The fitted model as the JSON-ready table the package ships."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    settings = load_settings()
    settings = settings.replace("team", product_names=list(OLDER_PRODUCT_NAMES))
    lang = ProductLanguage.from_settings(settings)
    x_dicts = [dict.fromkeys(sorted(names(features(s, lang)[0])), 1) for s, _ in rows]
    y = [int(label) for _, label in rows]
    vectorizer = DictVectorizer(sort=True)
    x = vectorizer.fit_transform(x_dicts)
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=5000, tol=1e-8)
    model.fit(x, y)
    weights = {
        name: round(float(w), DIGITS)
        for name, w in zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True)
        if round(float(w), DIGITS) != 0
    }
    return {
        "about": "coachkit product-language model: python -m coachkit.coaching.language_train",
        "c": c,
        "rows": len(rows),
        "intercept": round(float(model.intercept_[0]), DIGITS),
        "weights": dict(sorted(weights.items())),
    }


def render(model: dict[str, object]) -> str:
    """The file's text: one weight a line, so a retrained model diffs readably."""
    return json.dumps(model, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    args = parser.parse_args(argv)
    text = render(fit(training_rows()))
    if args.check:
        same = TARGET.read_text(encoding="utf-8") == text
        print(f"{TARGET.name}: {'matches' if same else 'DIFFERS from'} the training script")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
