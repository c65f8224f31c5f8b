"""The audio half of a reply on the wire: one audio-start, timed chunks, one audio-stop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

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


class PcmChunker:
    """Cuts a stream of PCM bytes into chunks of a fixed duration; the last may be shorter."""

    def __init__(self, rate: int, chunk_ms: int) -> None:
        self._chunk_bytes = max(SAMPLE_WIDTH, rate * chunk_ms // 1000 * SAMPLE_WIDTH * CHANNELS)
        self._pending = bytearray()

    def push(self, pcm: bytes) -> Iterator[bytes]:
        """Add PCM and yield every full chunk it completes."""
        self._pending.extend(pcm)
        while len(self._pending) >= self._chunk_bytes:
            yield bytes(self._pending[: self._chunk_bytes])
            del self._pending[: self._chunk_bytes]

    def flush(self) -> Iterator[bytes]:
        """Yield what is left."""
        if self._pending:
            yield bytes(self._pending)
            self._pending.clear()


class AudioStream:
    """One audio-start, chunks of a fixed duration with timestamps, one audio-stop."""

    def __init__(self, send: SendEvent, chunk_ms: int) -> None:
        self._send = send
        self._chunker = PcmChunker(SAMPLE_RATE, chunk_ms)
        self._started = False
        self._samples_sent = 0

    async def write(self, audio: Audio) -> None:
        await self._start()
        for pcm in self._chunker.push(to_pcm16(audio)):
            await self._send_chunk(pcm)

    async def close(self) -> None:
        await self._start()
        for pcm in self._chunker.flush():
            await self._send_chunk(pcm)
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
