"""English: written forms (numbers, money, times, dates, units, abbreviations) as spoken."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from . import numbers_en as n

Replacement = str | Callable[[re.Match[str]], str]

_MONTH = "|".join(n.MONTHS)
_MONTH_ABBREVIATIONS = {name[:3]: name for name in n.MONTHS} | {"Sept": "September"}
_SCALES = {"k": "thousand", "K": "thousand", "M": "million", "bn": "billion"}
_AMOUNT = (
    r"(?P<amount>\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion)\b|(?P<short>k|K|M|bn)\b)?"
)
_STOP = r"(?P<stop>(?<=\.)(?=\s+[A-Z]|\s*$))?"
"""Matches (empty) where an abbreviation's full stop also ends the sentence: kept there."""
_ABBREVIATIONS = {
    "dr": "Doctor",
    "mr": "Mister",
    "mrs": "Missus",
    "ms": "Miz",
    "prof": "Professor",
    "mt": "Mount",
    "jr": "Junior",
    "sr": "Senior",
    "e.g": "for example",
    "i.e": "that is",
    "etc": "et cetera",
    "vs": "versus",
    "approx": "approximately",
    "cf": "compare",
}
_NOT_A_STREET = frozenset({"The", "A", "At", "On", "In", "To", "From", "Near", "By", "Visit"})
_YEAR_BEFORE = "in|since|from|until|till|by|of|year|before|after|during|around|circa|to"
_UNIT_NAMES = "|".join(re.escape(unit) for unit in sorted(n.UNITS, key=len, reverse=True))
_UNIT = rf"(-?\d+(?:\.\d+)?)(?:\s?(?!A\b)|(?=A\b))({_UNIT_NAMES})(?![\w/])"
"""A number and its unit; "A" (amps) only right after the number: "2 A grades" is no current."""
_SPACES = re.compile(r"(?<=\S) {2,}")
_SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "≈": " about ", "@": " at "}


def _abbreviation(match: re.Match[str]) -> str:
    written = match.group("word")
    spoken = _ABBREVIATIONS[written.lower()]
    if written[0].isupper() and spoken[0].islower():
        spoken = spoken[0].upper() + spoken[1:]
    return spoken + _kept_stop(match)


def _kept_stop(match: re.Match[str]) -> str:
    return "." if match.groupdict().get("stop") is not None else ""


def _street_or_saint(match: re.Match[str]) -> str:
    before = match.group("before") or ""
    if match.group("name") and before.strip() in ("", *_NOT_A_STREET):
        return f"{before}Saint"
    return f"{before}Street{_kept_stop(match)}"


def _money(match: re.Match[str]) -> str:
    scale = match.group("scale") or _SCALES.get(match.group("short") or "")
    return n.money(match.group("amount"), match.group("code"), scale)


def _time(match: re.Match[str]) -> str:
    hours, minutes = int(match.group("hours")), int(match.group("minutes") or 0)
    if hours > 24 or minutes > 59:
        return match.group(0)
    return n.clock(hours, minutes, match.groupdict().get("half")) + _kept_stop(match)


def _temperature(match: re.Match[str]) -> str:
    value, scale = match.group(1), match.group(2)
    name = {"C": " Celsius", "F": " Fahrenheit"}.get(scale or "", "")
    return f"{n.number_words(value)} {n.plural(value, 'degree', 'degrees')}{name}"


def _fraction(match: re.Match[str]) -> str:
    top, bottom = int(match.group(1)), int(match.group(2))
    if 2 <= bottom <= 10 and top < bottom:
        return n.fraction(top, bottom)
    separator = " " if (top, bottom) == (24, 7) else " slash "
    return n.cardinal(top) + separator + n.cardinal(bottom)


def _phone(match: re.Match[str]) -> str:
    groups = ", ".join(n.digits(group) for group in re.findall(r"\d+", match[0]))
    return ("plus " if match[0].startswith("+") else "") + groups


def _cardinal(match: re.Match[str]) -> str:
    # "221B": a letter right after the number is said on its own
    return n.number_words(match.group(1)) + (" " if match.group(2) else "")


def _date_rules(british: bool) -> list[tuple[str, Replacement]]:
    def numeric(year: str, month: str, day: str, written: str) -> str:
        return n.date(int(year), int(month), int(day), british) or written

    def month_first(match: re.Match[str]) -> str:
        day, year = int(match["day"]), match["year"]
        if not 1 <= day <= 31:
            return match[0]
        spoken = f"{match['month']} {'the ' if british else ''}{n.ordinal(day)}"
        return spoken + (f", {n.year(int(year))}" if year else "")

    def day_first(match: re.Match[str]) -> str:
        year = int(match["year"]) if match["year"] else None
        month = n.MONTHS.index(match["month"]) + 1
        return n.date(year, month, int(match["day"]), british=True) or match[0]

    day = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
    year = r"(?:,?\s+(?P<year>\d{4})\b)?"
    month_day = (2, 1) if british else (1, 2)
    return [
        (r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: numeric(m[1], m[2], m[3], m[0])),
        (
            r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b",
            lambda m: numeric(m[3], m[month_day[0]], m[month_day[1]], m[0]),
        ),
        (rf"\b(?P<month>{_MONTH})\s+{day}\b{year}", month_first),
        (rf"(?:\bthe\s+)?\b{day}\s+(?:of\s+)?(?P<month>{_MONTH})\b{year}", day_first),
    ]


@functools.cache
def _rules(british: bool) -> list[tuple[re.Pattern[str], Replacement]]:
    rules: list[tuple[str, Replacement]] = [
        (r"(?<![\w.])(?P<word>(?i:dr|mrs?|ms|prof|mt|vs|approx|cf))\.", _abbreviation),
        (r"(?<![\w.])(?P<word>(?i:e\.g|i\.e|etc|jr|sr))\." + _STOP, _abbreviation),
        (r"\b(?P<word>vs)\b", _abbreviation),
        (
            r"(?P<before>\b[A-Z][a-z]*\s)?\bSt\." + _STOP + r"(?=(?P<name>\s+[A-Z])?)",
            _street_or_saint,
        ),
        (
            rf"\b({'|'.join(_MONTH_ABBREVIATIONS)})\.?(?=\s+\d)",
            lambda m: _MONTH_ABBREVIATIONS[m[1]],
        ),
        (r"\bNo\.\s?(?=\d)", "number "),
        (r"#(?=\d)", "number "),
        *_date_rules(british),
        (
            rf"\b((?i:{_YEAR_BEFORE}))\s+(1[1-9]\d\d|20\d\d)\b(?![.,:]\d)",
            lambda m: f"{m[1]} {n.year(int(m[2]))}",
        ),
        (r"\b(1[1-9]\d0|20\d0)s\b", lambda m: n.decade(int(m[1]))),
        (r"'(\d0)s\b", lambda m: n.decade(int(m[1]))),
        (
            r"\+\d{1,3}(?:[ -]\(?\d{1,5}\)?){2,5}\b|(?<![\d+])\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b",
            _phone,
        ),
        (r"(?<=\d),(?=\d{3}\b)", ""),
        (rf"(?P<code>[$€£¥])\s?{_AMOUNT}", _money),
        (rf"\b(?P<code>USD|EUR|GBP|JPY)\s?{_AMOUNT}", _money),
        (rf"\b{_AMOUNT}\s?(?P<code>[$€£¥]|USD|EUR|GBP|JPY)(?!\w)", _money),
        (
            r"\b(?P<hours>\d{1,2})(?:[:.](?P<minutes>\d{2}))?\s?(?P<half>[ap])\.?\s?m\b\.?" + _STOP,
            _time,
        ),
        (r"\b(?P<hours>\d{1,2}):(?P<minutes>\d{2})(?::\d{2})?\b", _time),
        (r"(?<![\w.-])(\d+(?:\.\d+)?)\s?[-–](?=\s?\d)\s?", r"\1 to "),
        (r"(?<=\d)\s?[×*]\s?(?=\d)|(?<=\d) x (?=\d)", " times "),
        (r"(-?\d+(?:\.\d+)?)\s?[°º](?:\s?([CF])\b)?", _temperature),
        (r"(-?\d+(?:\.\d+)?)\s?%", lambda m: f"{n.number_words(m[1])} percent"),
        (_UNIT, lambda m: n.unit(m[1], m[2])),
        (r"(?<![\w/.])(\d+)/(\d+)(?![\w/])", _fraction),
        (
            r"\bv(\d+(?:\.\d+)+)\b",
            lambda m: "version " + " point ".join(map(n.number_words, m[1].split("."))),
        ),
        (
            r"(?<![\w.])\d+(?:\.\d+){2,}\b",
            lambda m: " point ".join(map(n.number_words, m[0].split("."))),
        ),
        (r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: n.ordinal(int(m[1]))),
        (r"~\s?(?=\d)", "about "),
        (r"(?<![\w.])(-?\d+(?:\.\d+)?)(?=([^\W\d_])?)", _cardinal),
    ]
    return [(re.compile(pattern), replacement) for pattern, replacement in rules]


def normalize_english(text: str, british: bool = False) -> str:
    """`text` with its numbers, symbols and abbreviations written as an English voice says them."""
    for pattern, replacement in _rules(british):
        text = pattern.sub(replacement, text)
    for symbol, spoken in _SYMBOLS.items():
        text = text.replace(symbol, spoken)
    return _SPACES.sub(" ", text)
