"""The word error rate used by the intelligibility checks."""

from __future__ import annotations

from wyoming_polytts.testing.asr import word_error_rate, words


def test_words_ignore_case_punctuation_and_hyphens() -> None:
    assert words("Twenty-one, it's DONE!") == ["twenty", "one", "it's", "done"]


def test_word_error_rate_counts_substitutions_insertions_and_deletions() -> None:
    assert word_error_rate("the lights are on", "the lights are on") == 0.0
    assert word_error_rate("the lights are on", "the light are on") == 0.25
    assert word_error_rate("the lights are on", "the lights are on now") == 0.25
    assert word_error_rate("the lights are on", "lights on") == 0.5
    assert word_error_rate("", "noise") == 1.0
