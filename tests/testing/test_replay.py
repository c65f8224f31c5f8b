"""What the benchmarks compute from the replies: percentiles and a player's stalls."""

from __future__ import annotations

import pytest

from wyoming_polytts.testing.client import stalls
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
