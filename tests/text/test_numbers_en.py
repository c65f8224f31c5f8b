"""English number words."""

from __future__ import annotations

from wyoming_polytts.text import numbers_en as n


def test_cardinals_have_no_comma_to_pause_at() -> None:
    assert n.cardinal(3200) == "three thousand two hundred"
    assert n.number_words("-0.25") == "minus zero point two five"


def test_money_in_units_and_cents() -> None:
    assert n.money("12.99", "£", None) == "twelve pounds and ninety-nine pence"
    assert n.money("1.01", "$", None) == "one dollar and one cent"
    assert n.money("3.5", "€", None) == "three euros and fifty cents"
    assert n.money("2", "€", "billion") == "two billion euros"


def test_clock_times() -> None:
    assert n.clock(7, 5, "a") == "seven oh five AM"
    assert n.clock(12, 0, None) == "twelve o'clock"
    assert n.clock(18, 0, None) == "eighteen hundred"


def test_dates_years_and_decades() -> None:
    assert n.date(2026, 2, 1, british=False) == "February first, twenty twenty-six"
    assert n.date(None, 2, 1, british=True) == "the first of February"
    assert n.date(2026, 13, 1, british=False) is None
    assert n.year(2005) == "two thousand and five"
    assert n.decade(1960) == "nineteen sixties"
    assert n.decade(2000) == "two thousands"


def test_fractions() -> None:
    assert n.fraction(1, 2) == "one half"
    assert n.fraction(3, 4) == "three quarters"
    assert n.fraction(1, 5) == "one fifth"
    assert n.fraction(2, 3) == "two thirds"


def test_units_agree_in_number() -> None:
    assert n.unit("1", "kg") == "one kilogram"
    assert n.unit("1.5", "kg") == "one point five kilograms"
