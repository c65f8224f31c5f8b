"""The audio half of a reply on the wire: chunk sizes and timestamps."""

from __future__ import annotations

import numpy as np
from wyoming.audio import AudioChunk, AudioStop
from wyoming.event import Event

from wyoming_polytts.engines.base import SAMPLE_RATE
from wyoming_polytts.server.audio_stream import AudioStream


def tone(seconds: float) -> np.ndarray:
    return np.full(round(seconds * SAMPLE_RATE), 0.25, dtype=np.float32)


async def test_each_write_goes_out_whole_so_a_segments_end_is_not_held_back() -> None:
    sent: list[Event] = []

    async def send(event: Event) -> None:
        sent.append(event)

    stream = AudioStream(send, chunk_ms=100)
    await stream.write(tone(0.25))
    # The next segment is not made yet: the listener has all of this one
    chunks = [AudioChunk.from_event(event) for event in sent[1:]]
    assert [len(chunk.audio) // 2 for chunk in chunks] == [2400, 2400, 1200]
    assert [chunk.timestamp for chunk in chunks] == [0, 100, 200]
    await stream.write(tone(0.1))
    await stream.close()
    assert AudioChunk.from_event(sent[-2]).timestamp == 250
    assert AudioStop.from_event(sent[-1]).timestamp == 350
    assert [event.type for event in sent].count("audio-start") == 1
