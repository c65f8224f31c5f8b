"""Which pipeline run is a satellite's current exchange (Home Assistant's times only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wyoming_polytts.satellites.pipeline_runs import EXCHANGE_LEAD, in_exchange

WOKE = datetime(2026, 2, 20, 10, 0, 0, tzinfo=UTC)
"""When the satellite left idle (Home Assistant's clock, far from this machine's)."""


def at(seconds: float) -> str:
    return (WOKE + timedelta(seconds=seconds)).isoformat()


def run(stt_start: float | None, run_end: float | None) -> list[dict]:
    events: list[dict] = [{"type": "run-start", "data": {}, "timestamp": at(-0.2)}]
    if stt_start is not None:
        events.append({"type": "stt-start", "data": {}, "timestamp": at(stt_start)})
    if run_end is not None:
        events.append({"type": "run-end", "data": None, "timestamp": at(run_end)})
    return events


LEAD = EXCHANGE_LEAD.total_seconds()


@pytest.mark.parametrize(
    ("events", "created", "belongs"),
    [
        (run(-0.001, None), -0.3, True),  # Home Assistant's order: run, stt-start, then state
        (run(-0.001, 0.8), -0.3, True),  # a quick run ended before its reply was read
        (run(-3600, None), -3600, False),  # an open run of long ago
        (run(-(LEAD + 1), None), -(LEAD + 2), False),
        (run(-40, -30), -40, False),  # an earlier exchange's run (then an announcement)
        (run(-0.5, -0.1), -0.6, False),  # ended before the satellite left idle
        (run(-1, 2), -600, True),  # a wake word heard long after the run was created
        (run(None, None), -1, True),  # no stt-start (a run from text): its creation counts
        (run(None, None), -(LEAD + 1), False),
        ([*run(-1, None), {"type": "run-end", "data": None}], -1, False),  # end, no time
    ],
)
def test_a_run_belongs_to_the_exchange(events: list[dict], created: float, belongs: bool) -> None:
    assert in_exchange(events, WOKE + timedelta(seconds=created), WOKE) is belongs


def test_without_the_moment_of_waking_only_a_run_in_progress_counts() -> None:
    assert in_exchange(run(-3600, None), WOKE, None)
    assert not in_exchange(run(-1, 1), WOKE, None)
    assert in_exchange(["garbage", 3, {"type": None}], WOKE, None)
