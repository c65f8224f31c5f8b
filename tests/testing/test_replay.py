"""What the benchmarks compute from the replies: percentiles and underruns."""

from __future__ import annotations

import pytest

from wyoming_polytts.testing.client import underruns
from wyoming_polytts.testing.replay import percentile


@pytest.mark.parametrize(
    ("fraction", "expected"), [(0.0, 1.0), (0.5, 3.0), (0.95, 5.0), (1.0, 5.0)]
)
def test_percentile_is_the_nearest_rank(fraction: float, expected: float) -> None:
    assert percentile([5.0, 1.0, 4.0, 2.0, 3.0], fraction) == expected


@pytest.mark.parametrize(
    ("arrivals", "seconds", "late"),
    [
        ([], [], 0),
        ([0.5, 0.6, 0.7], [0.2, 0.2, 0.2], 0),  # each came before the player needed it
        ([0.5, 0.8, 0.9], [0.2, 0.2, 0.2], 1),  # the 2nd was due at 0.7; the player waited
        ([0.5, 0.8, 1.2], [0.2, 0.2, 0.2], 2),  # after the wait, the 3rd was due at 1.0
    ],
)
def test_an_underrun_is_a_chunk_the_player_waited_for(
    arrivals: list[float], seconds: list[float], late: int
) -> None:
    assert underruns(arrivals, seconds) == late
