"""A segment's phonemes in runs of bounded length, joined as kokoro-onnx joins its own parts."""

from __future__ import annotations

import numpy as np
import pytest

from wyoming_polytts.engines.kokoro.runs import (
    CLAUSE_PAUSE,
    SAMPLE_RATE,
    SENTENCE_PAUSE,
    phoneme_parts,
    spoken_parts,
)

PHONEMES = (
    "ðə wˈɑʃɪŋ məʃˈin fˈɪnɪʃt twˈɛlv mˈɪnɪts əɡˈO, ænd ðə drˈIəɹ nˈidz əbˈWt fˈɔɹɾi mˈɔɹ. "
    "sO ðə lˈɔndɹi wɪl bi ɹˈɛdi bɪfˈɔɹ dˈɪnəɹ."
)


@pytest.mark.parametrize("limit", [20, 40, 80])
def test_parts_stay_within_the_limit_and_keep_every_phoneme(limit: int) -> None:
    parts = phoneme_parts(PHONEMES, limit)
    assert len(parts) > 1
    assert all(len(part) <= limit for part in parts)
    assert " ".join(parts) == PHONEMES


def test_a_text_within_the_limit_is_one_part() -> None:
    assert phoneme_parts("  hˈɛlO   wˈɜɹld. ", 80) == ["hˈɛlO wˈɜɹld."]


def test_parts_are_cut_at_punctuation_where_it_fits() -> None:
    parts = phoneme_parts(PHONEMES, 60)
    assert [part[-1] for part in parts] == [",", ".", "."]


def test_each_part_is_spoken_and_followed_by_the_pause_its_mark_calls_for() -> None:
    spoken: list[str] = []

    def speak(part: str) -> np.ndarray:
        spoken.append(part)
        return np.ones(100, dtype=np.float64)

    parts = ["ə bˈit,", "ə sˈɛntəns.", "ðə lˈæst"]
    blocks = list(spoken_parts(parts, speak))
    assert spoken == parts
    assert [len(block) for block in blocks] == [
        100 + int(CLAUSE_PAUSE * SAMPLE_RATE),
        100 + int(SENTENCE_PAUSE * SAMPLE_RATE),
        100,
    ]
    assert all(block.dtype == np.float32 for block in blocks)
    assert not blocks[0][100:].any() and blocks[0][:100].all()


def test_parts_are_spoken_one_at_a_time_as_they_are_taken() -> None:
    spoken: list[str] = []
    blocks = spoken_parts(["ə,", "b"], lambda part: spoken.append(part) or np.zeros(1))
    next(blocks)
    assert spoken == ["ə,"]
