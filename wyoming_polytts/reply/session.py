"""One reply: text in, one audio stream out, on one engine or, when it fails, the next.

Text arrives in fragments; each speakable segment is submitted to the scheduler as soon
as the text pipeline completes it, and a single writer task writes the audio to the
reply's sink in order, with pauses between segments.

A reply has lanes: the plan's route and its fallbacks. When the current lane's engine
raises, times out (no audio within the first-audio budget) or cannot load, the writer
moves to the next lane and re-submits every segment not yet spoken, the failed one
first; all engines speak 24 kHz mono, so the stream simply goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from ..engines.base import SAMPLE_RATE, Audio, SynthesisRequest
from ..engines.errors import EngineUnavailable
from ..satellites.history import Conversation
from ..text import Segment, TextPipeline
from .audio import AudioSink, fade, silence
from .backend import Backend
from .circuit import HealthBoard
from .router import Plan, Route
from .scheduler import Job, ReplyTicket, SchedulerBusy
from .settings import SPEEDS

_LOGGER = logging.getLogger(__name__)

FADE_MS = 5.0
"""Ramp at each segment's edges, so joins and silences never click."""


class ReplyFailed(Exception):
    """The reply cannot be completed; `code` and the message go into a Wyoming error event."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Lane:
    """A route of the plan and the backend that speaks it."""

    route: Route
    backend: Backend
    ticket: ReplyTicket | None = None
    ready: bool = False


@dataclass
class _Pending:
    """A segment submitted to a lane and not yet spoken."""

    segment: Segment
    deadline: float
    job: Job
    lane: int


class _LaneFailed(Exception):
    def __init__(self, code: str, message: str, *, partial: bool) -> None:
        super().__init__(message)
        self.code = code
        self.partial = partial


class ReplySession:
    """Synthesizes one reply's segments through the scheduler and streams them in order."""

    def __init__(
        self,
        *,
        lanes: Sequence[Lane],
        plan: Plan,
        pipeline: TextPipeline,
        sink: AudioSink,
        conversation: Conversation,
        health: HealthBoard,
        first_audio_timeout: float | None = None,
        retry_pause: float = 0.0,
    ) -> None:
        self._lanes = list(lanes)
        self._lane = 0
        self._plan = plan
        self._pipeline = pipeline
        self._sink = sink
        self._conversation = conversation
        self._health = health
        self._first_audio_timeout = first_audio_timeout
        self._retry_pause = retry_pause
        self._segments: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._backlog: deque[_Pending] = deque()
        self._spoken: list[str] = []
        self._started = self._lanes[0].backend.scheduler.clock()
        self._planned_seconds = 0.0
        self._ticket(0)  # the first lane's admission; raises ReplyFailed("busy")
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
            self._close_tickets()

    async def cancel(self) -> None:
        """Drop queued work (the client is gone or the reply failed)."""
        self._close_tickets()
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ReplyFailed):
            await self._writer

    def _close_tickets(self) -> None:
        for lane in self._lanes:
            if lane.ticket is not None:
                lane.ticket.close(cancel=True)

    def _ticket(self, index: int) -> ReplyTicket:
        lane = self._lanes[index]
        if lane.ticket is None:
            try:
                lane.ticket = lane.backend.scheduler.open_reply()
            except SchedulerBusy as err:
                raise ReplyFailed("busy", f"server busy, try again shortly: {err}") from err
        return lane.ticket

    def _submit(self, segment: Segment) -> None:
        # The moment the player would run dry without this segment
        deadline = self._started + self._planned_seconds
        rate = self._lanes[self._lane].backend.engine.chars_per_second
        self._planned_seconds += len(segment.text) / rate / self._speed(segment) + (
            self._pipeline.pause_after(segment)
        )
        item = _Pending(segment, deadline, self._job(segment, deadline), self._lane)
        self._backlog.append(item)
        self._segments.put_nowait(item)

    def _speed(self, segment: Segment) -> float:
        low, high = SPEEDS
        return min(high, max(low, self._plan.speed * segment.delivery.speed))

    def _job(self, segment: Segment, deadline: float) -> Job:
        route = self._lanes[self._lane].route
        delivery = segment.delivery
        request = SynthesisRequest(
            text=segment.text,
            # Markup names voices of the plan's first engine; a fallback speaks with its own
            voice=delivery.voice if delivery.voice and self._lane == 0 else route.voice,
            speed=self._speed(segment),
            conversation=self._conversation,
            language=delivery.language,
        )
        return self._ticket(self._lane).submit(request, deadline=deadline)

    async def _write(self) -> None:
        pending_pause = 0.0
        while (item := await self._segments.get()) is not None:
            while True:
                try:
                    spoke = await self._speak(item, pending_pause)
                    break
                except _LaneFailed as failure:
                    self._fail_over(failure)
                    if failure.partial:
                        pending_pause = self._retry_pause
            self._backlog.popleft()
            self._health[self._lanes[self._lane].route.engine].record_success()
            self._spoken.append(item.segment.text)
            if spoke:
                # Held back so that no silence trails the last segment
                pending_pause = self._pipeline.pause_after(item.segment)
        await self._sink.close()
        if self._spoken:
            self._conversation.commit(" ".join(self._spoken))

    async def _speak(self, item: _Pending, pause: float) -> bool:
        """Stream one segment; whether it had any audio. Raises _LaneFailed."""
        lane = self._lanes[item.lane]
        # Waiting is bounded only where another engine can take over
        budget = self._first_audio_timeout if item.lane + 1 < len(self._lanes) else None
        engine = lane.route.engine
        if not lane.ready:
            try:
                async with asyncio.timeout(budget):
                    await lane.backend.wait_ready()
            except EngineUnavailable as err:
                raise _LaneFailed("engine-unavailable", str(err), partial=False) from err
            except TimeoutError as err:
                raise _LaneFailed(
                    "timeout", f"{engine} was not ready within {budget} s", partial=False
                ) from err
            lane.ready = True
        spoke = False
        blocks = self._faded(_within(item.job.blocks(), budget))
        while True:
            try:
                block = await anext(blocks)
            except StopAsyncIteration:
                return spoke
            except TimeoutError as err:
                raise _LaneFailed(
                    "timeout", f"{engine} gave no audio for {budget} s", partial=spoke
                ) from err
            except Exception as err:
                raise _LaneFailed(
                    "synthesis-failed",
                    f"{engine} could not speak {item.segment.text!r}: {err}",
                    partial=spoke,
                ) from err
            if not spoke and pause:
                await self._sink.write(silence(SAMPLE_RATE, pause))
            spoke = True
            await self._sink.write(block)

    def _fail_over(self, failure: _LaneFailed) -> None:
        """Move to the next lane and re-submit what is not spoken; raise ReplyFailed at the end."""
        failed = self._lanes[self._lane]
        self._health[failed.route.engine].record_failure()
        if self._lane + 1 >= len(self._lanes):
            raise ReplyFailed(failure.code, str(failure))
        self._lane += 1
        lane = self._lanes[self._lane]
        _LOGGER.warning(
            "%s; continuing the reply with %s (%s)", failure, lane.route.voice, lane.route.engine
        )
        if failed.ticket is not None:
            failed.ticket.close(cancel=True)
        self._ticket(self._lane)
        self._health[lane.route.engine].begin()
        for pending in self._backlog:
            pending.job = self._job(pending.segment, pending.deadline)
            pending.lane = self._lane

    async def _faded(self, blocks: AsyncIterator[Audio]) -> AsyncIterator[Audio]:
        """Fade a segment's first and last milliseconds; holds one block back to know the last."""
        previous: Audio | None = None
        first = True
        async for block in blocks:
            if previous is not None:
                yield previous
            previous = fade(block, SAMPLE_RATE, FADE_MS, fade_in=first, fade_out=False)
            first = False
        if previous is not None:
            yield fade(previous, SAMPLE_RATE, FADE_MS, fade_in=False, fade_out=True)


async def _within(blocks: AsyncIterator[Audio], budget: float | None) -> AsyncIterator[Audio]:
    """The blocks, raising TimeoutError when one takes longer than `budget` seconds to come."""
    iterator = aiter(blocks)
    while True:
        try:
            async with asyncio.timeout(budget):
                block = await anext(iterator)
        except StopAsyncIteration:
            return
        yield block
