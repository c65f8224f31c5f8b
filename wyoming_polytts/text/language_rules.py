"""Numbers and symbols in the words of a voice that speaks no English.

num2words speaks the numbers where it knows the language (es, fr, it, pt, ja); Hindi and
Chinese keep their digits, which the phonemizer already reads in its own language. What a
language has no rule for here is left as written rather than said wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal

from num2words import CONVERTER_CLASSES, num2words

from .languages import Language

_CURRENCY_CODES = {"€": "EUR", "$": "USD", "£": "GBP", "EUR": "EUR", "USD": "USD", "GBP": "GBP"}
_NUMBER = r"-?\d+(?:[.,]\d+)?"
_NOT_AFTER = r"(?<![A-Za-z\d_.,])"
"""Where a number may start: \\b would fail between a kanji and a digit."""
_CURRENCY = r"(?<![A-Z])(?P<code>[€$£]|EUR|USD|GBP)"
_PARTS = re.compile(r"(-?)(\d+)(?:([.,])(\d+))?")


class LanguageRules:
    """Turns a text's numbers and symbols into words of one language."""

    def __init__(self, language: Language) -> None:
        self.language = lang = language
        amount = r"(?P<amount>\d+(?:[.,]\d+)?)"
        rules: list[tuple[str | None, Callable[[re.Match[str]], str]]] = [
            (_alternatives(lang.abbreviations), lambda m: lang.abbreviations[m[0]]),
            (lang.thousands, lambda m: ""),
            (rf"(?<![\d.,])R\$\s?{amount}", self._reais),
            (rf"{_CURRENCY}\s?{amount}", self._money),
            (rf"{amount}\s?{_CURRENCY}(?!\w)", self._money),
            (lang.ordinal, self._ordinal),
            (lang.hour_mark, self._clock),
            (rf"{_NOT_AFTER}(?P<h>\d{{1,2}}):(?P<m>\d{{2}})(?!\d)", self._clock),
            (rf"({_NUMBER})\s?[°º](?:\s?([CF])(?![A-Za-z]))?", self._degrees),
            (rf"({_NUMBER})\s?%", lambda m: lang.percent.format(self.number(m[1]))),
            (rf"{_NOT_AFTER}{_NUMBER}", lambda m: self.number(m[0])),
        ]
        self._rules = [(re.compile(pattern), replace) for pattern, replace in rules if pattern]

    def __call__(self, text: str) -> str:
        for pattern, replace in self._rules:
            text = pattern.sub(replace, text)
        return text

    def number(self, text: str) -> str:
        """A written number in words, or as written where num2words lacks the language."""
        code = self.language.num2words
        if code is None:
            return text
        parts = _PARTS.fullmatch(text)
        if parts is None:
            return text
        sign, whole, separator, fraction = parts.groups()
        words = str(num2words(int(sign + whole), lang=code))
        if not fraction:
            return words
        point = self.language.comma if separator == "," else self.language.point
        joiner = self.language.digit_joiner
        if len(fraction) <= 2 and not fraction.startswith("0") and joiner:
            spoken = str(num2words(int(fraction), lang=code))
        else:
            spoken = joiner.join(str(num2words(int(digit), lang=code)) for digit in fraction)
        return joiner.join((words, point, spoken))

    def _money(self, match: re.Match[str]) -> str:
        code, joiner = self.language.num2words, self.language.cents_joiner
        if code is None or joiner is None:
            return match[0]
        # Brazilian num2words speaks only reais; Portuguese has the other currencies
        converter = CONVERTER_CLASSES["pt" if code == "pt_BR" else code]
        amount = Decimal(match["amount"].replace(",", "."))
        spoken = converter.to_currency(
            amount, currency=_CURRENCY_CODES[match["code"]], separator="|"
        )
        whole, _, cents = str(spoken).partition("|")
        if amount == amount.to_integral_value():
            return whole.strip()
        return f"{whole.strip()} {joiner} {cents.strip()}"

    def _reais(self, match: re.Match[str]) -> str:
        if self.language.num2words != "pt_BR":
            return match[0]
        amount = Decimal(match["amount"].replace(",", "."))
        return str(CONVERTER_CLASSES["pt_BR"].to_currency(amount))

    def _clock(self, match: re.Match[str]) -> str:
        hours, minutes = int(match["h"]), int(match["m"] or 0)
        clock = self.language.clock
        if clock is None or hours > 24 or minutes > 59:
            return match[0]
        hour = self.language.hours.get(hours) or self.number(str(hours))
        return clock[1 if minutes else 0].format(h=hour, m=self.number(str(minutes)))

    def _degrees(self, match: re.Match[str]) -> str:
        one, many = self.language.degrees
        scale = {"C": self.language.celsius, "F": self.language.fahrenheit}.get(match[2] or "", "")
        said = (one if match[1] in ("1", "-1") else many).format(self.number(match[1]))
        # Chinese and Japanese name the scale first: 摄氏二十度
        return scale + said if scale and not scale.startswith(" ") else said + scale

    def _ordinal(self, match: re.Match[str]) -> str:
        code = self.language.num2words
        if code is None:
            return match[0]
        spoken = str(num2words(int(match[1]), lang=code, to="ordinal"))
        if match[2] in ("ª", "re", "ère"):
            spoken = re.sub(r"o\b", "a", spoken) if code != "fr" else spoken.replace("ier", "ière")
        return spoken


def _alternatives(words: Mapping[str, str]) -> str | None:
    """A pattern for any of `words` as a whole word, longest first."""
    if not words:
        return None
    written = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    return rf"(?<![\w.])(?:{written})(?=\s)"
