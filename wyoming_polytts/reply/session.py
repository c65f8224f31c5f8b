"""One reply: text in, one audio stream out, on one engine or, when it fails, the next.

Text arrives in fragments; the text pipeline cuts them into segments in a worker thread
(its work grows with the text, and the event loop only moves events and bytes), each
segment is submitted to the scheduler in pieces its pace decides (`reply/pace`; never more
than `read_ahead` seconds of audio beyond what the listener has taken), and a single writer
task writes the audio to the reply's sink in order, with pauses between segments.

A reply has lanes: the plan's first voice choice and its fallbacks. When the current lane's engine
raises, stays silent or cannot load in time, the writer moves to the next lane and
re-submits every segment not yet spoken, the failed one first; all engines speak 24 kHz
mono, so the stream simply goes on. The reply owns its scheduler admissions: they are
released however its writer ends, even when it is cancelled before it ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from ..engines.base import SAMPLE_RATE, Audio, SynthesisRequest
from ..text import Pause, Segment
from .activity import CANCELLED, OK, ReplyRecorder
from .audio import AudioSink, faded, silence
from .circuit import HealthBoard
from .errors import CLIENT_MESSAGES, ReplyFailed
from .lane import LaneFailed, Pending, ReplyLimits, ReplySetup, speak_segment, wait_ready
from .pace import Piece, ReplyPace
from .scheduler import Job, ReplyTicket, SchedulerBusy
from .settings import SPEEDS

_LOGGER = logging.getLogger(__name__)


class ReplySession:
    """Synthesizes one reply's segments through the scheduler and streams them in order."""

    def __init__(
        self,
        *,
        setup: ReplySetup,
        sink: AudioSink,
        health: HealthBoard,
        limits: ReplyLimits,
        recorder: ReplyRecorder,
        reattribute: Callable[[], Awaitable[ReplySetup | None]] | None = None,
    ) -> None:
        """`reattribute`, when given, may find the reply's satellite just before its text is
        cut: a better setup replaces the first one (nothing was synthesized yet)."""
        self._take(setup)
        self._sink = sink
        self._health = health
        self._limits = limits
        self._reattribute = reattribute
        self._texts: asyncio.Queue[str | None] = asyncio.Queue()
        """Fragments for the text pipeline; None once the text is complete."""
        self._waiting: deque[Segment] = deque()
        """Complete segments held back by the read-ahead limit."""
        self._text_complete = False
        self._segments: asyncio.Queue[Pending | ReplyFailed | None] = asyncio.Queue()
        self._backlog: deque[Pending] = deque()
        """Submitted and not yet spoken, oldest first."""
        self._spoken: list[str] = []
        self._pace = ReplyPace(self._lanes[0].backend.scheduler, limits.read_ahead)
        self._joining: Segment | None = None
        """The rest of the last piece's segment when it was cut between phrases: what goes
        on from it with no pause."""
        self._hold: asyncio.TimerHandle | None = None
        """While the first segment waits for the text after it (cancelled: no longer)."""
        self._ticket(0)  # the first lane's admission; raises ReplyFailed("busy")
        self._record = recorder.reply_started(
            engine=self._plan.engine, voice=self._plan.voice, satellite=self._conversation.key
        )
        self._segmenter = asyncio.create_task(self._segment(), name="reply text")
        self._writer = asyncio.create_task(self._write(), name="reply writer")
        self._writer.add_done_callback(lambda _task: self._release())

    def add_text(self, text: str) -> None:
        """Take a fragment of the reply; complete segments start synthesizing soon."""
        self._texts.put_nowait(text)

    def end_text(self) -> None:
        """The reply's text is complete: what the pipeline still holds follows."""
        self._texts.put_nowait(None)

    def _take(self, setup: ReplySetup) -> None:
        self._lanes = list(setup.lanes)
        self._lane = 0
        self._plan = setup.plan
        self._pipeline = setup.pipeline
        self._conversation = setup.conversation

    async def _attribute(self) -> None:
        """Take the setup of the satellite found since the reply opened, if one was."""
        better = await self._reattribute() if self._reattribute else None
        if better is not None:
            self._close_tickets()
            self._take(better)
            self._pace.use(self._lanes[0].backend.scheduler)
            self._record.attributed(
                engine=self._plan.engine, voice=self._plan.voice, satellite=self._conversation.key
            )
            self._ticket(0)
            self._health[self._plan.engine].begin()

    async def _segment(self) -> None:
        try:
            await self._attribute()
        except ReplyFailed as err:
            self._segments.put_nowait(err)
            return
        try:
            while (text := await self._texts.get()) is not None:
                self._waiting.extend(await asyncio.to_thread(self._pipeline.feed, text))
                self._submit_ready()
            self._waiting.extend(await asyncio.to_thread(self._pipeline.finish))
        except Exception:
            _LOGGER.exception("The text pipeline failed on a reply")
            self._segments.put_nowait(ReplyFailed("internal", CLIENT_MESSAGES["internal"]))
            return
        self._text_complete = True
        self._submit_ready()

    async def wait(self) -> None:
        """Wait until all audio is sent (after `end_text`); raises ReplyFailed."""
        await self._writer

    async def cancel(self) -> None:
        """Drop all work of the reply (the client is gone, or the reply ends early)."""
        self._segmenter.cancel()
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ReplyFailed, ConnectionError):
            await self._writer

    @property
    def done(self) -> bool:
        return self._writer.done()

    def _close_tickets(self) -> None:
        for lane in self._lanes:
            if lane.ticket is not None:
                lane.ticket.close(cancel=True)

    def _release(self) -> None:
        # A writer that failed leaves text nobody will hear: it is cut and submitted no more
        self._segmenter.cancel()
        if self._hold is not None:
            self._hold.cancel()
        self._close_tickets()
        # A writer cancelled before it ran never recorded its end
        self._record.finish(CANCELLED)

    def _ticket(self, index: int) -> ReplyTicket:
        lane = self._lanes[index]
        if lane.ticket is None:
            try:
                lane.ticket = lane.backend.scheduler.open_reply()
            except SchedulerBusy as err:
                raise ReplyFailed("busy", f"server busy, try again shortly: {err}") from err
        return lane.ticket

    def _submit_ready(self) -> None:
        """Submit waiting segments while the pace allows, each as much as is ready in time."""
        while self._waiting and self._pace.may_submit(in_flight=bool(self._backlog)):
            if self._holding_first():
                return
            segment = self._waiting.popleft()
            language, speed = self._language(segment), self._speed(segment)
            piece = self._pace.next_piece(segment, language, speed, self._pipeline.pause_after)
            if piece.rest is not None:
                self._waiting.appendleft(piece.rest)
            self._submit(piece, joins=segment is self._joining)
            self._joining = piece.rest if piece.segment.pause is Pause.PHRASE else None
        if self._text_complete and not self._waiting:
            self._text_complete = False  # the end marker goes once
            self._segments.put_nowait(None)

    def _holding_first(self) -> bool:
        """Whether the first segment waits for the text after it: alone it is too short for
        the piece after it to be made while it and its pause play (when the wait is over, its
        pause may stretch, unless another room began meanwhile). It is joined with the next
        segment as soon as that is complete, and waits no longer than `worth_waiting_for`."""
        if self._pace.started or (self._hold is not None and self._hold.cancelled()):
            return False
        first = self._waiting[0]
        pause = self._pipeline.pause_after(first)
        language, speed = self._language(first), self._speed(first)
        lead = self._pace.lead_chars(language, speed, pause, awaited=True)
        if lead is None or len(first.text) >= lead:
            return False
        if len(self._waiting) > 1:
            both = first.joined(self._waiting[1])
            if both is None:
                return False
            self._waiting.popleft()
            self._waiting[0] = both
            return self._holding_first()
        if self._text_complete:
            return False
        if self._hold is None:
            loop = asyncio.get_running_loop()
            delay = self._pace.worth_waiting_for(first, language)
            self._hold = loop.call_later(delay, self._stop_holding, loop.time())
        return True

    def _stop_holding(self, since: float) -> None:
        assert self._hold is not None
        loop = asyncio.get_running_loop()
        if self._waiting and not self._pace.started:
            # Another room may have begun since: the wait is then longer
            first = self._waiting[0]
            until = since + self._pace.worth_waiting_for(first, self._language(first))
            if until > loop.time():
                self._hold = loop.call_at(until, self._stop_holding, since)
                return
        self._hold.cancel()  # marks the hold as over
        self._submit_ready()

    def _submit(self, piece: Piece, *, joins: bool) -> None:
        job = self._job(piece.segment, piece.deadline, joins=joins)
        self._pace.submitted(piece, job.cost, self._pipeline.pause_after(piece.segment))
        item = Pending(piece.segment, piece.deadline, piece.seconds, job, self._lane, piece.stretch)
        self._backlog.append(item)
        self._segments.put_nowait(item)

    def _language(self, segment: Segment) -> str:
        return segment.delivery.language or self._lanes[self._lane].choice.language

    def _speed(self, segment: Segment) -> float:
        low, high = SPEEDS
        return min(high, max(low, self._plan.speed * segment.delivery.speed))

    def _job(self, segment: Segment, deadline: float, *, joins: bool = False) -> Job:
        route = self._lanes[self._lane].choice
        delivery = segment.delivery
        request = SynthesisRequest(
            text=segment.text,
            # Markup names voices of the plan's first engine; a fallback speaks with its own
            voice=delivery.voice if delivery.voice and self._lane == 0 else route.voice,
            speed=self._speed(segment),
            conversation=self._conversation,
            language=delivery.language,
        )
        ticket = self._ticket(self._lane)
        language = self._language(segment)
        return ticket.submit(request, deadline=deadline, language=language, joins=joins)

    async def _write(self) -> None:
        outcome = CANCELLED
        try:
            await self._speak_all()
            outcome = OK
        except ReplyFailed as err:
            outcome = err.code
            raise
        finally:
            self._record.finish(outcome)

    async def _speak_all(self) -> None:
        pending_pause = stretch = 0.0
        while (item := await self._segments.get()) is not None:
            if isinstance(item, ReplyFailed):
                raise item  # the text pipeline failed, say
            if pending_pause:
                # The next segment is on its way: its pause goes now, so that a late one is
                # waited for in the pause, not after it (and none trails the last segment)
                await self._write_audio(silence(SAMPLE_RATE, pending_pause))
                pending_pause = 0.0
                unused = await item.stretch_pause(stretch, self._pace.plays_for, self._write_audio)
                self._pace.unstretched(unused)
            while True:
                try:
                    spoke = await self._speak(item, pending_pause)
                    break
                except LaneFailed as failure:
                    self._fail_over(failure)
                    if failure.partial:
                        pending_pause = self._limits.retry_pause
            self._backlog.popleft()
            # With nothing left in flight the next segment goes whatever the estimate says
            self._submit_ready()
            self._record.synthesized(item.job.synthesis_seconds)
            if not item.job.cached:
                self._health[self._lanes[self._lane].choice.engine].record_success()
            self._spoken.append(item.segment.text)
            if spoke:
                pending_pause = self._pipeline.pause_after(item.segment)
                stretch = item.stretch
        await self._sink.close()
        if self._spoken:
            self._conversation.commit(" ".join(self._spoken))

    async def _speak(self, item: Pending, pause: float) -> bool:
        """Stream one segment; whether it had any audio. Raises LaneFailed."""
        lane = self._lanes[item.lane]
        if not lane.ready:
            # A lane with a fallback waits for its engine to load only as long as for audio
            last = item.lane + 1 == len(self._lanes)
            limit = self._limits.queue_timeout if last else self._limits.first_audio_timeout
            await wait_ready(lane.backend, limit)
            lane.ready = True
        spoke = False
        silence_limit = self._limits.first_audio_timeout
        if item.lane + 1 == len(self._lanes):
            silence_limit += self._limits.max_rtf * item.seconds
        blocks = speak_segment(
            item.job, lane.choice.engine, silence_limit, self._limits.queue_timeout
        )
        try:
            async for block in faded(blocks):
                if not spoke and pause:
                    await self._write_audio(silence(SAMPLE_RATE, pause))
                spoke = True
                await self._write_audio(block)
        except LaneFailed as failure:
            failure.partial = spoke
            raise
        return spoke

    async def _write_audio(self, audio: Audio) -> None:
        self._record.wrote(len(audio) / SAMPLE_RATE)
        await self._sink.write(audio)
        self._pace.wrote(len(audio) / SAMPLE_RATE)
        self._submit_ready()

    def _fail_over(self, failure: LaneFailed) -> None:
        """Move to the next lane and re-submit what is not spoken; raise ReplyFailed at the end."""
        failed = self._lanes[self._lane]
        if failure.fault:
            self._health[failed.choice.engine].record_failure()
        if self._lane + 1 >= len(self._lanes):
            _LOGGER.warning("Reply failed: %s", failure)
            raise ReplyFailed(failure.code, failure.client_message or CLIENT_MESSAGES[failure.code])
        self._lane += 1
        lane = self._lanes[self._lane]
        _LOGGER.warning(
            "%s; continuing the reply with %s (%s)", failure, lane.choice.voice, lane.choice.engine
        )
        if failed.ticket is not None:
            failed.ticket.close(cancel=True)
        self._ticket(self._lane)
        self._pace.use(lane.backend.scheduler)
        self._record.fell_back(lane.choice.engine, lane.choice.voice)
        self._health[lane.choice.engine].begin()
        for pending in self._backlog:
            pending.job = self._job(pending.segment, pending.deadline)
            pending.lane = self._lane
