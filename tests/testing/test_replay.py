"""What the benchmarks compute from the replies: percentiles and a player's stalls."""

from __future__ import annotations

import pytest

from wyoming_polytts.testing.client import Reply, stalls
from wyoming_polytts.testing.replay import percentile


@pytest.mark.parametrize(
    ("fraction", "expected"), [(0.0, 1.0), (0.5, 3.0), (0.95, 5.0), (1.0, 5.0)]
)
def test_percentile_is_the_nearest_rank(fraction: float, expected: float) -> None:
    assert percentile([5.0, 1.0, 4.0, 2.0, 3.0], fraction) == expected


@pytest.mark.parametrize(
    ("arrivals", "seconds", "waits"),
    [
        ([], [], []),
        ([0.5, 0.6, 0.7], [0.2, 0.2, 0.2], []),  # each came before the player needed it
        ([0.5, 0.8, 0.9], [0.2, 0.2, 0.2], [0.1]),  # the 2nd was due at 0.7
        ([0.5, 0.8, 1.2], [0.2, 0.2, 0.2], [0.1, 0.2]),  # after the wait, the 3rd at 1.0
    ],
)
def test_a_stall_is_a_wait_for_a_chunk_that_was_not_there(
    arrivals: list[float], seconds: list[float], waits: list[float]
) -> None:
    assert stalls(arrivals, seconds) == pytest.approx(waits)


def test_a_stall_at_a_pause_is_between_sentences_and_one_amid_speech_inside() -> None:
    """Chunks of 0.2 s at 1 kHz: speech, a pause's zeros, speech, speech, a pause, speech."""
    speech, pause = b"\x10\x00" * 200, b"\x00\x00" * 200
    reply = Reply(rate=1000, chunk_seconds=[0.2] * 6, chunk_times=[0, 0.1, 1, 2, 3, 4])
    reply.audio.extend(speech + pause + speech + speech + pause + speech)
    # Waits: after the pause (between), amid speech (inside), before a pause (between: a
    # server that sends the pause with the words after it), after it again (between)
    assert len(reply.stalls()) == 4
    assert reply.stalls_inside_sentences() == 1
