"""A pause that stretches while the segment after it is made: silence a step at a time, just
before the listener's player runs out, until that segment has audio or the stretch is spent."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from wyoming_polytts.engines.base import SAMPLE_RATE, Audio, SynthesisRequest
from wyoming_polytts.reply.lane import STRETCH_STEP, Pending
from wyoming_polytts.reply.scheduler import Job
from wyoming_polytts.text import Pause, Segment


def pending(loop: asyncio.AbstractEventLoop) -> Pending:
    job = Job(SynthesisRequest(text="The rest.", voice="af_heart"), deadline=0.0, loop=loop)
    return Pending(Segment("The rest.", Pause.SENTENCE), 0.0, 0.6, job, lane=0)


async def test_the_pause_grows_until_the_segment_after_it_has_audio() -> None:
    item = pending(asyncio.get_running_loop())
    written: list[Audio] = []

    async def write(audio: Audio) -> None:
        written.append(audio)
        if len(written) == 3:
            item.job.deliver(np.zeros(10, dtype=np.float32))

    unused = await item.stretch_pause(0.45, lambda: 0.0, write)
    assert len(written) == 3
    assert all(not block.any() and len(block) == STRETCH_STEP * SAMPLE_RATE for block in written)
    assert unused == pytest.approx(0.45 - 3 * STRETCH_STEP)


async def test_the_pause_grows_no_longer_than_it_may() -> None:
    item = pending(asyncio.get_running_loop())
    written: list[Audio] = []

    async def write(audio: Audio) -> None:
        written.append(audio)

    assert await item.stretch_pause(0.12, lambda: 0.0, write) == 0.0
    assert sum(len(block) for block in written) == round(0.12 * SAMPLE_RATE)


async def test_nothing_is_written_while_the_player_has_audio_and_the_segment_comes() -> None:
    """The player has 10 s to play: the segment's audio, delivered meanwhile, ends the wait."""
    loop = asyncio.get_running_loop()
    item = pending(loop)
    written: list[Audio] = []

    async def write(audio: Audio) -> None:
        written.append(audio)

    loop.call_later(0.05, item.job.deliver, np.zeros(10, dtype=np.float32))
    assert await item.stretch_pause(0.45, lambda: 10.0, write) == 0.45
    assert written == []
