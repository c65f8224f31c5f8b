"""English: numbers, money, temperatures, times, dates, units and abbreviations as spoken."""

from __future__ import annotations

import re
from collections.abc import Callable

from num2words import num2words

_NUMBER = r"-?\d+(?:\.\d+)?"
_AMOUNT = r"(?P<amount>\d+(?:\.\d+)?)(?:\s?(?P<scale>million|billion|thousand)\b)?"
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_UNITS = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "kW": ("kilowatt", "kilowatts"),
    "W": ("watt", "watts"),
    "V": ("volt", "volts"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"),
    "ml": ("milliliter", "milliliters"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "min": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
}
_CURRENCIES = {
    "$": "dollar",
    "USD": "dollar",
    "€": "euro",
    "EUR": "euro",
    "£": "pound",
    "GBP": "pound",
}
_CENTS = {"dollar": "cent", "euro": "cent", "pound": "penny"}
_ABBREVIATIONS = {
    "Dr.": "Doctor",
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Ms.": "Miz",
    "e.g.": "for example",
    "i.e.": "that is",
    "vs.": "versus",
    "approx.": "approximately",
}
_SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "~": " about "}


def number_words(text: str) -> str:
    """'21' -> 'twenty-one', '-3.25' -> 'minus three point two five'."""
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    words = _cardinal(int(whole))
    if fraction:
        words += " point " + " ".join(num2words(int(digit)) for digit in fraction)
    return f"minus {words}" if negative else words


def _cardinal(value: int) -> str:
    # num2words writes "three thousand, two hundred": a comma would make a pause mid-number
    return str(num2words(value)).replace(",", "")


def _plural(value: str, one: str, many: str) -> str:
    return one if value in ("1", "1.0", "-1") else many


def _money(match: re.Match[str]) -> str:
    amount = match.group("amount")
    unit = _CURRENCIES[match.group("code")]
    scale = match.group("scale")
    whole, _, cents = amount.partition(".")
    if scale:
        return f"{number_words(amount)} {scale} {unit}s"
    spoken = f"{number_words(whole)} {_plural(whole, unit, unit + 's')}"
    if cents and int(cents):
        cents = (cents + "0")[:2]
        cent = _CENTS[unit]
        many = "pence" if cent == "penny" else cent + "s"
        spoken += f" and {number_words(str(int(cents)))} {_plural(str(int(cents)), cent, many)}"
    return spoken


def _temperature(match: re.Match[str]) -> str:
    value, scale = match.group(1), match.group(2)
    name = {"C": " Celsius", "F": " Fahrenheit"}.get((scale or "").upper(), "")
    return f"{number_words(value)} {_plural(value, 'degree', 'degrees')}{name}"


def _time(match: re.Match[str]) -> str:
    hours, minutes, half = int(match.group(1)), int(match.group(2)), match.group(3)
    if minutes == 0:
        spoken = num2words(hours) + ("" if half else " o'clock" if hours <= 12 else " hundred")
    elif minutes < 10:
        spoken = f"{num2words(hours)} oh {num2words(minutes)}"
    else:
        spoken = f"{num2words(hours)} {num2words(minutes)}"
    return f"{spoken} {half[0].upper()}M" if half else spoken


def _date(match: re.Match[str]) -> str:
    year, month, day = (int(group) for group in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group(0)
    return f"{_MONTHS[month - 1]} {num2words(day, to='ordinal')}, {num2words(year, to='year')}"


def _unit(match: re.Match[str]) -> str:
    value, unit = match.group(1), match.group(2)
    one, many = _UNITS[unit]
    return f"{number_words(value)} {_plural(value, one, many)}"


def _digit_groups(match: re.Match[str]) -> str:
    groups = re.findall(r"\d+", match.group(0))
    return ", ".join(" ".join(num2words(int(d)) for d in group) for group in groups)


def _saint_or_street(match: re.Match[str]) -> str:
    return "Saint " if match.group(1) else " Street"


_unit_names = "|".join(re.escape(unit) for unit in sorted(_UNITS, key=len, reverse=True))
_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), _date),
    (re.compile(r"(?<![\d+])\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b"), _digit_groups),
    (re.compile(r"(?<=\d),(?=\d{3}\b)"), ""),
    (re.compile(rf"(?P<code>[$€£])\s?{_AMOUNT}"), _money),
    (re.compile(rf"\b(?P<code>EUR|GBP|USD)\s?{_AMOUNT}"), _money),
    (re.compile(rf"\b{_AMOUNT}\s?(?P<code>€|£|EUR|GBP|USD)(?!\w)"), _money),
    (re.compile(rf"({_NUMBER})\s?°\s?([CF])?\b"), _temperature),
    (re.compile(rf"({_NUMBER})\s?%"), lambda m: f"{number_words(m.group(1))} percent"),
    (re.compile(r"\b(\d{1,2}):(\d{2})(?:\s?([ap])\.?\s?m\b\.?)?", re.IGNORECASE), _time),
    (
        re.compile(r"\b(\d{1,2})\s?([ap])\.?m\b\.?", re.IGNORECASE),
        lambda m: f"{num2words(int(m.group(1)))} {m.group(2).upper()}M",
    ),
    (re.compile(rf"({_NUMBER})\s?({_unit_names})(?![\w/])"), _unit),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b"), lambda m: num2words(int(m.group(1)), to="ordinal")),
    (re.compile(r"#(\d+)"), r"number \1"),
    (re.compile(r"\bSt\.\s(?=([A-Z]))|\sSt\.(?=\s|$)"), _saint_or_street),
    (re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)"), lambda m: number_words(m.group(1))),
]


def normalize_english(text: str) -> str:
    # "etc." can end a sentence: keep its full stop there
    text = re.sub(r"(?<!\w)etc\.(?=\s+[A-Z]|\s*$)", "et cetera.", text)
    text = re.sub(r"(?<!\w)etc\.", "et cetera", text)
    for abbreviation, spoken in _ABBREVIATIONS.items():
        text = re.sub(rf"(?<!\w){re.escape(abbreviation)}", spoken, text, flags=re.IGNORECASE)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    for symbol, spoken in _SYMBOLS.items():
        text = text.replace(symbol, spoken)
    return text
