"""The product-language check: is a problem statement really product talk?

A seller who writes "they need a new scheduling system", "Two additional storage shelves" or
"Renewal of the EA plus 50 E5 upgrades" has described something to sell, not the customer's
problem. A problem is an effect on the customer's business, people or numbers, and may name
the system that causes it ("the LIMS and the ERP disagree on batch numbers, so QA re-keys 300
records a week").

Two parts. The word lists of ``settings.toml`` (table ``[product_language]``) find evidence:
asks (a want or buying verb with a product word), the team's own offer, implied asks ("new
MES"), buying terms, past purchases; metrics, pains, outcomes, consequences, people. Then a
small linear model (``language_model.json``, trained by :mod:`coachkit.coaching.language_train`
on labelled statements) weighs that evidence with the words and the shape of the sentence
(see :mod:`coachkit.coaching.language_features`). The team's product names add
``weight_product_name``. Product talk when the probability reaches ``threshold``.

Deterministic and explainable: the verdict quotes the words and patterns that weighed most.
No scikit-learn at run time: the weights are a JSON table read once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from coachkit.coaching.settings import ProductLanguageSettings, Settings

_LIST_KEYS = tuple(name for name, f in ProductLanguageSettings.model_fields.items()
                   if f.annotation == list[str])
_NUMBER_KEYS = tuple(name for name in ProductLanguageSettings.model_fields
                     if name not in _LIST_KEYS)

# Typographic quotes and dashes become their ASCII forms, one character for one, so that
# match positions still index the original text.
_ASCII = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2013": "-", "\u2014": "-"})
_VOWELS = frozenset("aeiou")
_START = r"(?<!\w)"
_END = r"(?!\w)"
_CLAUSE_PUNCT = re.compile(r"[,;:.!?()\[\]\n]")


def _word_forms(word: str) -> str:
    """A regex for a word and its common endings: miss, misses, missed, missing."""
    base = re.escape(word)
    if not word.isalpha():
        return base + "s?"
    if len(word) <= 3:
        # Short words take no -ed/-d/-es: "us" must not match "used", nor "ai" "aid".
        alts = [base + ("(?:s|es|ing)?" if word.endswith("o") else "(?:s|ing)?")]
    else:
        alts = [base + "(?:s|es|ed|d|ing)?"]
    if word.endswith("e") and len(word) > 2:
        alts.append(re.escape(word[:-1]) + "ing")
    if len(word) > 2 and word.endswith("y") and word[-2] not in _VOWELS:
        alts.append(re.escape(word[:-1]) + "(?:ies|ied)")
    if (
        len(word) >= 3
        and word[-1] not in _VOWELS
        and word[-1] not in "wxy"
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
    ):
        alts.append(base + re.escape(word[-1]) + "(?:ed|ing)")
    return "(?:" + "|".join(alts) + ")"


def _phrase(entry: str, inflect: bool) -> str:
    """A regex for one list entry; with ``inflect`` its first and last words take endings."""
    words = [w for w in re.split(r"[\s\-]+", entry.strip().lower()) if w]
    if not words:
        return ""
    parts = [re.escape(w) for w in words]
    if inflect:
        parts[0] = _word_forms(words[0])
        if len(words) > 1:
            parts[-1] = _word_forms(words[-1])
    return r"[\s\-]+".join(parts)


def _alternation(entries: Iterable[str], inflect: bool) -> str:
    """Longest entries first, so "plant manager" wins over "manager" at the same place."""
    unique = sorted({e.strip().lower() for e in entries if e.strip()}, key=len, reverse=True)
    parts = [p for p in (_phrase(e, inflect) for e in unique) if p]
    if not parts:
        return r"(?!x)x"  # matches nothing
    return "(?:" + "|".join(parts) + ")"


def _words(pattern: str) -> str:
    return _START + pattern + _END


@dataclass(frozen=True)
class ProductLanguage:
    """Compiled word lists from the settings.

    Build it once with :meth:`from_settings` and reuse it: compiling the patterns is the only
    costly step, and identical settings share one compiled instance.
    """

    ask: re.Pattern[str]
    want_acquire: re.Pattern[str]
    replace: re.Pattern[str]
    own: re.Pattern[str]
    wish: re.Pattern[str]
    names: re.Pattern[str]
    commercial: re.Pattern[str]
    deal: re.Pattern[str]
    nouns: re.Pattern[str]
    negation: re.Pattern[str]
    clause_end: re.Pattern[str]
    metric: re.Pattern[str]
    pain: re.Pattern[str]
    outcome: re.Pattern[str]
    consequence: re.Pattern[str]
    people: re.Pattern[str]
    filler: frozenset[str]
    existing: frozenset[str]
    definite: frozenset[str]
    want_head: re.Pattern[str]
    history: frozenset[str]
    past_verbs: frozenset[str]
    name_weight: float
    threshold: float
    explain_words: int
    model: Model = field(repr=False, compare=False, hash=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> ProductLanguage:
        """Compile ``[product_language]`` and ``[team] product_names`` (checked already by
        the settings models)."""
        table = settings.product_language
        return _compile(tuple(tuple(getattr(table, k)) for k in _LIST_KEYS),
                        tuple(float(getattr(table, k)) for k in _NUMBER_KEYS),
                        tuple(settings.team.product_names))


@dataclass(frozen=True)
class Verdict:
    """The check's answer, with the words that decided it."""

    is_product: bool
    triggers: tuple[str, ...]
    problem_signals: tuple[str, ...]
    explanation: str
    probability: float = 0.0
    """The model's probability that the statement is product talk."""


@lru_cache(maxsize=16)
def _compile(
    lists: tuple[tuple[str, ...], ...], numbers: tuple[float, ...], names: tuple[str, ...]
) -> ProductLanguage:
    """Build every pattern once per distinct settings (cached: rules call this per deal)."""
    w = dict(zip(_LIST_KEYS, lists, strict=True))
    n = dict(zip(_NUMBER_KEYS, numbers, strict=True))

    def alt(key: str, inflect: bool = True) -> str:
        return _alternation(w[key], inflect)

    stop = _alternation(w["ask_breakers"] + w["clause_words"], False)
    token = rf"(?:(?!{stop}(?![\w'\-]))(?:[\w'&/+%$£€\-]|\.(?=\w))+)"
    loose = rf"(?:(?!{alt('clause_words', False)}(?![\w'\-]))(?:[\w'&/+%$£€\-]|\.(?=\w))+)"
    window = max(0, int(n["ask_window"]))
    replace_window = max(0, int(n["replace_window"]))
    gap = rf"(?P<gap>(?:\s+{token}){{0,{window}}}?)"
    name_alt = _alternation(names, False)
    obj = (
        rf"(?P<obj>{name_alt}|{alt('product_nouns')}|{alt('commercial_terms')}"
        rf"|{alt('ask_objects', False)}){_END}"
    )
    want, acquire, chain = alt("want_phrases"), alt("acquire_verbs"), alt("chain_verbs")
    verb = rf"(?P<verb>{want}(?:\s+to\s+(?:{acquire}|{chain}))?|{acquire})"
    ask = _START + verb + gap + r"\s+" + obj
    want_acquire = rf"{_START}(?P<verb>{want}\s+to\s+{acquire}){_END}"
    replace = (
        rf"{_START}(?P<verb>(?:{want}\s+to\s+)?{alt('replace_verbs')})"
        rf"(?:\s+{loose}){{0,{replace_window}}}?\s+(?:with|to|onto|by|for)" + gap + r"\s+" + obj
    )
    thing = rf"(?:{alt('product_nouns')}|{alt('commercial_terms')})"
    own_gap = rf"(?P<gap>(?:\s+{token}){{0,2}}?)"
    own = rf"{_START}{alt('own_pronouns', False)}{own_gap}\s+(?P<obj>{thing}){_END}"
    wish_gap = rf"(?P<gap>(?:\s+{token})?)"
    wish = rf"{_START}{alt('wish_modifiers', False)}{wish_gap}\s+(?P<obj>{thing}){_END}"

    # Bounded repeats only: "twenty-five" is two words; unbounded runs would backtrack badly.
    numword = alt("number_words", False)
    amount = r"\d{1,15}(?:,\d{3}){0,6}(?:\.\d+)?"
    num = rf"(?:{amount}|{numword}(?:[\s\-]{{1,3}}{numword}){{0,2}})"
    unit = alt("time_units")
    per = rf"\s+(?:a|an|per|each|every)\s+{unit}{_END}"
    metric = "|".join(
        [
            rf"[$£€¥]\s?{amount}(?:\s?(?:k|m|bn|b|million|billion|thousand))?{_END}",
            rf"{_START}{amount}\s?(?:k|m|bn|million|billion)?\s?"
            rf"(?:dollars|pounds|euros|usd|gbp|eur){_END}",
            rf"{_START}{num}\s?(?:%|percent{_END}|per\s+cent{_END})",
            rf"{_START}(?<!next\s){num}[\s\-]?{unit}{_END}(?:{per})?",
            rf"{_START}{num}\s+(?:in|out\s+of)\s+{num}{_END}",
            rf"{_START}\d+(?:\.\d+)?\s?x{_END}",
            rf"{_START}(?:twice|{num}\s+times){per}",
            rf"{_START}{num}(?:\s+[\w'\-]+){{1,3}}?{per}",
        ]
    )
    flags = re.IGNORECASE
    return ProductLanguage(
        ask=re.compile(ask, flags),
        want_acquire=re.compile(want_acquire, flags),
        replace=re.compile(replace, flags),
        own=re.compile(own, flags),
        wish=re.compile(wish, flags),
        names=re.compile(_words(name_alt), flags),
        commercial=re.compile(_words(alt("commercial_terms")), flags),
        deal=re.compile(_words(alt("deal_words")), flags),
        nouns=re.compile(_words(alt("product_nouns")), flags),
        negation=re.compile(_words(alt("negations", False)), flags),
        clause_end=re.compile(rf"[,;:.!?()\[\]\n]|{_words(alt('clause_words', False))}", flags),
        metric=re.compile(metric, flags),
        pain=re.compile(_words(alt("pain_terms")), flags),
        outcome=re.compile(_words(alt("outcome_terms")), flags),
        consequence=re.compile(_words(alt("consequence_phrases")), flags),
        people=re.compile(_words(alt("affected_people")), flags),
        filler=frozenset(f.lower() for f in w["filler_words"]),
        existing=frozenset(e.lower() for e in w["existing_markers"]),
        definite=frozenset(d.lower() for d in w["definite_words"] + w["existing_markers"]),
        want_head=re.compile(_START + want + _END, flags),
        history=frozenset(h.lower() for h in w["history_words"]),
        past_verbs=frozenset(v.lower() for v in w["irregular_past"]),
        name_weight=n["weight_product_name"],
        threshold=n["threshold"],
        explain_words=int(n["explain_words"]),
        model=load_model(),
    )


@dataclass(frozen=True)
class _Hit:
    """One piece of evidence: where it is, what it says, what it weighs."""

    start: int
    end: int
    kind: str
    shown: tuple[str, ...]


def _clean(text: str) -> str:
    return " ".join(text.split())


def _span_hit(text: str, m: re.Match[str], kind: str) -> _Hit:
    """A hit that shows the matched words as the seller wrote them."""
    return _Hit(m.start(), m.end(), kind, (_clean(text[m.start() : m.end()]),))


class _Mask:
    """Which characters of the text are already claimed: O(span) checks, even for long text."""

    def __init__(self, size: int) -> None:
        self._taken = bytearray(size)

    def free(self, start: int, end: int) -> bool:
        return not any(self._taken[start:end])

    def claim(self, start: int, end: int) -> None:
        self._taken[start:end] = b"\x01" * (end - start)


def _object_phrase(original: str, match: re.Match[str], filler: frozenset[str]) -> str:
    """The product word with the one word before it, unless that word is filler."""
    obj = _clean(original[match.start("obj") : match.end("obj")])
    gap = original[match.start("gap") : match.end("gap")].split()
    if gap and gap[-1].lower() not in filler and gap[-1][:1].isalpha():
        return f"{gap[-1]} {obj}"
    return obj


def _negated(norm: str, lang: ProductLanguage) -> _Mask:
    """From each negation to the end of its clause: product words there do not count."""
    mask = _Mask(len(norm))
    pos = 0
    while (neg := lang.negation.search(norm, pos)) is not None:
        end = lang.clause_end.search(norm, neg.end())
        stop = end.start() if end else len(norm)
        mask.claim(neg.start(), stop)
        pos = max(stop, neg.end())
    return mask


def _words_before(norm: str, start: int, count: int) -> list[str]:
    return [w.lower().strip(",;:'\"") for w in norm[max(0, start - 80) : start].split()[-count:]]


def _is_existing(norm: str, start: int, markers: frozenset[str], count: int = 3) -> bool:
    """'their legacy billing system': the customer's own system, named as a cause."""
    return any(word in markers for word in _words_before(norm, start, count))


def _is_history(norm: str, match: re.Match[str], lang: ProductLanguage) -> bool:
    """'they bought a WMS', 'after installing the system': a past purchase, not an ask.

    A want stays an ask in the past tense ("asked for a quote"); only an acquire verb in the
    past ("implemented", "bought") or after a history word ("since moving to") is history.
    """
    verb = norm[match.start("verb") : match.end("verb")]
    if lang.want_head.match(verb):
        return False
    first = verb.split()[0].lower() if verb.split() else ""
    if first.endswith("ed") or first in lang.past_verbs:
        return True
    return any(w in lang.history for w in _words_before(norm, match.start(), 2))


def _product_hits(
    text: str, norm: str, lang: ProductLanguage, roles: _Mask
) -> tuple[list[_Hit], list[_Hit]]:
    """Product evidence, strongest kind first, each word counted once; plus negated evidence.

    ``roles`` are the spans of people words: "product manager" is a person, not a product.
    """
    negated_mask = _negated(norm, lang)
    hits: list[_Hit] = []
    negated: list[_Hit] = []
    taken = _Mask(len(norm))

    def add(hit: _Hit) -> None:
        if not taken.free(hit.start, hit.end):
            return
        taken.claim(hit.start, hit.end)
        if negated_mask.free(hit.start, hit.start + 1):
            hits.append(hit)
        else:
            negated.append(hit)

    for pattern in (lang.ask, lang.replace):
        for m in pattern.finditer(norm):
            verb = _clean(text[m.start("verb") : m.end("verb")])
            shown = (verb, _object_phrase(text, m, lang.filler))
            if _is_history(norm, m, lang):
                add(_Hit(m.start(), m.end(), "history", shown))
            else:
                add(_Hit(m.start(), m.end(), "ask", shown))
    for m in lang.own.finditer(norm):
        add(_span_hit(text, m, "own"))
    for m in lang.wish.finditer(norm):
        if _is_existing(norm, m.start(), lang.definite, 1):
            add(_span_hit(text, m, "existing"))
        else:
            add(_span_hit(text, m, "wish"))
    for m in lang.want_acquire.finditer(norm):
        add(_span_hit(text, m, "want_acquire"))
    for m in lang.names.finditer(norm):
        add(_span_hit(text, m, "name"))
    for pattern, kind in ((lang.commercial, "commercial"), (lang.nouns, "noun")):
        for m in pattern.finditer(norm):
            if not roles.free(m.start(), m.end()):
                continue
            if kind == "noun" and _is_existing(norm, m.start(), lang.existing):
                kind = "existing"
            add(_span_hit(text, m, kind))
    return hits, negated


def _is_price_figure(norm: str, match: re.Match[str], lang: ProductLanguage) -> bool:
    """'20% discount', 'a 3-year deal', 'discount of 15%' describe the deal, not the customer."""
    after = norm[match.end() : match.end() + 60].lstrip()
    if lang.deal.match(after) or lang.commercial.match(after):
        return True
    before = norm[max(0, match.start() - 60) : match.start()].rstrip()
    return bool(re.search(r"(?<!\w)(?:of|at)$", before, re.IGNORECASE)) and bool(
        lang.commercial.search(before)
    )


def _problem_hits(text: str, norm: str, lang: ProductLanguage) -> list[_Hit]:
    """Problem evidence: metrics first, then pains, outcomes, consequences and people."""
    hits: list[_Hit] = []
    taken = _Mask(len(norm))
    for m in lang.metric.finditer(norm):
        if not _is_price_figure(norm, m, lang):
            taken.claim(m.start(), m.end())
            hits.append(_span_hit(text, m, "metric"))
    groups = (
        (lang.pain, "pain"),
        (lang.outcome, "outcome"),
        (lang.consequence, "consequence"),
        (lang.people, "person"),
    )
    for pattern, kind in groups:
        for m in pattern.finditer(norm):
            if taken.free(m.start(), m.end()):
                taken.claim(m.start(), m.end())
                hits.append(_span_hit(text, m, kind))
    return hits


def _shown(hits: Iterable[_Hit]) -> tuple[str, ...]:
    """The words of the hits in text order, without repeats."""
    out: list[str] = []
    lowered: set[str] = set()
    for hit in sorted(hits, key=lambda h: h.start):
        for s in hit.shown:
            if s and s.lower() not in lowered:
                lowered.add(s.lower())
                out.append(s)
    return tuple(out)


def _quote(words: Sequence[str], limit: int = 6) -> str:
    listed = ", ".join(f"'{w}'" for w in words[:limit])
    return listed + (", ..." if len(words) > limit else "")


def evidence(
    text: str, language: ProductLanguage
) -> tuple[list[_Hit], list[_Hit], list[_Hit]]:
    """The word lists' evidence in ``text``: product hits, negated product hits, problem hits."""
    norm = text.translate(_ASCII)
    problem = _problem_hits(text, norm, language)
    roles = _Mask(len(norm))
    for hit in problem:
        if hit.kind == "person":
            roles.claim(hit.start, hit.end)
    product, negated = _product_hits(text, norm, language, roles)
    return product, negated, problem


@dataclass(frozen=True)
class Model:
    """The trained weights: a log-odds intercept and one weight per feature name."""

    intercept: float
    weights: dict[str, float] = field(repr=False)


MODEL_FILE = "language_model.json"


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The weights shipped in the package (a small JSON table; no scikit-learn needed)."""
    raw = json.loads(resources.files("coachkit.coaching").joinpath(MODEL_FILE).read_text("utf-8"))
    return Model(float(raw["intercept"]), {str(k): float(v) for k, v in raw["weights"].items()})


# What a pattern of the sentence's shape is called in an explanation.
_PATTERNS = {
    "s:short-list": "a list of short items",
    "s:no-verb": "no verb",
    "s:short": "a short phrase",
    "s:question": "a question",
}


@dataclass(frozen=True)
class _Part:
    """One feature's share of the score, and how the explanation shows it."""

    weight: float
    start: int
    end: int
    shown: tuple[str, ...]
    pattern: str
    evidence: bool = False
    """Raised by the word lists (an ask, a metric...), not by a single word or pair."""


def _parts(text: str, language: ProductLanguage) -> tuple[float, list[_Part], list[_Hit]]:
    """The model's score of ``text`` and each distinct feature's part in it."""
    from coachkit.coaching.language_features import features

    found, negated = features(text, language)
    weights = language.model.weights
    score = language.model.intercept
    parts: list[_Part] = []
    seen: set[str] = set()
    for f in found:
        w = language.name_weight if f.name == "r:name" else weights.get(f.name, 0.0)
        if f.name in seen:
            continue
        seen.add(f.name)
        score += w
        if w:
            pattern = _PATTERNS.get(f.name, "")
            shown = () if pattern else f.shown or (_clean(text[f.start : f.end]),)
            parts.append(_Part(w, f.start, f.end, shown, pattern, f.name.startswith("r:")))
    return score, parts, negated


# Words too plain to quote as the reason for a verdict (they still weigh in the score).
_PLAIN = frozenset(
    {
        "a", "an", "the", "to", "for", "of", "in", "on", "at", "by", "with", "and", "or", "is",
        "are", "be", "it", "its", "this", "that", "these", "those", "they", "them", "their", "we",
        "our", "us", "he", "she", "his", "her", "as", "from", "into", "per", "so", "e", "s"
    }
)


def _quotable(words: tuple[str, ...]) -> bool:
    found = (w for phrase in words for w in re.findall(r"[\w'%$£€]+", phrase))
    return any(w.lower() not in _PLAIN for w in found)


def _deciding(
    parts: Iterable[_Part], limit: int, taken: set[int] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], set[int]]:
    """The heaviest parts on one side: up to ``limit`` words in text order, up to ``limit``
    patterns, and the characters the words cover. A part overlapping one already quoted (or
    ``taken``) is skipped."""
    chosen: list[_Part] = []
    covered: set[int] = set(taken or ())
    mine: set[int] = set()
    patterns: list[str] = []
    for part in sorted(parts, key=lambda p: (-abs(p.weight), p.start)):
        if part.pattern:
            if part.pattern not in patterns and len(patterns) < limit:
                patterns.append(part.pattern)
            continue
        span = set(range(part.start, part.end))
        if not _quotable(part.shown):
            continue
        inner = [c for c in chosen if set(range(c.start, c.end)) <= span] if part.evidence else []
        held = {i for c in inner for i in range(c.start, c.end)}
        if inner and not span & (covered - mine - held):
            # The word lists' phrase holding words already quoted ("want" in "want a gizmo")
            # says more: it takes their place.
            chosen = [c for c in chosen if c not in inner] + [part]
            covered |= span
            mine |= span
            continue
        if len(chosen) >= limit or span & covered:
            continue
        chosen.append(part)
        covered |= span
        mine |= span
    ordered: list[str] = []
    for part in sorted(chosen, key=lambda p: p.start):
        ordered.extend(w for w in part.shown if w not in ordered)
    return tuple(ordered), tuple(patterns), mine


def _with_patterns(words: Sequence[str], patterns: Sequence[str]) -> str:
    quoted = _quote(words)
    if patterns:
        quoted += ("; " if quoted else "") + "pattern: " + ", ".join(patterns)
    return quoted


def check(text: str, language: ProductLanguage) -> Verdict:
    """Say whether ``text`` reads as product talk, and which words and patterns decided."""
    if not isinstance(text, str) or not text.strip():
        return Verdict(False, (), (), "empty statement: nothing to check")
    score, parts, negated = _parts(text, language)
    probability = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, score))))
    limit = language.explain_words
    pros = [p for p in parts if p.weight > 0]
    cons = [p for p in parts if p.weight < 0]
    if probability >= language.threshold:
        product, product_patterns, won = _deciding(pros, limit)
        problem, problem_patterns, _ = _deciding(cons, limit, won)
    else:
        problem, problem_patterns, won = _deciding(cons, limit)
        product, product_patterns, _ = _deciding(pros, limit, won)
    # Product talk must be shown in the seller's words: a shape alone never decides.
    is_product = probability >= language.threshold and bool(product)
    share = f"{probability:.0%}"
    if is_product:
        explanation = f"reads as product talk ({share}): " + _with_patterns(
            product, product_patterns)
        if problem or problem_patterns:
            explanation += f" (outweighs {_with_patterns(problem, problem_patterns)})"
        return Verdict(True, product, problem, explanation, probability)
    if probability >= language.threshold:
        explanation = "no product talk found: no words to quote"
        if product_patterns:
            explanation += f", only the pattern {', '.join(product_patterns)}"
    elif problem or problem_patterns:
        explanation = (
            f"reads as a customer problem ({1 - probability:.0%} sure): "
            f"{_with_patterns(problem, problem_patterns)}"
        )
        if product or product_patterns:
            explanation += f" (outweighs {_with_patterns(product, product_patterns)})"
    elif product:
        explanation = f"product words too weak to call it product talk: {_quote(product)}"
    else:
        explanation = "no product talk found"
    if negated:
        explanation += f"; negated, so ignored: {_quote(_shown(negated))}"
    return Verdict(False, (), problem, explanation, probability)
