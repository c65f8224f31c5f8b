"""The audio half of a reply on the wire: one audio-start, timed chunks, one audio-stop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from ..engines.base import SAMPLE_RATE, Audio
from ..reply.audio import to_pcm16_samples

SendEvent = Callable[[Event], Awaitable[None]]
SAMPLE_WIDTH = 2
CHANNELS = 1


def to_pcm16(audio: Audio) -> bytes:
    """Clip to [-1, 1] and convert to little-endian signed 16-bit PCM bytes."""
    return to_pcm16_samples(audio).tobytes()


class AudioStream:
    """One audio-start, chunks with timestamps, one audio-stop.

    Each write goes out whole, in chunks of `chunk_ms` and a shorter last one: the end of a
    segment is never held back for the next to fill its chunk, which a listener would hear
    as the segment's last word cut off while the next one is made."""

    def __init__(self, send: SendEvent, chunk_ms: int) -> None:
        self._send = send
        self._chunk_bytes = max(
            SAMPLE_WIDTH, SAMPLE_RATE * chunk_ms // 1000 * SAMPLE_WIDTH * CHANNELS
        )
        self._started = False
        self._samples_sent = 0

    async def write(self, audio: Audio) -> None:
        await self._start()
        pcm = to_pcm16(audio)
        for start in range(0, len(pcm), self._chunk_bytes):
            await self._send_chunk(pcm[start : start + self._chunk_bytes])

    async def close(self) -> None:
        await self._start()
        await self._send(AudioStop(timestamp=self._timestamp_ms()).event())

    async def _start(self) -> None:
        if not self._started:
            self._started = True
            await self._send(
                AudioStart(rate=SAMPLE_RATE, width=SAMPLE_WIDTH, channels=CHANNELS).event()
            )

    async def _send_chunk(self, pcm: bytes) -> None:
        chunk = AudioChunk(
            rate=SAMPLE_RATE,
            width=SAMPLE_WIDTH,
            channels=CHANNELS,
            audio=pcm,
            timestamp=self._timestamp_ms(),
        )
        self._samples_sent += len(pcm) // (SAMPLE_WIDTH * CHANNELS)
        await self._send(chunk.event())

    def _timestamp_ms(self) -> int:
        return self._samples_sent * 1000 // SAMPLE_RATE
