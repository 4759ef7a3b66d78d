"""The product-language check, against a labelled set of seller-written problem statements.

tests/data/product_language.tsv holds the set: ``label`` (product or problem), ``statement``
and an optional ``known_miss`` reason. A row with a reason is a known miss of the checker and
is expected to fail (strict xfail), so it is kept honest: fix the checker, then clear the
reason. The last rows were written as a holdout and were not used to tune the word lists.
"""

from __future__ import annotations

import csv
import time
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coachkit.coaching.language import ProductLanguage, Verdict, check
from coachkit.coaching.settings import load_settings
from coachkit.errors import CoachkitError

DATA = Path(__file__).parent / "data" / "product_language.tsv"
TEST_PRODUCTS = ["Ledgerly", "FleetPilot", "Ledgerly Insights"]
MIN_PRECISION = 0.9
MIN_RECALL = 0.9


def _rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        row["known_miss"] = (row.get("known_miss") or "").strip()
    return rows


ROWS = _rows()


def _team_file(directory: Path, body: str) -> Path:
    path = directory / "team.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def language(tmp_path_factory: pytest.TempPathFactory) -> ProductLanguage:
    """The shipped word lists, with the test products set the way a team sets them."""
    names = ", ".join(f'"{n}"' for n in TEST_PRODUCTS)
    team = _team_file(tmp_path_factory.mktemp("settings"), f"[team]\nproduct_names = [{names}]\n")
    return ProductLanguage.from_settings(load_settings(team))


@pytest.fixture(scope="module")
def plain() -> ProductLanguage:
    """The shipped defaults: no team product names."""
    return ProductLanguage.from_settings(load_settings())


def _param(index: int, row: dict[str, str]) -> object:
    marks = (
        [pytest.mark.xfail(strict=True, reason=f"known miss: {row['known_miss']}")]
        if row["known_miss"]
        else []
    )
    words = "-".join(row["statement"].split()[:5])
    return pytest.param(row["label"], row["statement"], marks=marks, id=f"{index:03d}-{words}")


# -- the labelled set --------------------------------------------------------------------------


def test_the_labelled_set_is_substantial() -> None:
    labels = [row["label"] for row in ROWS]
    assert set(labels) == {"product", "problem"}
    assert len(ROWS) >= 100
    assert abs(labels.count("product") - labels.count("problem")) <= len(ROWS) // 10
    assert len({row["statement"] for row in ROWS}) == len(ROWS), "duplicate statements"
    named = [r for r in ROWS if any(n.lower() in r["statement"].lower() for n in TEST_PRODUCTS)]
    assert len(named) >= 10


@pytest.mark.parametrize(("label", "statement"), [_param(i, r) for i, r in enumerate(ROWS, 2)])
def test_each_statement(label: str, statement: str, language: ProductLanguage) -> None:
    verdict = check(statement, language)
    assert verdict.is_product == (label == "product"), verdict.explanation


def test_precision_and_recall_for_product_talk(
    language: ProductLanguage, capsys: pytest.CaptureFixture[str]
) -> None:
    tp = fp = fn = 0
    for row in ROWS:
        said = check(row["statement"], language).is_product
        truth = row["label"] == "product"
        tp += said and truth
        fp += said and not truth
        fn += truth and not said
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    with capsys.disabled():
        print(
            f"\nproduct-language check on {len(ROWS)} statements: precision {precision:.3f}, "
            f"recall {recall:.3f} (true positives {tp}, false positives {fp}, misses {fn})"
        )
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL


# -- verdicts and explanations -----------------------------------------------------------------


def test_explanation_names_the_triggers(language: ProductLanguage) -> None:
    verdict = check("They need to buy a new scheduling system", language)
    assert verdict.is_product
    assert verdict.triggers == ("need to buy", "scheduling system")
    assert verdict.explanation == "reads as product talk: 'need to buy', 'scheduling system'"


@pytest.mark.parametrize(
    "statement", [r["statement"] for r in ROWS if r["label"] == "product" and not r["known_miss"]]
)
def test_every_product_verdict_quotes_its_triggers(
    statement: str, language: ProductLanguage
) -> None:
    verdict = check(statement, language)
    assert verdict.triggers
    for trigger in verdict.triggers[:6]:
        assert f"'{trigger}'" in verdict.explanation
        assert trigger.lower() in " ".join(statement.split()).lower()
    assert "\n" not in verdict.explanation


def test_a_problem_that_names_its_system_is_a_problem(language: ProductLanguage) -> None:
    verdict = check(
        "Their scheduling system double-books technicians, so 15% of visits are missed", language
    )
    assert not verdict.is_product
    assert verdict.triggers == ()
    assert {"double-books", "15%", "missed"} <= set(verdict.problem_signals)
    assert "'15%'" in verdict.explanation and "'system'" in verdict.explanation


def test_an_ask_with_a_vague_reason_is_product_talk(language: ProductLanguage) -> None:
    verdict = check("They need a new ERP because the old one is slow", language)
    assert verdict.is_product
    assert verdict.triggers == ("need", "ERP")
    assert verdict.problem_signals == ("slow",)


def test_a_negated_ask_is_ignored_and_said_so(language: ProductLanguage) -> None:
    verdict = check("They are not looking for new software; they lose 3 days a month", language)
    assert not verdict.is_product
    assert "negated" in verdict.explanation and "'looking for'" in verdict.explanation


def test_a_price_figure_is_not_a_customer_metric(language: ProductLanguage) -> None:
    verdict = check("Customer wants a 20% discount on the enterprise tier", language)
    assert verdict.is_product
    assert "20%" not in verdict.problem_signals


@pytest.mark.parametrize("text", ["", " ", "\n\t  ", "\u00a0"])
def test_empty_text_is_not_product_talk(text: str, language: ProductLanguage) -> None:
    verdict = check(text, language)
    assert verdict == Verdict(False, (), (), "empty statement: nothing to check")


def test_a_statement_with_no_signals_says_so(language: ProductLanguage) -> None:
    verdict = check("Met Anna on Tuesday", language)
    assert not verdict.is_product
    assert verdict.explanation == "no product talk found"


# -- settings ----------------------------------------------------------------------------------


def test_team_product_names_from_an_override_count_as_product_talk(
    tmp_path: Path, plain: ProductLanguage
) -> None:
    assert not check("They need Ledgerly", plain).is_product
    team = _team_file(tmp_path, '[team]\nproduct_names = ["Ledgerly", "FleetPilot"]\n')
    language = ProductLanguage.from_settings(load_settings(team))
    for statement in ("They need Ledgerly", "FleetPilot for the northern depot", "ledgerly"):
        verdict = check(statement, language)
        assert verdict.is_product, statement
        assert any(t.lower() in {"ledgerly", "fleetpilot"} for t in verdict.triggers)


def test_longest_product_name_wins(language: ProductLanguage) -> None:
    verdict = check("Wants Ledgerly Insights", language)
    assert "Ledgerly Insights" in verdict.triggers


def test_thresholds_come_from_the_settings(tmp_path: Path) -> None:
    team = _team_file(tmp_path, "[product_language]\nproblem_margin = 100\n")
    language = ProductLanguage.from_settings(load_settings(team))
    assert not check("They need to buy a new scheduling system", language).is_product
    team = _team_file(tmp_path, '[product_language]\nproduct_nouns = ["gizmo"]\n')
    language = ProductLanguage.from_settings(load_settings(team))
    assert check("They want a gizmo", language).is_product
    assert not check("They want a CRM", language).is_product


def test_every_setting_is_documented() -> None:
    text = resources.files("coachkit.coaching").joinpath("settings.toml").read_text("utf-8")
    table = text.split("[product_language]", 1)[1].split("\n[", 1)[0]
    lines = table.splitlines()

    def one_line_key(line: str) -> bool:
        return bool(line) and line[0].isalpha() and "=" in line and not line.endswith("[")

    keys = [i for i, line in enumerate(lines) if line and line[0].isalpha() and "=" in line]
    assert len(keys) == len(type(load_settings().product_language).model_fields)
    for i in keys:  # a comment right above the key, or above its group of one-line keys
        j = i - 1
        while j > 0 and one_line_key(lines[j]):
            j -= 1
        assert lines[j].startswith("#"), lines[i]


def test_bad_settings_are_refused() -> None:
    settings = load_settings()
    with pytest.raises(CoachkitError, match="weight_ask"):
        settings.replace("product_language", weight_ask="high")
    with pytest.raises(CoachkitError, match="product_language"):
        settings.replace("product_language", wish_list=["a"])


def test_compiled_once_per_settings() -> None:
    assert ProductLanguage.from_settings(load_settings()) is ProductLanguage.from_settings(
        load_settings()
    )


# -- robustness --------------------------------------------------------------------------------

_WORDS = [
    "need", "to", "buy", "a", "new", "system", "our", "module", "not", "so", "15%", "$2m",
    "one", "in", "five", "hours", "a", "week", "replace", "with", "Ledgerly", "discount", "of",
    "they", "don't", "want", "the", "CRM", "after", "installing", ",", ";", ".", "-", "'",
    "\u2019", "\u2014", "İ", "ß", "ﬁ", "\u00a0", "\u200b", "🙂", "é",
]  # fmt: skip


@given(text=st.text())
def test_never_raises_on_any_text(text: str, language: ProductLanguage) -> None:
    _assert_well_formed(text, check(text, language))


@given(text=st.lists(st.sampled_from(_WORDS), max_size=40).map(" ".join))
def test_never_raises_on_word_salad(text: str, language: ProductLanguage) -> None:
    _assert_well_formed(text, check(text, language))


def _assert_well_formed(text: str, verdict: Verdict) -> None:
    assert isinstance(verdict.is_product, bool)
    assert isinstance(verdict.explanation, str) and verdict.explanation
    assert verdict.is_product == bool(verdict.triggers)
    flat = " ".join(text.split())
    for word in verdict.triggers + verdict.problem_signals:
        assert word in flat


@pytest.mark.parametrize(
    "text",
    [
        "one two three " * 2000,
        "1," * 5000,
        "need " + "a " * 5000 + "system",
        "replace " + "x " * 5000,
        "$1 " * 5000,
        "not " * 5000,
    ],
    ids=["number-words", "commas", "long-gap", "replace", "money", "negations"],
)
def test_long_pathological_text_stays_fast(text: str, language: ProductLanguage) -> None:
    started = time.perf_counter()
    check(text, language)
    assert time.perf_counter() - started < 5
