"""The audio half of a reply on the wire: one audio-start, timed chunks, one audio-stop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import numpy as np
from numpy.typing import NDArray
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from .audio import CHANNELS, SAMPLE_WIDTH, PcmChunker, to_pcm16
from .engines.base import SAMPLE_RATE

SendEvent = Callable[[Event], Awaitable[None]]


class AudioStream:
    """One audio-start, chunks of a fixed duration with timestamps, one audio-stop."""

    def __init__(self, send: SendEvent, chunk_ms: int) -> None:
        self._send = send
        self._chunker = PcmChunker(SAMPLE_RATE, chunk_ms)
        self._started = False
        self._samples_sent = 0

    async def write(self, audio: NDArray[np.float32]) -> None:
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
