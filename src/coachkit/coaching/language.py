"""The product-language check: is a problem statement really product talk?

A seller who writes "they need a new scheduling system" has described something to sell, not
the customer's problem. This module reads a statement and weighs two kinds of evidence:

* product talk: an *ask* (a want or buying verb whose object is a product word: "need to buy a
  new scheduling system"), the team's own offer ("our analytics module"), a team product name,
  an implied ask ("new MES"), buying terms (price, discount, demo, licences) and bare product
  words (system, tool, features);
* a customer problem: metrics (money, percentages, durations, rates), pains (downtime, churn,
  delays, fines, manual work), outcomes (targets, margins, bonus), consequences ("so", "which
  means") and the people affected.

It is product talk only when the product side scores at least ``min_product_score`` and more
than the problem side. So a problem that names the system causing it ("their scheduling system
double-books technicians, so 15% of visits are missed") stays a problem, while an ask with a
vague reason ("they need a new ERP because the old one is slow") is product talk.

Everything is deterministic and explainable: the verdict names the words that decided it. All
word lists and weights live in ``settings.toml``, table ``[product_language]``; the team's own
product names come from ``[team] product_names``; the settings models check them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

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
class _Weights:
    ask: float
    own_product: float
    product_name: float
    wish: float
    commercial: float
    product_noun: float
    existing_system: float
    want_acquire: float
    history: float
    metric: float
    pain: float
    outcome: float
    consequence: float
    person: float
    min_product_score: float
    problem_margin: float


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
    weights: _Weights

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
        weights=_Weights(
            ask=n["weight_ask"],
            own_product=n["weight_own_product"],
            product_name=n["weight_product_name"],
            wish=n["weight_wish"],
            commercial=n["weight_commercial"],
            product_noun=n["weight_product_noun"],
            existing_system=n["weight_existing_system"],
            want_acquire=n["weight_want_acquire"],
            history=n["weight_history"],
            metric=n["weight_metric"],
            pain=n["weight_pain"],
            outcome=n["weight_outcome"],
            consequence=n["weight_consequence"],
            person=n["weight_person"],
            min_product_score=n["min_product_score"],
            problem_margin=n["problem_margin"],
        ),
    )


@dataclass(frozen=True)
class _Hit:
    """One piece of evidence: where it is, what it says, what it weighs."""

    start: int
    end: int
    kind: str
    shown: tuple[str, ...]
    weight: float


def _clean(text: str) -> str:
    return " ".join(text.split())


def _span_hit(text: str, m: re.Match[str], kind: str, weight: float) -> _Hit:
    """A hit that shows the matched words as the seller wrote them."""
    return _Hit(m.start(), m.end(), kind, (_clean(text[m.start() : m.end()]),), weight)


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
    wt = lang.weights
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
                add(_Hit(m.start(), m.end(), "history", shown, wt.history))
            else:
                add(_Hit(m.start(), m.end(), "ask", shown, wt.ask))
    for m in lang.own.finditer(norm):
        add(_span_hit(text, m, "own", wt.own_product))
    for m in lang.wish.finditer(norm):
        if _is_existing(norm, m.start(), lang.definite, 1):
            add(_span_hit(text, m, "existing", wt.existing_system))
        else:
            add(_span_hit(text, m, "wish", wt.wish))
    for m in lang.want_acquire.finditer(norm):
        add(_span_hit(text, m, "want_acquire", wt.want_acquire))
    for m in lang.names.finditer(norm):
        add(_span_hit(text, m, "name", wt.product_name))
    for pattern, kind in ((lang.commercial, "commercial"), (lang.nouns, "noun")):
        for m in pattern.finditer(norm):
            if not roles.free(m.start(), m.end()):
                continue
            weight = wt.commercial if kind == "commercial" else wt.product_noun
            if kind == "noun" and _is_existing(norm, m.start(), lang.existing):
                kind, weight = "existing", wt.existing_system
            add(_span_hit(text, m, kind, weight))
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
    wt = lang.weights
    hits: list[_Hit] = []
    taken = _Mask(len(norm))
    for m in lang.metric.finditer(norm):
        if not _is_price_figure(norm, m, lang):
            taken.claim(m.start(), m.end())
            hits.append(_span_hit(text, m, "metric", wt.metric))
    groups = (
        (lang.pain, "pain", wt.pain),
        (lang.outcome, "outcome", wt.outcome),
        (lang.consequence, "consequence", wt.consequence),
        (lang.people, "person", wt.person),
    )
    for pattern, kind, weight in groups:
        for m in pattern.finditer(norm):
            if taken.free(m.start(), m.end()):
                taken.claim(m.start(), m.end())
                hits.append(_span_hit(text, m, kind, weight))
    return hits


def _score(hits: Iterable[_Hit]) -> float:
    """Each distinct word counts once, however often it is repeated."""
    seen: dict[tuple[str, tuple[str, ...]], float] = {}
    for hit in hits:
        seen[(hit.kind, tuple(s.lower() for s in hit.shown))] = hit.weight
    return sum(seen.values())


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


def check(text: str, language: ProductLanguage) -> Verdict:
    """Say whether ``text`` reads as product talk, and which words made it so."""
    if not isinstance(text, str) or not text.strip():
        return Verdict(False, (), (), "empty statement: nothing to check")
    norm = text.translate(_ASCII)
    problem = _problem_hits(text, norm, language)
    roles = _Mask(len(norm))
    for hit in problem:
        if hit.kind == "person":
            roles.claim(hit.start, hit.end)
    product, negated = _product_hits(text, norm, language, roles)
    product_score, problem_score = _score(product), _score(problem)
    wt = language.weights
    is_product = (
        product_score >= wt.min_product_score and product_score > problem_score + wt.problem_margin
    )
    product_words, problem_words = _shown(product), _shown(problem)
    if is_product:
        explanation = f"reads as product talk: {_quote(product_words)}"
        if problem_words:
            explanation += f" (outweighs the problem words {_quote(problem_words)})"
        return Verdict(True, product_words, problem_words, explanation)
    if problem_words:
        explanation = f"reads as a customer problem: {_quote(problem_words)}"
        if product_words:
            explanation += f" (outweighs the product words {_quote(product_words)})"
    elif product_words:
        explanation = f"product words too weak to call it product talk: {_quote(product_words)}"
    else:
        explanation = "no product talk found"
    if negated:
        explanation += f"; negated, so ignored: {_quote(_shown(negated))}"
    return Verdict(False, (), problem_words, explanation)
