"""SSML `say-as`: a value said the way the markup asks (letter by letter, digit by digit, as
an ordinal, a date, a phone number), written out in words that the normalizer leaves alone."""

from __future__ import annotations

import logging
import re

from num2words import num2words

from . import numbers_en
from .locale import Locale

_LOGGER = logging.getLogger(__name__)

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_INTEGER = re.compile(r"\d+")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th|er|e|o|a|\.|º|ª)?", re.IGNORECASE)
"""A number with the mark of an ordinal it may be written with ("3rd", "2e", "1º")."""
_SPELLED_GROUP = re.compile(r"[^\W_]+")
_ISO_DATE = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*")
_DATE_FIELDS = frozenset("ymd")


def say_as(interpret: str, text: str, date_format: str | None, locale: Locale) -> str:
    """`text` in words as `interpret` (say-as's interpret-as) says; as written when it is not
    one (a date that is no date) or the kind is not known."""
    numbers = _Numbers(locale)
    kind = interpret.strip().lower()
    if kind in ("characters", "spell-out", "verbatim", "letters"):
        return ", ".join(
            "-".join(numbers.digit(char) if char.isdigit() else char.upper() for char in group)
            for group in _SPELLED_GROUP.findall(text)
        )
    if kind in ("cardinal", "number"):
        if not locale.english:
            # As written: the normalizer reads numbers by the language's own rules (its
            # separators: Spanish "1.234" is a thousand and more, "3,5" a decimal)
            return text
        ungrouped = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # "1,234"
        return _NUMBER.sub(lambda match: numbers_en.number_words(match[0]), ungrouped)
    if kind == "ordinal":
        return _ORDINAL.sub(lambda match: numbers.ordinal(int(match[1])), text, count=1)
    if kind == "digits":
        return " ".join(numbers.digit(digit) for digit in text if digit.isdigit()) or text
    if kind == "telephone":
        groups = ", ".join(" ".join(map(numbers.digit, group)) for group in _INTEGER.findall(text))
        plus = numbers.plus if text.strip().startswith("+") else ""
        return f"{plus} {groups}".strip() or text
    if kind == "date":
        return _date(text, date_format, locale) or text
    if kind != "time":
        _LOGGER.debug("say-as %s is not supported: saying it as written", kind)
    # Times are what the normalizer reads best as written ("14:30", "2:30 pm")
    return text


class _Numbers:
    """Numbers in the words of one language, where this project has them; else digits."""

    def __init__(self, locale: Locale) -> None:
        words = locale.words
        self._code = "en" if locale.english else (words.num2words if words else None)
        self.plus = "plus" if locale.english else "+"

    def ordinal(self, number: int) -> str:
        return self._words(str(number), "ordinal")

    def digit(self, digit: str) -> str:
        return self._words(digit, "cardinal")

    def _words(self, number: str, kind: str) -> str:
        if self._code is None:
            return number
        return str(num2words(int(number), lang=self._code, to=kind)).replace(",", "")


def _date(text: str, date_format: str | None, locale: Locale) -> str | None:
    """An English date in words, from its numbers in the order `date_format` gives ("mdy",
    "dmy", "ymd", "md", "my", "y", ...); other languages read the numbers as written."""
    if not locale.english:
        return None
    fields = _INTEGER.findall(text)
    order = (date_format or "").strip().lower()
    if not order:
        order = "ymd" if _ISO_DATE.fullmatch(text) else "dmy" if locale.british else "mdy"
    if len(order) != len(fields) or set(order) - _DATE_FIELDS or len(set(order)) != len(order):
        return None
    parts = {field: int(value) for field, value in zip(order, fields, strict=True)}
    year, month, day = parts.get("y"), parts.get("m"), parts.get("d")
    if month is not None and not 1 <= month <= 12:
        return None
    if month is not None and day is not None:
        return numbers_en.date(year, month, day, locale.british)
    spoken = [numbers_en.MONTHS[month - 1]] if month is not None else []
    if day is not None:
        spoken.append(f"the {numbers_en.ordinal(day)}")
    if year is not None:
        spoken.append(numbers_en.year(year))
    return " ".join(spoken)
