"""English numbers as spoken: cardinals, decimals, money, times, dates, units."""

from __future__ import annotations

import re

from num2words import num2words

MONTHS = (
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
)
UNITS = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "m/s": ("meter per second", "meters per second"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "kW": ("kilowatt", "kilowatts"),
    "W": ("watt", "watts"),
    "V": ("volt", "volts"),
    "A": ("amp", "amps"),
    "mA": ("milliamp", "milliamps"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "dB": ("decibel", "decibels"),
    "lm": ("lumen", "lumens"),
    "ppm": ("part per million", "parts per million"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "h": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "s": ("second", "seconds"),
    "sec": ("second", "seconds"),
    "secs": ("second", "seconds"),
    "ms": ("millisecond", "milliseconds"),
    "KB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
}
CURRENCIES = {"$": "dollar", "USD": "dollar", "€": "euro", "EUR": "euro"}
CURRENCIES |= {"£": "pound", "GBP": "pound", "¥": "yen", "JPY": "yen"}
_CENTS = {"dollar": ("cent", "cents"), "euro": ("cent", "cents"), "pound": ("penny", "pence")}
_PLURAL = {"yen": "yen"}
_FRACTIONS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def cardinal(value: int) -> str:
    # num2words writes "three thousand, two hundred": a comma would make a pause mid-number
    return str(num2words(value)).replace(",", "")


def number_words(text: str) -> str:
    """'21' -> 'twenty-one', '-3.25' -> 'minus three point two five', '007' -> digits."""
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    # "007" is read digit by digit
    words = digits(whole) if len(whole) > 1 and whole.startswith("0") else cardinal(int(whole))
    if fraction:
        words += " point " + digits(fraction)
    return f"minus {words}" if negative else words


def digits(text: str) -> str:
    return " ".join(cardinal(int(digit)) for digit in text)


def plural(value: str, one: str, many: str) -> str:
    return one if value.lstrip("-") in ("1", "1.0") else many


def money(amount: str, currency: str, scale: str | None) -> str:
    """'12.99', '£' -> 'twelve pounds and ninety-nine pence'."""
    unit = CURRENCIES[currency]
    many = _PLURAL.get(unit, unit + "s")
    if scale:
        return f"{number_words(amount)} {scale} {many}"
    whole, _, cents = amount.partition(".")
    spoken = f"{number_words(whole)} {plural(whole, unit, many)}"
    if cents and int(cents) and unit in _CENTS:
        count = str(int((cents + "0")[:2]))
        spoken += f" and {number_words(count)} {plural(count, *_CENTS[unit])}"
    return spoken


def unit(value: str, symbol: str) -> str:
    one, many = UNITS[symbol]
    return f"{number_words(value)} {plural(value, one, many)}"


def clock(hours: int, minutes: int, half: str | None) -> str:
    """15:45 -> 'fifteen forty-five', 7:05 a.m. -> 'seven oh five AM'."""
    if minutes == 0:
        spoken = cardinal(hours) + ("" if half else " o'clock" if hours <= 12 else " hundred")
    elif minutes < 10:
        spoken = f"{cardinal(hours)} oh {cardinal(minutes)}"
    else:
        spoken = f"{cardinal(hours)} {cardinal(minutes)}"
    return f"{spoken} {half[0].upper()}M" if half else spoken


def year(value: int) -> str:
    return str(num2words(value, to="year"))


def decade(value: int) -> str:
    """1990 -> 'nineteen nineties', 80 -> 'eighties'."""
    return re.sub(r"y$", "ies", year(value)) if value % 100 else year(value) + "s"


def ordinal(value: int) -> str:
    return str(num2words(value, to="ordinal"))


def date(year_value: int | None, month: int, day: int, british: bool) -> str | None:
    """The date as said in the US ('May fifth') or Britain ('the fifth of May'); None if invalid."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    name = MONTHS[month - 1]
    spoken = f"the {ordinal(day)} of {name}" if british else f"{name} {ordinal(day)}"
    return f"{spoken}, {year(year_value)}" if year_value else spoken


def fraction(numerator: int, denominator: int) -> str:
    """3/4 -> 'three quarters', 2/3 -> 'two thirds'."""
    name = ordinal(denominator)
    one, many = _FRACTIONS.get(denominator, (name, name + "s"))
    return f"{cardinal(numerator)} {one if numerator == 1 else many}"
