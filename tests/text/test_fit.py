"""Where a sentence too long to be ready in time is cut: where a speaker would pause."""

from __future__ import annotations

import pytest

from wyoming_polytts.text.fit import fit, shortest_part
from wyoming_polytts.text.locale import Locale
from wyoming_polytts.text.segment import Pause, Segment

LIGHTS = (
    "I've turned on the kitchen lights and set them to forty percent brightness, "
    "and the living room is at twenty one degrees."
)
EN = Locale.of("en-US")


@pytest.mark.parametrize(
    ("max_chars", "head", "pause"),
    [
        (200, LIGHTS, Pause.SENTENCE),  # fits: whole
        (90, LIGHTS[:75], Pause.CLAUSE),  # clause punctuation first
        (60, "I've turned on the kitchen lights and set them", Pause.PHRASE),  # a phrase
        (25, "I've turned on the kitchen lights", Pause.PHRASE),  # a phrase over, not a word
        (5, "I've turned on the kitchen lights", Pause.PHRASE),  # late: the first phrase
    ],
)
def test_the_first_part_ends_at_the_best_pause_that_fits(
    max_chars: int, head: str, pause: Pause
) -> None:
    first, rest = fit(Segment(LIGHTS, Pause.SENTENCE), max_chars, EN)
    assert (first.text, first.pause) == (head, pause)
    assert (rest.text if rest else "") == LIGHTS[len(head) :].strip()
    assert rest is None or rest.pause is Pause.SENTENCE  # the rest ends as the whole did


def test_a_word_cut_never_leaves_an_article_or_preposition_at_the_end() -> None:
    text = "Please remember to water the big green plant near the window of the hall today."
    first, _rest = fit(Segment(text, Pause.SENTENCE), 30, EN)
    assert first.text.split()[-1] not in {"the", "to", "of", "near", "a"}
    assert len(first.text.split()) >= 3


def test_without_cuts_between_words_only_a_pause_ends_the_first_part() -> None:
    text = "Please remember to water the big green plant near the window in the hall today."
    first, _rest = fit(Segment(text, Pause.SENTENCE), 30, EN)
    assert len(first.text) <= 30  # between words
    first, _rest = fit(Segment(text, Pause.SENTENCE), 30, EN, between_words=False)
    assert first.text == "Please remember to water the big green plant near the window"
    unbroken = Segment("The front door is firmly locked now.", Pause.SENTENCE)
    assert fit(unbroken, 12, EN, between_words=False) == (unbroken, None)


def test_nothing_is_cut_that_would_leave_a_lone_word() -> None:
    first, rest = fit(Segment("Turn it off now please.", Pause.SENTENCE), 8, EN)
    assert rest is None or len(rest.text.split()) >= 3
    assert len(first.text.split()) >= 3


def test_other_languages_cut_before_their_own_conjunctions() -> None:
    text = "He encendido las luces de la cocina y he bajado la persiana del salón."
    first, rest = fit(Segment(text, Pause.SENTENCE), 40, Locale.of("es"))
    assert first.text == "He encendido las luces de la cocina"
    assert rest is not None and rest.text.startswith("y he bajado")


def test_a_first_part_is_never_shorter_than_asked_and_still_ends_at_a_pause() -> None:
    # The phrase that fits 60 characters ends at 46; a clause a little longer is the cut
    first, rest = fit(Segment(LIGHTS, Pause.SENTENCE), 60, EN, min_chars=60)
    assert (first.text, first.pause) == (LIGHTS[:75], Pause.CLAUSE)
    assert rest is not None and rest.text == LIGHTS[76:]


@pytest.mark.parametrize(
    "text",
    [
        "The parcel comes on November 23, 2026 in the morning with the blue van",
        "The winning numbers are 4, 8, 15, 16, 23 and 42 in this week's draw",
    ],
)
def test_a_comma_between_numbers_is_no_clause_to_cut_at(text: str) -> None:
    """The sentence splitter's rule: digits stay where a language keeps them (Hindi, Chinese),
    and a date or a list of numbers is no pause."""
    first, _rest = fit(Segment(text, Pause.SENTENCE), 40, EN)
    assert first.pause is not Pause.CLAUSE
    assert not first.text.endswith(",")


def test_the_shortest_part_is_the_earliest_cut_fit_makes() -> None:
    assert shortest_part(Segment(LIGHTS, Pause.SENTENCE), EN) == len("I've turned on the kitchen")
    for max_chars in range(len(LIGHTS)):
        first, _rest = fit(Segment(LIGHTS, Pause.SENTENCE), max_chars, EN)
        assert len(first.text) >= shortest_part(Segment(LIGHTS, Pause.SENTENCE), EN)
    assert shortest_part(Segment("Turn it off now.", Pause.SENTENCE), EN) == 16  # no cut
