"""say-as: each kind of value in words, in the voice's language where this project has it."""

from __future__ import annotations

import pytest

from wyoming_polytts.text.locale import Locale
from wyoming_polytts.text.say_as import say_as


@pytest.mark.parametrize(
    ("kind", "text", "date_format", "language", "said"),
    [
        ("characters", "AB12", None, "en-US", "A-B-one-two"),
        ("spell-out", "wifi 6", None, "en-US", "W-I-F-I, six"),
        ("verbatim", "ssid", None, "es", "S-S-I-D"),
        ("characters", "A1", None, "fr", "A-un"),
        ("cardinal", "1,234", None, "en-US", "one thousand two hundred and thirty-four"),
        ("number", "-3.5", None, "en-US", "minus three point five"),
        # Other languages' numbers, separators and all, are the normalizer's (ssml_corpus.yaml)
        ("cardinal", "1.234", None, "es", "1.234"),
        ("cardinal", "21", None, "hi", "21"),
        ("ordinal", "3", None, "en-US", "third"),
        ("ordinal", "21st", None, "en-US", "twenty-first"),
        ("ordinal", "2e", None, "fr", "deuxième"),
        ("digits", "4711", None, "en-US", "four seven one one"),
        ("digits", "no digits", None, "en-US", "no digits"),
        (
            "telephone",
            "555-123-4567",
            None,
            "en-US",
            "five five five, one two three, four five six seven",
        ),
        (
            "telephone",
            "+49 30 1234",
            None,
            "en-US",
            "plus four nine, three zero, one two three four",
        ),
        ("date", "11/23/2026", "mdy", "en-US", "November twenty-third, twenty twenty-six"),
        ("date", "23.11.2026", "dmy", "en-GB", "the twenty-third of November, twenty twenty-six"),
        ("date", "2026-03-05", None, "en-US", "March fifth, twenty twenty-six"),
        ("date", "05/03/2026", None, "en-GB", "the fifth of March, twenty twenty-six"),
        ("date", "12/24", "md", "en-US", "December twenty-fourth"),
        ("date", "11/2026", "my", "en-US", "November twenty twenty-six"),
        ("date", "1999", "y", "en-US", "nineteen ninety-nine"),
        ("date", "13/40/2026", "mdy", "en-US", "13/40/2026"),
        ("date", "11/23", "mdy", "en-US", "11/23"),
        ("date", "23/11/2026", "dmy", "es", "23/11/2026"),
        ("time", "14:30", "hms24", "en-US", "14:30"),
        ("expletive", "darn", None, "en-US", "darn"),
    ],
)
def test_said_as(kind: str, text: str, date_format: str | None, language: str, said: str) -> None:
    assert say_as(kind, text, date_format, Locale.of(language)) == said
