"""The product-language check, against labelled sets of seller-written problem statements.

tests/data/purchase_asks.tsv is the main set: ``split`` (train, heldout, heldout2), ``label``
(product or problem) and ``statement``. The heldout rows were split off once (30% of each
label, random.Random(19)) before any model work; heldout2 was written later, before the last
round of model work; neither is read by the training script. The model's precision and recall
on them are asserted at the levels measured (bench/language.py prints them).

tests/data/product_language.tsv is the older set (``label``, ``statement``, ``known_miss``),
now part of the training data. A row with a known_miss reason is expected to fail (strict
xfail), so it is kept honest: fix the checker, then clear the reason.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coachkit.coaching.language import ProductLanguage, Verdict, check
from coachkit.coaching.settings import load_settings
from coachkit.errors import CoachkitError
from support.helpers import TEST_DATA

DATA = TEST_DATA / "product_language.tsv"
ASKS = TEST_DATA / "purchase_asks.tsv"
TEST_PRODUCTS = ["Ledgerly", "FleetPilot", "Ledgerly Insights"]
MIN_PRECISION = 0.9
MIN_RECALL = 0.9
# Precision and recall measured on 2026-12-07 with the shipped model: heldout 0.985 / 0.985,
# heldout2 0.983 / 0.967 (the goal is 0.95 on both). Raise these when the model gets better;
# never lower them to let a change pass.
HELDOUT_FLOOR = {"heldout": (0.98, 0.98), "heldout2": (0.98, 0.96)}
# The blind splits: 200 statements each, written by people who never saw the model, its data or
# its code; their misclassifications are never listed. heldout3 was measured three times as the
# training data grew (1.000 / 0.920, 0.989 / 0.930, 1.000 / 0.940), heldout4 once, after the
# last training rows (0.961 / 0.980); both together 0.980 / 0.960. Floors are what was
# measured; raise them when the model gets better, never lower them to let a change pass.
BLIND_FLOOR = {"heldout3": (0.99, 0.94), "heldout4": (0.96, 0.98)}


def _rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        row["known_miss"] = (row.get("known_miss") or "").strip()
    return rows


ROWS = _rows()


def _asks() -> list[dict[str, str]]:
    with ASKS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


ASK_ROWS = _asks()


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
    assert verdict.explanation.startswith("reads as product talk (")
    assert verdict.explanation.endswith("): 'need to buy', 'scheduling system'")
    assert verdict.probability > 0.9


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
    assert {"need", "ERP"} <= set(verdict.triggers)


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
    assert verdict.explanation.startswith("no product talk found")


# -- settings ----------------------------------------------------------------------------------


def test_team_product_names_from_an_override_count_as_product_talk(
    tmp_path: Path, plain: ProductLanguage
) -> None:
    team = _team_file(tmp_path, '[team]\nproduct_names = ["Ledgerly", "FleetPilot"]\n')
    language = ProductLanguage.from_settings(load_settings(team))
    for statement in ("They need Ledgerly", "FleetPilot for the northern depot", "ledgerly"):
        verdict = check(statement, language)
        assert verdict.is_product, statement
        assert any(t.lower() in {"ledgerly", "fleetpilot"} for t in verdict.triggers)
        assert verdict.probability > check(statement, plain).probability
        # Without the setting the name is an unknown word: it weighs nothing, so is not quoted.
        assert not any(t.lower() in {"ledgerly", "fleetpilot"}
                       for t in check(statement, plain).triggers)


def test_longest_product_name_wins(language: ProductLanguage) -> None:
    verdict = check("Wants Ledgerly Insights", language)
    assert "Ledgerly Insights" in verdict.triggers


def test_thresholds_come_from_the_settings(tmp_path: Path) -> None:
    statement = "They need a new ERP because the old one is slow"
    team = _team_file(tmp_path, "[product_language]\nthreshold = 0.999\n")
    strict = ProductLanguage.from_settings(load_settings(team))
    verdict = check(statement, strict)
    assert not verdict.is_product
    default = ProductLanguage.from_settings(load_settings())
    assert verdict.probability == check(statement, default).probability
    team = _team_file(tmp_path, "[product_language]\nexplain_words = 1\n")
    terse = ProductLanguage.from_settings(load_settings(team))
    wordy = "Two additional storage shelves for the NetApp in the Lyon data centre"
    assert len(check(wordy, terse).triggers) == 1 < len(check(wordy, default).triggers)


def test_the_word_lists_feed_the_model(tmp_path: Path, plain: ProductLanguage) -> None:
    """The lists still find the evidence the model weighs: an ask for a word they name."""
    team = _team_file(tmp_path, '[product_language]\nproduct_nouns = ["gizmo"]\n')
    with_gizmo = ProductLanguage.from_settings(load_settings(team))
    verdict = check("They want a gizmo for the plant", with_gizmo)
    assert verdict.probability > check("They want a gizmo for the plant", plain).probability
    assert "want a gizmo" in " ".join(verdict.triggers) or "gizmo" in verdict.triggers


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
    with pytest.raises(CoachkitError, match="threshold"):
        settings.replace("product_language", threshold="high")
    with pytest.raises(CoachkitError, match="threshold"):
        settings.replace("product_language", threshold=1.5)
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
        ("one two three " * 1500)[:20_000],
        "1," * 10_000,
        "need " + "a " * 9_990 + "system",
        "replace " + "x " * 9_996,
        "$1 " * 6_667,
        "not " * 5_000,
        "Two additional, " * 1_250,
        ("so what they need is " * 1_000)[:20_000],
        "a" * 20_000,
    ],
    ids=["number-words", "commas", "long-gap", "replace", "money", "negations", "list",
         "so-need", "one-word"],
)
def test_long_pathological_text_completes(text: str, language: ProductLanguage) -> None:
    """20,000 characters of the worst shapes: the check answers (bench/language.py times it)."""
    assert len(text) >= 19_990
    _assert_well_formed(text, check(text, language))


# -- the new labelled set and the shipped model ------------------------------------------------


def test_the_new_set_is_labelled_and_split() -> None:
    splits = {(r["split"], r["label"]) for r in ASK_ROWS}
    assert splits == {(s, lab) for s in ("train", "heldout", "heldout2")
                      for lab in ("product", "problem")}
    assert len(ASK_ROWS) >= 400
    labels = [r["label"] for r in ASK_ROWS]
    assert abs(labels.count("product") - labels.count("problem")) <= len(ASK_ROWS) // 20
    statements = [r["statement"] for r in ASK_ROWS]
    assert len(set(statements)) == len(statements), "duplicate statements"
    assert not set(statements) & {r["statement"] for r in ROWS}, "copied from the older set"
    for label in ("product", "problem"):  # the first split: 30% of each label
        first = [r for r in ASK_ROWS[:452] if r["label"] == label]
        held = sum(r["split"] == "heldout" for r in first)
        assert held == round(len(first) * 0.3)


@pytest.mark.parametrize("split", sorted(HELDOUT_FLOOR))
def test_precision_and_recall_on_the_held_out_split(
    split: str, language: ProductLanguage, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [r for r in ASK_ROWS if r["split"] == split]
    said = [check(r["statement"], language).is_product for r in rows]
    truth = [r["label"] == "product" for r in rows]
    tp = sum(s and t for s, t in zip(said, truth, strict=True))
    precision = tp / sum(said)
    recall = tp / sum(truth)
    with capsys.disabled():
        print(f"\nproduct language, {split} ({len(rows)}): precision {precision:.3f}, "
              f"recall {recall:.3f}")
    floor_precision, floor_recall = HELDOUT_FLOOR[split]
    assert precision >= floor_precision
    assert recall >= floor_recall


@pytest.mark.parametrize("split", sorted(BLIND_FLOOR))
def test_precision_and_recall_on_the_blind_sets(split: str, language: ProductLanguage) -> None:
    path = TEST_DATA / f"purchase_asks_{split}.tsv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) == 200
    said = [check(r["statement"], language).is_product for r in rows]
    truth = [r["label"] == "product" for r in rows]
    tp = sum(s and t for s, t in zip(said, truth, strict=True))
    assert tp / sum(said) >= BLIND_FLOOR[split][0]
    assert tp / sum(truth) >= BLIND_FLOOR[split][1]


def test_the_training_script_never_reads_the_held_out_rows() -> None:
    from coachkit.coaching.language_train import training_rows

    trained = {statement for statement, _ in training_rows()}
    held = {r["statement"] for r in ASK_ROWS if r["split"] != "train"}
    assert trained and not trained & held
    assert {r["statement"] for r in ASK_ROWS if r["split"] == "train"} <= trained


@pytest.mark.slow
def test_the_shipped_model_is_what_the_training_script_produces() -> None:
    """Deterministic training: retraining gives the shipped file byte for byte."""
    from coachkit.coaching import language_train

    shipped = resources.files("coachkit.coaching").joinpath("language_model.json")
    assert shipped.is_file()
    assert language_train.render(language_train.fit(language_train.training_rows())) == (
        shipped.read_text("utf-8"))


def test_the_check_does_not_import_scikit_learn() -> None:
    """The app reads the shipped weights; scikit-learn takes seconds to import."""
    code = (
        "import sys\n"
        "from coachkit.coaching.language import ProductLanguage, check\n"
        "from coachkit.coaching.settings import load_settings\n"
        "v = check('Two additional storage shelves', ProductLanguage.from_settings("
        "load_settings()))\n"
        "assert v.is_product, v\n"
        "assert not [m for m in sys.modules if m.startswith(('sklearn', 'scipy'))]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    ("statement", "deciding"),
    [
        ("Two additional storage shelves for the NetApp in the Lyon data centre",
         "Two additional"),
        ("Refresh of the 40 laptops in the Graz office before year end", "Refresh"),
        ("We are proposing a managed SOC service for 24/7 monitoring", "We are proposing"),
        ("Invoices are paid late, so what they need is an AP automation suite",
         "need is an AP automation suite"),
        ("Six more nodes for the VMware cluster", "more"),
    ],
)
def test_a_shape_ask_names_the_words_that_decided(
    statement: str, deciding: str, language: ProductLanguage
) -> None:
    """Training statements of each shape: the deciding words are quoted, as written."""
    verdict = check(statement, language)
    assert verdict.is_product, verdict.explanation
    assert any(deciding in t or t in deciding for t in verdict.triggers), verdict.explanation
    for trigger in verdict.triggers:
        assert f"'{trigger}'" in verdict.explanation
        assert trigger in statement


def test_a_product_named_as_context_is_a_problem(language: ProductLanguage) -> None:
    verdict = check("The LIMS and the ERP disagree on batch numbers so QA re-keys 300 records "
                    "a week", language)
    assert not verdict.is_product
    assert "re-keys" in verdict.problem_signals
    assert "reads as a customer problem" in verdict.explanation


@pytest.mark.parametrize(
    ("statement", "feature", "words"),
    [
        ("They change from Lotus-style Domino mail to Exchange Online", "s:switch-names",
         "change from Lotus-style Domino mail to"),
        ("Bakery swaps Sage for NetSuite next spring", "s:switch-names", "swaps Sage for"),
        ("Since they moved from Excel to SAP, the close takes 12 days", "s:switch-past",
         "moved from Excel to"),
        ("Vans break down, so they ask for 20 new vans", "s:so-ask-object", "so they ask"),
        ("Vans break down, so deliveries are late", "s:so-effect", "so deliveries"),
        ("Nurses are not able to find free beds", "s:cannot", "are not able to find"),
        ("From Jira Server to Jira Cloud, 400 users", "s:from-name-to-name",
         "From Jira Server to"),
        ("Agents cannot change a booking", "s:cannot", "cannot"),
        ("Drop the Avaya phones and go to Teams", "s:out-and-in", "Drop the Avaya phones and go"),
    ],
)
def test_shape_features_of_switches_asks_after_so_and_negated_verbs(
    statement: str, feature: str, words: str, language: ProductLanguage
) -> None:
    """The shapes the model weighs for vendor switches, a problem that ends in an ask, and a
    capability that is missing, each tied to the words that show it."""
    from coachkit.coaching.language_features import features

    found = [f for f in features(statement, language)[0] if f.name == feature]
    assert [statement[f.start : f.end] for f in found] == [words]


def test_a_switch_between_non_names_or_a_cause_raises_no_switch_shape(
    language: ProductLanguage,
) -> None:
    from coachkit.coaching.language_features import features

    for statement in (
        "Lead times went from two weeks to seven weeks",
        "Trucks drive from Rotterdam to Duisburg half empty",  # no switch verb before "from"
        "Vans break down, so they want to look at maintenance",
    ):
        names = {f.name for f in features(statement, language)[0]}
        assert not names & {"s:switch-names", "s:switch-past", "s:so-ask-object"}, statement


def test_a_negated_problem_verb_still_counts_as_a_verb(language: ProductLanguage) -> None:
    """"Staff cannot see X": the hidden negated verb must not make it a verbless noun phrase."""
    from coachkit.coaching.language_features import features

    names = {f.name for f in features("Claims handlers are not able to see the history",
                                      language)[0]}
    assert "s:no-verb" not in names
    assert {"s:cannot", "n:see"} <= names
