"""The features the product-language model weighs, each tied to the words that raised it.

One home for the features, shared by the check at run time (:mod:`coachkit.coaching.language`)
and by the training script (:mod:`coachkit.coaching.language_train`), so the shipped weights
always read the same features. Pure Python: nothing here imports scikit-learn.

Three kinds of feature, each a name with the span of text that raised it:

* ``w:`` a word's lemma and ``b:`` two neighbouring lemmas ("refresh", "additional",
  "<num> more", "what they"), numbers folded into ``<num>``, ``<pct>`` and ``<money>``;
* ``r:`` the evidence of the word-list reader of :mod:`coachkit.coaching.language`: an ask
  ("need a CRM"), the team's own offer, an implied ask ("new MES"), buying terms, a past
  purchase, and on the problem side metrics, pains, outcomes, consequences, people;
* ``s:`` the shape of the sentence: it opens with a quantity or a noun of acquiring ("Two
  additional ...", "Refresh of ..."), a problem that ends in a want ("..., so what they need
  is ..."), the seller proposing ("we propose"), a switch "from X to Y", a switch between
  two named things ("from Notes to SharePoint", "leave AWS for Azure"; in the past tense
  it is a problem's context), what the last "so"/"therefore"/"hence" clause carries (an ask
  for a thing, or an effect), what a want reaches for (to acquire, to act, a better
  outcome), a missing capability ("not able to", "cannot"), a question, a list of features,
  a statement with no verb;
* ``n:`` the first words under a negation ("not able to *see*").

Words inside a negated clause ("they are not looking for new software") raise no ``w:``,
``b:`` or ``r:`` feature (only ``n:`` and ``s:cannot``), but still count as verbs.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coachkit.coaching.language import ProductLanguage, _Hit


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# A token: money, a percentage, a number, or a word (apostrophes inside; hyphens split).
_TOKEN = re.compile(
    r"[$£€¥]\s?\d[\d,.]*(?:\s?(?:k|m|bn|million|billion)(?![a-z]))?"
    r"|\d[\d,.]*\s?(?:%|percent(?![a-z]))"
    r"|\d[\d,.]*(?:k|m|bn|x|h|tb|gb|gbit)?(?![a-z])"
    r"|[^\W\d_](?:[^\W_]|['\u2019](?=[^\W\d_]))*",
    re.IGNORECASE,
)
_NUMBER_WORDS = _set(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty sixty hundred thousand dozen million billion"
)
# Irregular forms the suffix rules below cannot undo.
_IRREGULAR = {
    "bought": "buy", "lost": "lose", "left": "leave", "fell": "fall", "rose": "rise",
    "went": "go", "gone": "go", "took": "take", "taken": "take", "got": "get", "ran": "run",
    "sent": "send", "spent": "spend", "paid": "pay", "made": "make", "kept": "keep",
    "grew": "grow", "grown": "grow", "came": "come", "gave": "give", "given": "give",
    "said": "say", "told": "tell", "knew": "know", "known": "know", "found": "find",
    "saw": "see", "seen": "see", "broke": "break", "broken": "break", "stole": "steal",
    "stolen": "steal", "thought": "think", "brought": "bring", "built": "build",
    "is": "be", "are": "be", "was": "be", "were": "be", "been": "be", "am": "be",
    "has": "have", "had": "have", "does": "do", "did": "do", "done": "do",
    "children": "child", "people": "people", "men": "man", "women": "woman",
    "data": "data", "analysis": "analysis", "series": "series", "news": "news",
    "its": "its", "this": "this", "us": "us", "bus": "bus", "buses": "bus", "gas": "gas",
}  # fmt: skip
_VOWELS = frozenset("aeiouy")


def lemma(word: str) -> str:
    """A word's stem: 'replacing', 'replaced', 'replace' -> 'replac'; 'shelves' -> 'shelf'.

    Suffix rules and a short list of irregular forms: deterministic, instant, no data file.
    The stem is only a feature name; the explanation always quotes the words as written.
    """
    w = word.lower().replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ves") and len(w) > 5:
        w = w[:-3] + "f"
    elif w.endswith(("sses", "shes", "ches", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed", "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            stem = w[: -len(suffix)]
            if not any(c in _VOWELS for c in stem):
                return w
            if suffix != "e" and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]  # stopped -> stop, planning -> plan
            elif suffix == "ed" and stem.endswith("i"):
                stem = stem[:-1] + "y"  # applied -> apply
            return stem[:-1] if stem.endswith("e") and len(stem) > 3 else stem
    return w


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    lemma: str


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with their lemmas; numbers folded to a class."""
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        raw = m.group(0)
        low = raw.lower()
        if raw[0] in "$£€¥":
            lem = "<money>"
        elif raw[0].isdigit():
            lem = "<pct>" if low.endswith(("%", "percent")) else "<num>"
        elif low in _NUMBER_WORDS:
            lem = "<num>"
        else:
            lem = lemma(raw)
        out.append(Token(m.start(), m.end(), raw, lem))
    return out


@dataclass(frozen=True)
class Feature:
    """One feature and the span of text that raised it."""

    name: str
    start: int
    end: int
    shown: tuple[str, ...] = ()
    """The words to quote, when not simply the span's text."""


# Lemmas that open a verbless ask: "Refresh of ...", "Renewal of ...", "Additional 500 TB".
_ASK_OPENERS = _set(
    "refresh renewal renew replacement replace upgrade expansion extension extend "
    "additional extra more another new second migration migrate switch change move proposal "
    "propose quote offer request rfp rfq tender trial poc pilot demo licence license "
    "purchase buy acquisition rollout implementation install installation lifecycle tech "
    "upsell cross"
)
_QUANTIFIERS = _set("more additional extra another new second spare bigger larger")
_WE = frozenset({"we", "our"})
_PROPOSE = _set("propose proposal offer recommend pitch position quote plan")
_SWITCH = _set(
    "switch move migrate migration go change replace replacement leave swap exchange drop take rip"
)
_WANT = _set("need want require like ask wish search look answer solution request interest")
_SO = frozenset({"so", "therefore", "thus", "hence"})
# Verbs, auxiliaries and modals: a statement with none of them (nor a word in -ed or -ing)
# after its first word is a noun phrase, the shape of a shorthand ask.
_EFFECT_VERBS = _set(
    "be have lose miss wait take spend cost fail fall drop rise grow stop break leave quit "
    "complain pay get go come run arrive reject return drive walk re key enter call do "
    "double triple halve crash block overbook happen change decide weigh make use work know "
    "see think put keep give find show try start end close open send want need look ask "
    "will would can could should must may might shall"
)


def _lemmas(words: frozenset[str]) -> frozenset[str]:
    return frozenset(lemma(w) for w in words)


_ASK_OPENERS_L, _QUANTIFIERS_L, _PROPOSE_L = map(_lemmas, (_ASK_OPENERS, _QUANTIFIERS, _PROPOSE))
_SWITCH_L, _WANT_L, _EFFECT_L = map(_lemmas, (_SWITCH, _WANT, _EFFECT_VERBS))
_TAKE_L = _lemmas(_set("take go move buy get put bring install switch adopt choose"))
_WANT_HEAD_L = _lemmas(_set("want need wish like plan hope"))
_ACQUIRE_L = _lemmas(
    _set("buy purchase replace add renew upgrade switch migrate move implement install "
         "introduce roll order acquire license licence lease rent extend expand swap change")
)
_BETTER_L = _lemmas(_set("better fewer less easier faster improve improvement reduce smoother"))
_PREPOSITIONS = frozenset({"for", "to", "by", "with", "onto", "into", "from", "in", "at", "on"})
_SO_L = _lemmas(_SO)  # "therefore" stems to "therefor": compare stems with stems
_NEGATIONS = _set(
    "not no never nobody nothing nor without cannot can't don't doesn't didn't isn't aren't won't"
)
_SINCE_L = _lemmas(_set("since after when once already last ago"))
# Words after a want that make it an ask for a thing: "ask for two more sorters", "want a PAM".
_OBJECT_SKIP_L = _lemmas(_set("for us them from of about"))
_NOT_OBJECT_L = _lemmas(
    _set("to that it this better fewer less faster easier more help the their its our")
)
_ABILITY = _set("able allowed permitted longer capable")
_NEG_SKIP = _lemmas(_set("be do have not to the a an any able allow longer yet even always"))
_EVERY = _lemmas(_set("every each per daily weekly monthly yearly twice times always often again"))
_SPEC_UNITS = "year|yr|month|hour|hr|day|week|tb|gb|gbit|core|seat|user|node|site"
_SPEC = re.compile(
    rf"\b\d[\d.,]*\s?(?:%|-(?:{_SPEC_UNITS})s?\b)\s?(?!of\b|in\b|on\b|a\b|an\b|per\b|to\b|and\b|more\b|less\b|above\b|below\b|against\b|than\b|lower\b|higher\b|up\b|down\b|[,;.]|$)[a-z]",
    re.IGNORECASE,
)


def _negated_spans(text: str, lang: ProductLanguage) -> list[tuple[int, int]]:
    """From each negation to the end of its clause."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while (neg := lang.negation.search(text, pos)) is not None:
        end = lang.clause_end.search(text, neg.end())
        stop = end.start() if end else len(text)
        spans.append((neg.start(), stop))
        pos = max(stop, neg.end())
    return spans


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(a <= pos < b for a, b in spans)


def _shape(toks: list[Token], text: str, every: list[str]) -> Iterator[Feature]:
    """Features of the sentence's shape, each with the words that show it (``every``: the
    lemmas of all the words, negated ones too, for the verb test)."""
    if not toks:
        return
    lem = [t.lemma for t in toks]
    first = toks[0]
    # Opens with a quantity or an acquiring noun: "Two additional ...", "Refresh of ...".
    if lem[0] in _ASK_OPENERS_L:
        yield Feature("s:opens-with-ask", first.start, first.end)
    if lem[0] == "<num>" and len(toks) > 1:
        second = toks[1]
        yield Feature("s:opens-with-number", first.start, second.end)
    for i in range(len(toks) - 1):
        if lem[i] in {"<num>", "<pct>"} and lem[i + 1] in _QUANTIFIERS_L:
            yield Feature("s:number-more", toks[i].start, toks[i + 1].end)
    # The seller proposing: "we are proposing", "our proposal", "we recommend".
    for i, t in enumerate(lem):
        if t in _WE:
            for j in range(i + 1, min(i + 4, len(lem))):
                if lem[j] in _PROPOSE_L:
                    yield Feature("s:we-propose", toks[i].start, toks[j].end)
                    break
    # A switch from one thing to another.
    for i, t in enumerate(lem):
        if t == "from":
            for j in range(i + 2, min(i + 7, len(lem))):
                if lem[j] in {"to", "for"}:
                    before = lem[max(0, i - 4) : i]
                    if any(b in _SWITCH_L for b in before):
                        yield Feature("s:switch-from-to", toks[i].start, toks[j].end)
                    break
    # A switch of one thing for another: "leave X for Y", "replace X by Y", "swap X with Y".
    for i, t in enumerate(lem):
        # X is a thing: "changes for them by then" (a preposition first) is no switch.
        if t in _SWITCH_L and i + 1 < len(lem) and lem[i + 1] not in _PREPOSITIONS:
            for j in range(i + 2, min(i + 6, len(lem))):
                if lem[j] in {"for", "with", "by", "to", "onto"}:
                    yield Feature("s:switch-x-for-y", toks[i].start, toks[j].end)
                    break
    yield from _want_what(toks, lem)
    yield from _switch_names(toks, lem, first)
    yield from _so_clause(toks, lem)
    # A label and a colon opening a list or a scope: "Must have: ...", "Scope: ...".
    head = re.match(r"\s*(?:[^\W\d_][\w\-]*\s+){0,2}[^\W\d_][\w\-]*\s*:", text)
    if head:
        yield Feature("s:label-colon", head.start(), head.end() - 1)
    # A problem that ends in a want: "..., so what they need is ...".
    for i, t in enumerate(lem):
        if t in _SO_L or (t == "what" and i > 2):
            for j in range(i + 1, min(i + 5, len(lem))):
                if lem[j] in _WANT_L:
                    yield Feature("s:so-they-want", toks[i].start, toks[j].end)
                    break
    # A list of short items: "SSO, audit log, role-based access and an open API".
    commas = text.count(",")
    if commas >= 2:
        pieces = [p.split() for p in re.split(r",|\band\b", text)]
        short = [p for p in pieces if 0 < len(p) <= 3]
        if len(short) >= 3:
            yield Feature("s:short-list", first.start, toks[-1].end)
    # No verb at all: a noun phrase ("5-year maintenance on all four chillers").
    if not any(t in _EFFECT_L or t.endswith(("ed", "ing")) for t in every[1:]):
        yield Feature("s:no-verb", first.start, toks[-1].end)
    # Something told as having happened: a past form ("doubled", "tripled", "moved").
    for tok in toks[1:]:
        if tok.text.lower().endswith("ed") and len(tok.text) > 4:
            yield Feature("s:past-tense", tok.start, tok.end)
    # A negation: what does not happen is usually the problem ("do not get the messages").
    for tok in toks:
        if tok.text.lower().replace("\u2019", "'") in _NEGATIONS:
            yield Feature("s:negation", tok.start, tok.end)
    # How often: "every", "each", "per", "twice".
    for tok in toks:
        if tok.lemma in _EVERY:
            yield Feature("s:frequency", tok.start, tok.end)
    # A contract term: a figure that qualifies the next noun ("5-year maintenance", "99.9%
    # uptime"), not a measure of something ("15% of visits", "4% scrap").
    for m in _SPEC.finditer(text):
        yield Feature("s:term-figure", m.start(), m.end() - 1)
    if len(toks) <= 6:
        yield Feature("s:short", first.start, toks[-1].end)
    # A question ("What happens if ...?"): discovery or a coach's question, rarely an ask.
    if text.rstrip().endswith("?"):
        yield Feature("s:question", first.start, toks[-1].end)


def _is_name(tok: Token, first: Token) -> bool:
    """A product-ish name: a capitalised word inside the sentence ("SharePoint", "AWS"), or a
    word with a digit or an inner capital ("S7-1500", "NetSuite", "iPads")."""
    text = tok.text
    if not text[:1].isalpha():
        return False
    inner = any(c.isupper() for c in text[1:]) or any(c.isdigit() for c in text)
    return inner or (tok is not first and text[0].isupper())


def _switch_names(toks: list[Token], lem: list[str], first: Token) -> Iterator[Feature]:
    """A switch between two named things: "from Notes to SharePoint", "leave AWS for Azure".
    Told as past ("since they moved from X to Y", "changed from ...") it is context of a
    problem, not an ask: that raises its own feature."""
    for i, t in enumerate(lem):
        if t not in _SWITCH_L and t != "from":
            continue
        for j in range(i + 2, min(i + 8, len(lem))):
            if lem[j] not in {"to", "for", "with", "by", "onto", "into"}:
                continue
            left = toks[i + 1 : j]
            right = toks[j + 1 : j + 5]
            if any(_is_name(x, first) for x in left) and any(_is_name(x, first) for x in right):
                if t == "from" and any(lem[k] in _SWITCH_L for k in range(max(0, i - 3), i)):
                    break  # the switch verb before it raises the feature
                if t == "from":  # no verb: "From Jira Server to Jira Cloud", or places
                    yield Feature("s:from-name-to-name", toks[i].start, toks[j].end)
                    break
                past = toks[i].text.lower().endswith("ed") or any(
                    lem[k] in _SINCE_L for k in range(max(0, i - 4), i)
                )
                kind = "s:switch-past" if past else "s:switch-names"
                yield Feature(kind, toks[i].start, toks[j].end)
            break
    # One thing out and another in: "leave Trimble and take Samsara", "X instead of Y".
    for i, t in enumerate(lem):
        if t in _SWITCH_L or t == "rid":
            for j in range(i + 2, min(i + 8, len(lem) - 1)):
                if lem[j] == "and" and lem[j + 1] in _TAKE_L:
                    yield Feature("s:out-and-in", toks[i].start, toks[j + 1].end)
                    break
        if t == "instead" and i + 1 < len(lem) and lem[i + 1] == "of":
            yield Feature("s:instead-of", toks[i].start, toks[i + 1].end)


def _want_what(toks: list[Token], lem: list[str]) -> Iterator[Feature]:
    """What a want reaches for: to acquire ("want to replace", "need to buy"), to act ("want
    to look at", "want to improve") or a better outcome ("want better routing")."""
    for i, t in enumerate(lem):
        if t not in _WANT_HEAD_L:
            continue
        after = lem[i + 1 : i + 6]
        if len(after) >= 2 and after[0] == "to":
            kind = "s:want-to-acquire" if after[1] in _ACQUIRE_L else "s:want-to-act"
            yield Feature(kind, toks[i].start, toks[i + 2].end)
        for k, a in enumerate(after):
            if a in _BETTER_L:
                yield Feature("s:want-better", toks[i].start, toks[i + 1 + k].end)
                break


def _so_clause(toks: list[Token], lem: list[str]) -> Iterator[Feature]:
    """What the last "so"/"therefore"/"hence"/"that is why" clause carries: a want with an
    object ("..., so they ask for two more sorters") or an effect ("..., so trucks wait")."""
    starts = [i for i, t in enumerate(lem) if t in _SO_L and i > 1]
    starts += [i for i in range(1, len(lem) - 2) if lem[i : i + 3] == ["that", "be", "why"]]
    starts += [i for i in range(1, len(lem) - 1) if lem[i : i + 2] == ["that", "why"]]
    if not starts:
        return
    i = max(starts)
    clause = lem[i + 1 : i + 12]
    for j, t in enumerate(clause):
        if t in _WANT_L:
            obj = [o for o in clause[j + 1 : j + 6] if o not in _OBJECT_SKIP_L]
            kind = "s:so-ask-object" if obj and obj[0] not in _NOT_OBJECT_L else "s:so-want-to"
            yield Feature(kind, toks[i].start, toks[i + 1 + j].end)
            return  # the first want decides: "want to look at ..." is no ask for a thing
    yield Feature("s:so-effect", toks[i].start, toks[min(len(toks) - 1, i + 1)].end)


def _negation_features(
    text: str, toks: list[Token], spans: list[tuple[int, int]]
) -> Iterator[Feature]:
    """What is negated: "not able to", "cannot" (a capability missing: a problem's shape) and
    the first words under the negation ("n:see", "n:look"), hidden from the plain word features."""
    starts = [t.start for t in toks]
    for a, b in spans:
        lo, hi = bisect.bisect_left(starts, a), bisect.bisect_left(starts, b)
        inside = toks[lo:hi]
        if not inside:
            continue
        rest = [t for t in inside[1:] if t.lemma not in _NEG_SKIP]
        before = toks[lo - 1 : lo] if lo else []
        if (
            any(t.text.lower() in _ABILITY for t in inside[1:3])
            or (before and before[0].lemma in {"can", "could"})
        ):
            yield Feature("s:cannot", inside[0].start, (rest[0] if rest else inside[0]).end)
        for t in rest[:2]:
            yield Feature(f"n:{t.lemma}", t.start, t.end)
    # "cannot", "can't" and "unable to" (not negations of the word lists): the same shape.
    for m in re.finditer(r"\b(?:unable to|cannot|can['\u2019]?t)\b", text, re.IGNORECASE):
        yield Feature("s:cannot", m.start(), m.end())


def _rule_features(hits: list[_Hit]) -> Iterator[Feature]:
    """The word-list reader's evidence, one feature per kind and place."""
    seen: dict[str, int] = {}
    for hit in hits:
        if hit.kind != "name":  # raised once per name by features()
            yield Feature(f"r:{hit.kind}", hit.start, hit.end, hit.shown)
            seen[hit.kind] = seen.get(hit.kind, 0) + 1
            if seen[hit.kind] == 2:  # a second piece of the same evidence weighs again
                yield Feature(f"r:{hit.kind}+2", hit.start, hit.end, hit.shown)


_ASK_KINDS = frozenset({"ask", "wish", "want_acquire", "own"})
_CLAUSE = re.compile(
    r"[,;:]|\b(?:so|therefore|thus|hence|because|which|and they|that is why)\b", re.IGNORECASE
)


def _ask_place(text: str, product: list[_Hit]) -> Iterator[Feature]:
    """Where the ask sits: the point a statement ends on ("..., so they need a CRM") or
    opens with ("They want a CRM, ...") weighs differently from one in the middle."""
    asks = [h for h in product if h.kind in _ASK_KINDS]
    if not asks:
        return
    bounds = [m.end() for m in _CLAUSE.finditer(text)]
    last = bounds[-1] if bounds else 0
    first = next((m.start() for m in _CLAUSE.finditer(text)), len(text))
    for hit in asks:
        if last and hit.start >= last:
            yield Feature("s:ask-ends-it", hit.start, hit.end, hit.shown)
        if hit.end <= first:
            yield Feature("s:ask-leads", hit.start, hit.end, hit.shown)


def features(text: str, lang: ProductLanguage) -> tuple[list[Feature], list[_Hit]]:
    """Every feature of ``text``, in text order (a feature may repeat at several places), and
    the negated product evidence (which raises no feature). Team product names raise
    ``r:name``, which is weighed by the settings, not learned."""
    from coachkit.coaching.language import evidence

    product, negated_hits, problem = evidence(text, lang)
    toks = tokens(text)
    # Negated words raise nothing; a team product name raises only r:name (the model must
    # not learn one team's names as words).
    negated = _negated_spans(text, lang)
    named = [m for m in lang.names.finditer(text) if not _inside(negated, m.start())]
    hidden = negated + [m.span() for m in named]
    live = [t for t in toks if not _inside(hidden, t.start)]
    out = [Feature("r:name", m.start(), m.end()) for m in named]
    for t in live:
        out.append(Feature(f"w:{t.lemma}", t.start, t.end))
    for a, b in itertools.pairwise(live):
        if not re.search(r"[,;:.!?()]", text[a.end : b.start]):
            out.append(Feature(f"b:{a.lemma} {b.lemma}", a.start, b.end))
    out.extend(_shape(live, text, [t.lemma for t in toks]))
    out.extend(_negation_features(text, toks, negated))
    out.extend(_rule_features(product + problem))
    out.extend(_ask_place(text, product))
    out.sort(key=lambda f: (f.start, f.end, f.name))
    return out, negated_hits


def names(found: list[Feature]) -> set[str]:
    """The distinct feature names the model learns from (``r:name`` is the settings')."""
    return {f.name for f in found if f.name != "r:name"}
