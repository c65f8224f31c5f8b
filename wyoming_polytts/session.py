"""One reply: text in, one audio stream out.

Text arrives in fragments; each speakable segment is submitted to the scheduler as soon
as the text pipeline completes it, and a single writer task sends the audio in order:
one audio-start, fixed-size chunks with pauses between segments, one audio-stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from .audio import CHANNELS, SAMPLE_WIDTH, PcmChunker, fade, silence, to_pcm16
from .backend import Backend
from .engines.base import SAMPLE_RATE, EngineUnavailable, SynthesisRequest
from .router import Plan
from .scheduler import Audio, Job, ReplyTicket
from .text import Segment, TextPipeline

_LOGGER = logging.getLogger(__name__)

CHARS_PER_SECOND = 14.0
"""About how fast Kokoro speaks at speed 1; estimates when a segment will be needed."""

SendEvent = Callable[[Event], Awaitable[None]]


class ReplyFailed(Exception):
    """The reply cannot be completed; `code` and the message go into a Wyoming error event."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StreamShape:
    chunk_ms: int = 100
    fade_ms: float = 5.0


class ReplySession:
    """Synthesizes one reply's segments through the scheduler and streams them in order."""

    def __init__(
        self,
        *,
        backend: Backend,
        ticket: ReplyTicket,
        plan: Plan,
        pipeline: TextPipeline,
        send: SendEvent,
        shape: StreamShape,
        context_key: str = "default",
    ) -> None:
        self._backend = backend
        self._ticket = ticket
        self._plan = plan
        self._pipeline = pipeline
        self._send = send
        self._shape = shape
        self._context_key = context_key
        self._segments: asyncio.Queue[tuple[Job, Segment] | None] = asyncio.Queue()
        self._started = backend.scheduler.clock()
        self._planned_seconds = 0.0
        self._writer = asyncio.create_task(self._write(), name="reply writer")

    def add_text(self, text: str) -> None:
        """Take a fragment of the reply; complete segments start synthesizing at once."""
        for segment in self._pipeline.feed(text):
            self._submit(segment)

    def end_text(self) -> None:
        """The reply's text is complete: flush what the pipeline still holds."""
        for segment in self._pipeline.finish():
            self._submit(segment)
        self._segments.put_nowait(None)

    async def wait(self) -> None:
        """Wait until all audio is sent (after `end_text`); raises ReplyFailed."""
        try:
            await self._writer
        finally:
            self._ticket.close(cancel=True)

    async def cancel(self) -> None:
        """Drop queued work (the client is gone or the reply failed)."""
        self._ticket.close(cancel=True)
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ReplyFailed):
            await self._writer

    def _submit(self, segment: Segment) -> None:
        request = SynthesisRequest(
            text=segment.text,
            voice=self._plan.voice,
            speed=self._plan.speed,
            context_key=self._context_key,
        )
        # The moment the player would run dry without this segment
        deadline = self._started + self._planned_seconds
        self._planned_seconds += (
            len(segment.text) / CHARS_PER_SECOND / self._plan.speed + segment.pause_after
        )
        job = self._ticket.submit(request, deadline=deadline)
        self._segments.put_nowait((job, segment))

    async def _write(self) -> None:
        try:
            await self._backend.wait_ready()
        except EngineUnavailable as err:
            raise ReplyFailed("engine-unavailable", str(err)) from err
        stream = _AudioStream(self._send, self._shape.chunk_ms)
        pending_pause = 0.0
        while (item := await self._segments.get()) is not None:
            job, segment = item
            spoke = False
            try:
                async for block in self._faded(job.blocks()):
                    if not spoke and pending_pause:
                        await stream.write(silence(SAMPLE_RATE, pending_pause))
                    spoke = True
                    await stream.write(block)
            except Exception as err:
                raise ReplyFailed(
                    "synthesis-failed",
                    f"{self._plan.engine} could not speak {segment.text!r}: {err}",
                ) from err
            if spoke:
                # Held back so that no silence trails the last segment
                pending_pause = segment.pause_after
        await stream.close()

    async def _faded(self, blocks: AsyncIterator[Audio]) -> AsyncIterator[Audio]:
        """Fade a segment's first and last milliseconds; holds one block back to know the last."""
        previous: Audio | None = None
        first = True
        async for block in blocks:
            if previous is not None:
                yield previous
            previous = fade(block, SAMPLE_RATE, self._shape.fade_ms, fade_in=first, fade_out=False)
            first = False
        if previous is not None:
            yield fade(previous, SAMPLE_RATE, self._shape.fade_ms, fade_in=False, fade_out=True)


class _AudioStream:
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
