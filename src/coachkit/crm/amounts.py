"""Amount cells: the currency code or symbol, the sign, and the decimal mark decided for the
whole file (see "Amounts" in :mod:`coachkit.crm.reader`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from coachkit.crm.cells import EXCEL_NUMBER, quote
from coachkit.crm.errors import BadCell

MAX_AMOUNT = Decimal(10) ** 15
"""The deal model's limit for money."""


_SYMBOLS: dict[str, tuple[str, ...]] = {
    "US$": ("USD",),
    "CA$": ("CAD",),
    "C$": ("CAD",),
    "AU$": ("AUD",),
    "A$": ("AUD",),
    "NZ$": ("NZD",),
    "HK$": ("HKD",),
    "S$": ("SGD",),
    "R$": ("BRL",),
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "₹": ("INR",),
    "₩": ("KRW",),
    "₪": ("ILS",),
    "₺": ("TRY",),
    "₽": ("RUB",),
    "₴": ("UAH",),
    "₱": ("PHP",),
    "₦": ("NGN",),
    "₫": ("VND",),
    "฿": ("THB",),
}
"""Currency symbols and the ISO codes they can stand for (the first when nothing else says)."""


_ISO_4217 = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
    MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP
    SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD
    XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
CURRENCY_CODES = frozenset(_ISO_4217.split())
"""ISO 4217 currencies (and a few just retired that old records still carry): a three-letter
word next to a number is a currency only if it is one of these ("1.5 Mio" is not MIO 1.5)."""


_SYMBOL = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_SYMBOL_AROUND = re.compile(
    rf"(?P<pre>{_SYMBOL})(?P<after>.*)|(?P<before>.*?)(?P<post>{_SYMBOL})", re.DOTALL
)
"""A symbol before or after the number (longest first: ``US$`` before ``$``)."""


_PLAIN_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
"""Most amount cells: digits and marks only, no sign, code or symbol to take off."""


_THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
"""Currencies whose minor unit has three digits: ``12.500`` may really be 12.5 there."""

_GROUPING = " \u00a0\u202f'’"


@dataclass(frozen=True)
class Amount:
    """An amount cell taken apart, before the file's decimal mark is known."""

    negative: bool
    number: str
    code: str | None
    symbol: str | None


def split_amount(text: str) -> Amount:
    """Sign, currency code or symbol, and the digits of an amount."""
    s = text.strip()
    if _PLAIN_NUMBER.fullmatch(s):  # most cells: 1250000.0, 12,500.00
        return Amount(False, s, None, None)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    code = symbol = None
    if (m := re.fullmatch(r"([A-Za-z]{3})\s*([^A-Za-z].*)", s)) and (
        m.group(1).upper() in CURRENCY_CODES
    ):
        code, s = m.group(1).upper(), m.group(2)
    elif (m := re.fullmatch(r"(.*[^A-Za-z])\s*([A-Za-z]{3})", s)) and (
        m.group(2).upper() in CURRENCY_CODES
    ):
        s, code = m.group(1).strip(), m.group(2).upper()
    for _ in range(2):  # a sign and a symbol, in either order: -$1,200 or $-1,200
        if s[:1] in ("-", "\u2212"):
            negative, s = True, s[1:].strip()
        elif s[:1] == "+":
            s = s[1:].strip()
        if symbol is None and (m := _SYMBOL_AROUND.fullmatch(s)):
            symbol = m.group("pre") or m.group("post")
            s = (m.group("after") if m.group("pre") else m.group("before")).strip()
    if not re.fullmatch(r"\d[\d.,\s\u00a0\u202f'’]*", s) or not s[-1].isdigit():
        if EXCEL_NUMBER.fullmatch(s):
            raise BadCell(f"not an amount: {quote(text)} (Excel's scientific notation hides "
                       "digits; export again and import without opening it in Excel)")
        raise BadCell(f"not an amount: {quote(text)}")
    return Amount(negative, s, code, symbol)


def _decimal_evidence(number: str) -> str | None:
    """Which mark this number uses for decimals, when it shows it; None when it cannot tell."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        return "." if number.rfind(".") > number.rfind(",") else ","
    for mark, other in ((".", ","), (",", ".")):
        count = number.count(mark)
        if count > 1:
            return other
        if count == 1:
            return None if len(number) - number.index(mark) - 1 == 3 else mark
    return None


def _ambiguous(number: str) -> str | None:
    """The mark of ``12.500`` or ``1,250``: one mark, three digits after it, nothing else."""
    marks = [c for c in number if c in ".,"]
    if len(marks) == 1 and len(number) - number.index(marks[0]) - 1 == 3:
        return marks[0]
    return None


def _to_decimal(number: str, decimal: str) -> Decimal | None:
    """Digits with grouping and a decimal mark -> a number; None when the grouping is odd."""
    if number.count(decimal) > 1:
        return None
    whole, _, fraction = number.partition(decimal)
    if decimal in number and not fraction.isdigit():
        return None
    grouping = ("," if decimal == "." else ".") + _GROUPING
    separators = {c for c in whole if c in grouping}
    if len(separators) > 1:
        return None
    if separators:
        groups = whole.split(separators.pop())
        western = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
        indian = (len(groups[-1]) == 3 and len(groups[0]) <= 2
                  and all(len(g) == 2 for g in groups[1:-1]))
        if not all(g.isdigit() for g in groups) or not (western or indian):
            return None
        whole = "".join(groups)
    if not whole.isdigit():
        return None
    try:
        return Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return None


def file_decimal(cells: list[str]) -> str | None:
    """The decimal mark most amounts of the file show, or None when none shows one."""
    votes: Counter[str] = Counter()
    for text in cells:
        try:
            mark = _decimal_evidence(split_amount(text).number) if text else None
        except BadCell:
            continue
        if mark:
            votes[mark] += 1
    return votes.most_common(1)[0][0] if votes else None


def currency_of(amount: Amount | None, column: str | None, default: str | None) -> str | None:
    """The row's currency from the amount's code or symbol, the currency column, the default."""
    code = amount.code if amount else None
    if code and column and code != column:
        raise BadCell(f"says {code} but the currency column says {column}")
    currency = code or column
    if amount and amount.symbol:
        fits = _SYMBOLS[amount.symbol]
        if currency and currency not in fits:
            raise BadCell(f"{amount.symbol!r} is not a sign for {currency}")
        if not currency:
            currency = default if default in fits else fits[0]
    return currency or default


def parse_amount(text: str, amount: Amount, decimal: str | None, explicit: bool,
                  currency: str | None) -> float:
    """The value of an amount cell under the file's decimal mark (see the module's notes)."""
    mark = decimal
    if not explicit:
        evidence = _decimal_evidence(amount.number)
        ambiguous = _ambiguous(amount.number)
        if evidence and decimal and evidence != decimal:
            raise BadCell(f"{quote(text)} writes decimals with {evidence!r}, but the file's "
                       f"other amounts use {decimal!r}; write them alike")
        if ambiguous and (ambiguous == decimal or (decimal is None
                                                   and currency in _THREE_DECIMALS)):
            raise BadCell(f"ambiguous amount {quote(text)}: is {ambiguous!r} a decimal mark or a "
                       "thousands separator? Write it without the separator, or with two "
                       "decimals")
        if ambiguous:
            mark = "," if ambiguous == "." else "."  # that mark groups thousands
        mark = mark or evidence
    number = _to_decimal(amount.number, mark or ".")
    if number is None:
        raise BadCell(f"not an amount: {quote(text)}")
    if amount.negative and number:
        raise BadCell(f"negative amount: {quote(text)} (a deal's value is never below zero)")
    if number > MAX_AMOUNT:
        raise BadCell(f"amount too large: {quote(text)}")
    return float(number)
