"""The reply recorder with a fake clock: first audio, underruns, real-time factor, totals."""

from __future__ import annotations

import pytest

from wyoming_polytts.reply.activity import (
    CANCELLED,
    FIRST_AUDIO_BUCKETS,
    OK,
    Histogram,
    ReplyRecorder,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock()


@pytest.fixture(name="recorder")
def recorder_fixture(clock: Clock) -> ReplyRecorder:
    return ReplyRecorder(clock=clock, wall_clock=lambda: 1.7e9)


def play(clock: Clock, record, writes: list[tuple[float, float]]) -> None:  # type: ignore[no-untyped-def]
    """Write (at time offset from now, seconds of audio) blocks."""
    start = clock.now
    for at, seconds in writes:
        clock.now = start + at
        record.wrote(seconds)


@pytest.mark.parametrize(
    ("writes", "underruns"),
    [
        # Blocks that come before the player needs them: none
        ([(0.5, 1.0), (0.6, 1.0), (1.4, 1.0)], 0),
        # The third block comes 0.5 s after the player ran dry at 2.5 s
        ([(0.5, 1.0), (1.0, 1.0), (3.0, 1.0)], 1),
        # After a stall the player resumes from the late block: the next is measured from there
        ([(0.5, 1.0), (3.0, 1.0), (3.9, 1.0), (6.0, 1.0)], 2),
    ],
)
def test_underruns_count_blocks_a_player_would_have_waited_for(
    clock: Clock, recorder: ReplyRecorder, writes: list[tuple[float, float]], underruns: int
) -> None:
    record = recorder.reply_started(engine="kokoro", voice="af_heart", satellite="kitchen")
    play(clock, record, writes)
    record.finish(OK)
    (summary,) = recorder.snapshot().recent
    assert summary.underruns == underruns
    assert summary.first_audio == pytest.approx(0.5)
    assert summary.audio_seconds == pytest.approx(len(writes))
    assert recorder.snapshot().engines["kokoro"].underruns == underruns


def test_a_reply_in_progress_and_after(clock: Clock, recorder: ReplyRecorder) -> None:
    record = recorder.reply_started(engine="kokoro", voice="af_heart", satellite="kitchen")
    play(clock, record, [(0.25, 2.0)])
    record.synthesized(0.8)
    clock.now += 0.5
    snapshot = recorder.snapshot()
    (live,) = snapshot.in_progress
    assert (live.outcome, live.duration, live.real_time_factor) == (None, 0.75, 0.4)
    assert snapshot.recent == ()
    # Totals include what a reply in progress did so far, and do not count it twice later
    assert snapshot.engines["kokoro"].audio_seconds == 2.0
    assert snapshot.engines["kokoro"].first_audio.count == 1
    record.finish(OK)
    record.finish("busy")  # a second end changes nothing
    snapshot = recorder.snapshot()
    assert snapshot.in_progress == ()
    (done,) = snapshot.recent
    assert (done.outcome, done.satellite, done.started_at) == (OK, "kitchen", 1.7e9)
    totals = snapshot.engines["kokoro"]
    assert (totals.audio_seconds, totals.synthesis_seconds) == (2.0, 0.8)
    assert totals.first_audio.count == 1
    assert dict(totals.replies) == {OK: 1}
    assert snapshot.errors == {}


def test_fallback_moves_the_reply_and_its_figures_to_the_next_engine(
    clock: Clock, recorder: ReplyRecorder
) -> None:
    record = recorder.reply_started(engine="csm", voice="csm_0", satellite="office")
    play(clock, record, [(0.3, 1.0)])
    record.synthesized(0.9)
    record.fell_back("kokoro", "af_heart")
    play(clock, record, [(0.2, 1.5)])
    record.synthesized(0.3)
    record.finish("synthesis-failed")
    snapshot = recorder.snapshot()
    (summary,) = snapshot.recent
    assert (summary.engine, summary.voice, summary.fallbacks) == ("kokoro", "af_heart", ("kokoro",))
    assert summary.synthesis_seconds == pytest.approx(1.2)
    csm, kokoro = snapshot.engines["csm"], snapshot.engines["kokoro"]
    assert (csm.audio_seconds, kokoro.audio_seconds) == (1.0, 1.5)
    assert dict(csm.fallbacks) == {"kokoro": 1}
    assert (csm.first_audio.count, kokoro.first_audio.count) == (1, 0)
    assert dict(kokoro.replies) == {"synthesis-failed": 1}
    assert snapshot.errors == {"synthesis-failed": 1}


def test_errors_count_refusals_and_failed_replies_but_not_cancelled_ones(
    recorder: ReplyRecorder,
) -> None:
    recorder.refused("busy")
    recorder.refused("busy")
    recorder.refused("unknown-voice")
    recorder.reply_started(engine="kokoro", voice="af_heart", satellite="default").finish(CANCELLED)
    recorder.reply_started(engine="kokoro", voice="af_heart", satellite="default").finish("busy")
    snapshot = recorder.snapshot()
    assert snapshot.errors == {"busy": 3, "unknown-voice": 1}
    assert dict(snapshot.engines["kokoro"].replies) == {CANCELLED: 1, "busy": 1}


def test_recent_keeps_the_newest_replies(clock: Clock) -> None:
    recorder = ReplyRecorder(clock=clock, keep=3)
    for index in range(5):
        recorder.reply_started(engine="kokoro", voice=f"v{index}", satellite="default").finish(OK)
    assert [reply.voice for reply in recorder.snapshot().recent] == ["v4", "v3", "v2"]
    assert dict(recorder.snapshot().engines["kokoro"].replies) == {OK: 5}


def test_connections(recorder: ReplyRecorder, clock: Clock) -> None:
    recorder.connection_opened()
    recorder.connection_opened()
    recorder.connection_closed()
    clock.now += 7.0
    snapshot = recorder.snapshot()
    assert (snapshot.connections, snapshot.connections_total, snapshot.uptime) == (1, 2, 7.0)


@pytest.mark.parametrize(
    ("value", "bucket"),
    [(0.0, 0), (FIRST_AUDIO_BUCKETS[0], 0), (0.15, 1), (1.0, 5), (99.0, len(FIRST_AUDIO_BUCKETS))],
)
def test_histogram_buckets_are_inclusive_upper_bounds(value: float, bucket: int) -> None:
    histogram = Histogram()
    histogram.observe(value)
    assert histogram.counts.index(1) == bucket
    assert (histogram.count, histogram.total) == (1, value)


def test_a_reply_attributed_before_its_audio_takes_its_satellite(recorder: ReplyRecorder) -> None:
    record = recorder.reply_started(engine="kokoro", voice="af_heart", satellite="default")
    record.attributed(engine="kokoro", voice="bf_emma", satellite="kitchen")
    record.finish(OK)
    (summary,) = recorder.snapshot().recent
    assert (summary.voice, summary.satellite) == ("bf_emma", "kitchen")
