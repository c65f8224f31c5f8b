"""An engine's costs, learnt from the segments it spoke."""

from __future__ import annotations

import pytest

from wyoming_polytts.reply.costs import Cost, CostModel


def test_costs_are_fitted_to_the_segments_spoken() -> None:
    model = CostModel()
    for chars, seconds in [(10, 0.3), (50, 0.7), (100, 1.2), (30, 0.5)]:
        model.record("en-US", chars, seconds)
    cost = model.cost("en-US")
    assert cost.fixed == pytest.approx(0.2, abs=0.01)
    assert cost.per_char == pytest.approx(0.01, abs=0.001)
    assert cost.chars_within(0.5) == pytest.approx(30, abs=1)
    # Another language borrows this engine's costs until it has its own
    assert model.cost("fr") == cost


def test_costs_of_one_length_only_keep_a_fixed_part_and_never_go_negative() -> None:
    model = CostModel(prior=Cost(fixed=0.2, per_char=0.03))
    model.record("en-US", 40, 0.6)
    assert model.cost("en-US") == Cost(0.2, pytest.approx(0.01))
    faster = CostModel()
    faster.record("en-US", 10, 0.5)
    faster.record("en-US", 100, 0.4)  # noise: longer was quicker
    assert faster.cost("en-US").per_char > 0 and faster.cost("en-US").fixed >= 0


def test_the_speech_per_character_is_learnt_from_the_audio_made() -> None:
    model = CostModel()
    assert model.speech("en-US") is None  # the engine's nominal rate stands in
    model.record("en-US", 100, 1.0, audio_seconds=5.0)
    model.record("en-US", 50, 0.5, audio_seconds=3.0)
    model.record("en-US", 40, 0.4)  # cut short: its audio says nothing of the rate
    assert model.speech("en-US") == pytest.approx(8.0 / 150)
    assert model.speech("fr") == model.speech("en-US")  # borrowed until measured


def test_the_shortest_segment_that_keeps_up_pays_for_the_fixed_cost() -> None:
    # A loaded machine: 0.9 s whatever the length, 0.037 s a character, speech 0.053 s
    assert Cost(fixed=0.9, per_char=0.037).sustained_chars(0.053) == 57
    # A fast one: a few characters already make audio faster than it is spoken
    assert Cost(fixed=0.2, per_char=0.008).sustained_chars(0.053) == 5
    # Slower than speech: no length keeps up
    assert Cost(fixed=0.2, per_char=0.06).sustained_chars(0.053) is None
    # Four replies sharing the worker: each has a quarter of it
    assert Cost(fixed=0.2, per_char=0.008).sustained_chars(0.053, sharers=4) == 39
    assert Cost(fixed=0.9, per_char=0.037).sustained_chars(0.053, sharers=2) is None
