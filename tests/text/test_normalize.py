"""What every voice gets: the lexicon, no emoji, short web addresses, its language's rules."""

from __future__ import annotations

from wyoming_polytts.text import TextSettings
from wyoming_polytts.text.locale import Locale
from wyoming_polytts.text.normalize import Normalizer

SETTINGS = TextSettings()


def normalized(text: str, language: str = "en-US", settings: TextSettings = SETTINGS) -> str:
    return Normalizer(settings, Locale.of(language))(text)


def test_lexicon_replaces_whole_words_and_is_case_aware() -> None:
    settings = TextSettings(
        lexicon={"nguyen": "win", "HA": "Home Assistant", "Zigbee2MQTT": "Zigbee to M Q T T"}
    )
    assert normalized("Ask Nguyen, nguyen or NGUYEN about HA.", settings=settings) == (
        "Ask Win, win or Win about Home Assistant."
    )
    # A word with capitals matches only as written, and never inside another word
    assert normalized("Ha, ha: HAT and Zigbee2MQTT.", settings=settings) == (
        "Ha, ha: HAT and Zigbee to M Q T T."
    )


def test_lexicon_comes_before_the_language_rules() -> None:
    settings = TextSettings(lexicon={"kWh": "kilowatt-hours"})
    assert normalized("Used 5 kWh.", settings=settings) == "Used five kilowatt-hours."


def test_urls_and_emails_are_said_by_their_domain() -> None:
    text = "Go to https://www.example.co.uk/path?q=1, or mail me@example.com."
    assert normalized(text) == "Go to example dot co dot uk, or mail me at example dot com."
    assert normalized("Docs: home-assistant.io.") == "Docs: home-assistant dot io."
    assert normalized("Mira https://ejemplo.es/x.", "es") == "Mira ejemplo punto es."


def test_urls_can_be_skipped() -> None:
    skipping = TextSettings(urls="skip")
    assert normalized("See https://example.com now.", settings=skipping) == "See now."


def test_emoji_and_pictographs_are_dropped() -> None:
    assert normalized("Done ✅ 👍🏽 👨‍👩‍👧 🇬🇧 ☀️ ⭐ Sleep well! 😴") == "Done Sleep well!"


def test_nothing_speakable_gives_empty_text() -> None:
    assert normalized("🎉 👍 *** ---") == ""


def test_a_language_without_rules_is_left_as_written() -> None:
    assert (
        normalized("Es sind 21,5 °C, 3 Lampen und 50 %.", "de")
        == "Es sind 21,5 °C, 3 Lampen und 50 %."
    )


def test_unicode_minus_and_spaces() -> None:
    assert normalized("It's −3\u00a0°C.") == "It's minus three degrees Celsius."
