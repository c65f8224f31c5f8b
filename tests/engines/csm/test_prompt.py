"""CSM's utterances and fitting them into the model's window."""

from __future__ import annotations

import numpy as np
import pytest

from wyoming_polytts.engines.csm.prompt import Utterance, fit_context, fitting_utterances


def turn(text_tokens: int, frames: int) -> Utterance:
    return Utterance(tuple(range(text_tokens)), np.zeros((frames, 4), dtype=np.int16))


def test_a_turn_counts_text_frames_and_the_end_of_audio_frame() -> None:
    assert turn(5, 10).tokens == 16


def test_a_turn_travels_as_numeric_arrays() -> None:
    original = Utterance((5, 300_000), np.arange(8, dtype=np.int16).reshape(2, 4))
    blob = original.blob()
    assert {name: array.dtype.kind for name, array in blob.items()} == {
        "text_ids": "i",
        "codes": "i",
    }
    copy = Utterance.from_blob(blob)
    assert copy.text_ids == original.text_ids
    assert np.array_equal(copy.codes, original.codes)


def test_fit_keeps_the_newest_turns_that_fit_in_order() -> None:
    old, middle, new = turn(2, 7), turn(2, 17), turn(2, 27)  # 10, 20 and 30 tokens
    assert fit_context((), (old, middle, new), 60) == [old, middle, new]
    assert fit_context((), (old, middle, new), 59) == [middle, new]
    assert fit_context((), (old, middle, new), 30) == [new]
    assert fit_context((), (old, middle, new), 29) == []


def test_fit_never_skips_a_turn_to_reach_an_older_one() -> None:
    old, big, new = turn(2, 2), turn(2, 97), turn(2, 2)  # 5, 100 and 5 tokens
    assert fit_context((), (old, big, new), 20) == [new]


def test_fit_puts_a_reference_first_while_it_fits() -> None:
    reference, old, new = turn(2, 17), turn(2, 7), turn(2, 7)  # 20, 10 and 10 tokens
    assert fit_context((reference,), (old, new), 35) == [reference, new]
    assert fit_context((reference,), (old, new), 19) == [new]
    assert fit_context((reference,), (), 0) == []


@pytest.mark.parametrize(
    ("blob", "heard"),
    [
        ({"text_ids": np.arange(3), "codes": np.zeros((2, 4), np.int32)}, True),
        ({"text_ids": np.arange(3), "codes": np.zeros((2, 5), np.int32)}, False),  # other model
        ({"text_ids": np.arange(3), "codes": np.zeros(8, np.int32)}, False),
        ({"text_ids": np.arange(6).reshape(2, 3), "codes": np.zeros((2, 4), np.int32)}, False),
        ({"text_ids": np.array(3), "codes": np.zeros((2, 4), np.int32)}, False),  # 0-d
        ({"text_ids": np.arange(3.0), "codes": np.zeros((2, 4), np.int32)}, False),
        ({"text_ids": np.arange(3), "codes": np.zeros((2, 4), np.float32)}, False),
        ({"codes": np.zeros((2, 4), np.int32)}, False),
        ({"text_ids": np.arange(3), "codes": np.zeros((2, 4), np.int32), "x": np.zeros(1)}, False),
    ],
)
def test_only_blobs_this_model_can_hear_are_used(blob: dict, heard: bool) -> None:
    """The history file loads any numeric arrays; what CSM reads back it checks itself."""
    assert len(fitting_utterances([blob], num_codebooks=4)) == int(heard)
