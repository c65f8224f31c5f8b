"""Normalization rules per language, the lexicon and URL settings."""

from __future__ import annotations

import pytest

from wyoming_polytts.text import TextSettings
from wyoming_polytts.text.normalize import normalize

SETTINGS = TextSettings()


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("It costs $1.", "It costs one dollar."),
        ("It costs $0.05.", "It costs zero dollars and five cents."),
        ("Set 1 kg aside.", "Set one kilogram aside."),
        ("At 12:00 sharp.", "At twelve o'clock sharp."),
        ("From 20:00.", "From twenty hundred."),
        ("1st, 2nd and 103rd.", "first, second and one hundred and third."),
        ("Room #3.", "Room number three."),
        ("Rock & roll.", "Rock and roll."),
        ("It's -12.5 °C.", "It's minus twelve point five degrees Celsius."),
        ("St. Louis is nice.", "Saint Louis is nice."),
    ],
)
def test_english_rules(text: str, spoken: str) -> None:
    assert normalize(text, "en-US", SETTINGS) == spoken


def test_other_languages_never_get_english_rules() -> None:
    spanish = normalize("Son 3 luces y 2,5 kg, Dr. García.", "es", SETTINGS)
    assert spanish == "Son tres luces y dos coma cinco kg, Dr. García."
    french = normalize("Il est 7 h.", "fr", SETTINGS)
    assert french == "Il est sept h."


def test_lexicon_replaces_whole_words_only() -> None:
    settings = TextSettings(lexicon={"Nguyen": "Win", "HA": "Home Assistant"})
    assert normalize("Ask nguyen about HA, not HAT.", "en-US", settings) == (
        "Ask Win about Home Assistant, not HAT."
    )


def test_urls_and_emails() -> None:
    text = "Go to https://www.example.co.uk/path?q=1 or mail me@example.com."
    assert normalize(text, "en-US", SETTINGS) == (
        "Go to example dot co dot uk or mail me at example dot com."
    )
    skipping = TextSettings(urls="skip")
    assert normalize("See https://example.com now.", "en-US", skipping) == "See now."


def test_nothing_speakable_gives_empty_text() -> None:
    assert normalize("🎉 👍 ***", "en-US", SETTINGS) == ""
