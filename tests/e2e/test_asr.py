"""The word error rate used by the intelligibility checks."""

from __future__ import annotations

from wyoming_polytts.testing.asr import heard_error_rate, word_error_rate, words
from wyoming_polytts.text.english import normalize_english


def test_words_ignore_case_punctuation_and_hyphens() -> None:
    assert words("Twenty-one, it's DONE!") == ["twenty", "one", "it's", "done"]


def test_word_error_rate_counts_substitutions_insertions_and_deletions() -> None:
    assert word_error_rate("the lights are on", "the lights are on") == 0.0
    assert word_error_rate("the lights are on", "the light are on") == 0.25
    assert word_error_rate("the lights are on", "the lights are on now") == 0.25
    assert word_error_rate("the lights are on", "lights on") == 0.5
    assert word_error_rate("", "noise") == 1.0


def test_numbers_whisper_wrote_in_digits_count_as_heard_when_they_read_as_a_time() -> None:
    spoken = "The meeting starts at fifteen forty-five and ends at seventeen hundred."
    heard = "The meeting starts at 1545 and ends at 1700."
    assert word_error_rate(spoken, normalize_english(heard)) > 0.5  # "one thousand five..."
    assert heard_error_rate(spoken, heard, normalize_english) == 0.0
    alarm = "Your alarm is set for seven oh five AM tomorrow."
    assert heard_error_rate(alarm, "Your alarm is set for 705 AM tomorrow.", normalize_english) == 0
    assert (
        heard_error_rate(alarm, "Your alarm is set for 7.05 a.m. tomorrow.", normalize_english) == 0
    )


def test_other_numbers_and_other_words_still_count_as_errors() -> None:
    year = "Today is November twenty-third, twenty twenty-six."
    assert heard_error_rate(year, "Today is November 23rd, 2026.", normalize_english) == 0.0
    alarm = "Your alarm is set for seven oh five AM tomorrow."
    assert heard_error_rate(alarm, "Your alarm is set for 715 AM tomorrow.", normalize_english) > 0
    assert (
        heard_error_rate(alarm, "Your alarm is set for seven AM tomorrow.", normalize_english) > 0
    )
