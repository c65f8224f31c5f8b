"""Worker threads that run an engine, taking the segment due first.

The order decides what people wait for on a small CPU. Each segment is due when its reply's
player would run dry, a new reply's first one soon after its text came (`reply/pace`), so
that a new room's first words do not make a room already speaking stop; a segment after a
pause is due a little later, so that when the machine cannot keep up, the waits fall
between clauses and sentences rather than inside them. A reply whose first piece was made
has its second made before another reply's first starts, where that one would make it late:
a short first piece ("Sure!") leaves a room little audio in hand, its second comes with its
text, and a worker that took another room's first piece meanwhile cannot hand it back. Work
of a disconnected client is dropped before it starts; beyond `max_replies` a new reply is
refused.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from ..engines.base import SAMPLE_RATE, Engine, SynthesisRequest
from ..engines.errors import NoAudio, SynthesisCancelled
from .audio import Pcm16, from_pcm16_samples, to_pcm16_samples
from .cache import PhraseCache
from .costs import CostModel
from .job import Job, JobQueue

_LOGGER = logging.getLogger(__name__)


PAUSE_STRETCH = 0.3
"""Seconds a wait may lengthen a pause between clauses or sentences before it is worse than
a wait inside a sentence."""


class SchedulerBusy(Exception):
    """Too many replies in progress; the client should try again later."""


class Scheduler:
    """Runs one engine on `workers` threads, with a phrase cache in front of it."""

    def __init__(
        self,
        engine: Engine,
        *,
        workers: int,
        max_replies: int,
        cache: PhraseCache | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.engine = engine
        self._workers = workers
        self._max_replies = max_replies
        self.cache = cache
        self._queue = JobQueue()
        self._condition = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._replies = 0
        self.clock = clock or time.monotonic
        self.full_since: float | None = None
        """When the last free reply slot was taken (None while one is free)."""
        self.costs = CostModel()
        """What the engine's segments cost on this machine, learnt from those it spoke."""
        self._running: set[Job] = set()
        self._tickets: set[ReplyTicket] = set()

    def start(self) -> None:
        for index in range(self._workers):
            thread = threading.Thread(
                target=self._work, name=f"{self.engine.name}-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 0.0) -> None:
        """Let the workers end after their current job; wait up to `timeout` s for them."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if timeout and thread.is_alive():
                _LOGGER.warning("%s did not end within %.1f s", thread.name, timeout)

    @property
    def workers_alive(self) -> int:
        return sum(thread.is_alive() for thread in self._threads)

    @property
    def replies(self) -> int:
        """Replies admitted and not released."""
        return self._replies

    @property
    def sharers(self) -> float:
        """Replies in progress per worker, at least 1: about how many share each worker."""
        return max(1.0, self._replies / max(self._workers, 1))

    def open_reply(self) -> ReplyTicket:
        """Admit a new reply, or raise SchedulerBusy when too many are in progress."""
        if self._replies >= self._max_replies:
            raise SchedulerBusy(
                f"{self._replies} replies are being synthesized (limit {self._max_replies})"
            )
        self._replies += 1
        if self._replies == self._max_replies:
            self.full_since = self.clock()
        ticket = ReplyTicket(self)
        with self._condition:
            self._tickets.add(ticket)
        return ticket

    def release_reply(self, ticket: ReplyTicket) -> None:
        self._replies -= 1
        self.full_since = None
        with self._condition:
            self._tickets.discard(ticket)
            self._condition.notify_all()  # a first piece it held may start

    def submit(
        self,
        request: SynthesisRequest,
        *,
        deadline: float,
        language: str = "",
        after: Job | None = None,
        opens: bool = False,
    ) -> Job:
        """Queue a segment; `after`: the job that must finish before it starts; `opens`:
        it is its reply's first."""
        cost = self.costs.cost(language).seconds(len(request.text))
        loop = asyncio.get_running_loop()
        job = Job(
            request,
            deadline=deadline,
            loop=loop,
            language=language,
            cost=cost,
            after=after,
            opens=opens,
        )
        cached = self.cache.get(self._cache_key(request)) if self.cache else None
        if cached is not None:
            job.answer_from_cache(from_pcm16_samples(cached))
            return job
        with self._condition:
            self._queue.push(job)
            self._condition.notify()
        return job

    @property
    def pending(self) -> int:
        with self._condition:
            return len(self._queue)

    def wait_for_worker(self, deadline: float) -> float:
        """Expected seconds before a worker takes a segment due at `deadline`: what is left
        of the running segments and the queued ones that go first, shared by the workers."""
        now = self.clock()
        with self._condition:
            running = sum(
                max(job.cost - (now - (job.started_at or now)), 0.0) for job in self._running
            )
            queued = self._queue.seconds_before(deadline)
        return (running + queued) / max(self._workers, 1)

    def _cache_key(self, request: SynthesisRequest) -> tuple[str, str, float, str | None, str]:
        return (self.engine.name, request.voice, request.speed, request.language, request.text)

    def _next_job(self) -> Job | None:
        with self._condition:
            while True:
                if self._stopping:
                    return None
                now = self.clock()
                needs = [need for t in self._tickets if (need := t.second_needed(now))]
                job = self._queue.pop(functools.partial(_delays_a_second, needs, now))
                if job is not None:
                    job.started_at = now
                    self._running.add(job)
                    return job
                held = max((needed_by - now for needed_by, _ in needs), default=None)
                self._condition.wait(held)

    def _work(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                self._run(job)
            except Exception as err:  # a fault ends its job, never the worker
                _LOGGER.exception("%s worker: a job failed outside the engine", self.engine.name)
                job.deliver(err)
            except BaseException:
                # Nothing should raise this; the worker ends and the health check tells
                _LOGGER.exception("%s worker died", self.engine.name)
                job.deliver(RuntimeError(f"a {self.engine.name} worker died"))
                raise
            finally:
                with self._condition:
                    self._running.discard(job)
                    job.finished_at = self.clock()
                    job.finish()
                    self._condition.notify_all()  # a job waiting for this one may start

    def _run(self, job: Job) -> None:
        job.start()
        # The blocks are kept only for the cache: a streaming engine's segment can be long
        kept: list[Pcm16] | None = [] if self.cache is not None and self.engine.cacheable else None
        samples = 0
        started = time.monotonic()
        try:
            for block in self.engine.synthesize(job.request, job.cancel_event):
                samples += len(block)
                # On the 16-bit grid it leaves on, here once: the cache keeps these samples, and
                # a reply from it sends the very bytes this one sends
                pcm = to_pcm16_samples(block)
                if kept is not None:
                    kept.append(pcm)
                job.deliver(from_pcm16_samples(pcm))
        except SynthesisCancelled:
            _LOGGER.debug("A cancelled segment was dropped by %s", self.engine.name)
            return
        except Exception as err:
            # An engine's message may quote the text, which is the user's: DEBUG only
            _LOGGER.error(
                "%s failed on a segment of %s characters: %s",
                self.engine.name,
                len(job.request.text),
                type(err).__name__,
            )
            _LOGGER.debug("%s failed", self.engine.name, exc_info=True)
            job.deliver(err)
            return
        if not samples and any(char.isalnum() for char in job.request.text):
            voice = job.request.voice
            _LOGGER.error(
                "%s gave no audio with voice %s for a segment with words", self.engine.name, voice
            )
            job.deliver(NoAudio(f"{self.engine.name} gave no audio with voice {voice}"))
            return
        job.synthesis_seconds = time.monotonic() - started
        job.audio_seconds = samples / SAMPLE_RATE
        audio_seconds = job.audio_seconds * job.request.speed
        self.costs.record(job.language, len(job.request.text), job.synthesis_seconds, audio_seconds)
        if self.cache is not None and kept is not None:
            self.cache.put(self._cache_key(job.request), _joined(kept))


class ReplyTicket:
    """A reply admitted by the scheduler; submits its segments and cancels them all at once."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._jobs: list[Job] = []
        self._open = True

    def submit(
        self,
        request: SynthesisRequest,
        *,
        deadline: float,
        language: str = "",
        joins: bool = False,
    ) -> Job:
        """`joins`: the segment goes on from the previous one with no pause (a sentence cut
        for time). One after a pause is due PAUSE_STRETCH later than its player runs dry,
        so that of two late segments the one whose wait would fall inside a sentence goes
        first."""
        previous = self._jobs[-1] if self._jobs else None
        if previous is not None:
            # Its segments play in order, so none is due before the one ahead of it (the
            # reply's estimates move as its audio is sent)
            stretch = 0.0 if joins else PAUSE_STRETCH
            deadline = max(deadline + stretch, previous.deadline)
        after = previous if self._scheduler.engine.segments_in_order else None
        job = self._scheduler.submit(
            request, deadline=deadline, language=language, after=after, opens=previous is None
        )
        self._jobs.append(job)
        return job

    def second_needed(self, now: float) -> tuple[float, float] | None:
        """While its first piece is made and its second is not, and is needed after `now`:
        when it is needed and what it costs (before it is submitted: when the first piece's
        audio ends, and nothing); else None. Under the scheduler's lock."""
        jobs = self._jobs[:2]
        first = jobs[0] if jobs else None
        if first is None or first.finished_at is None or first.cancelled:
            return None
        if len(jobs) == 1:
            need = (first.finished_at + first.audio_seconds, 0.0)
        elif jobs[1].finished_at is None:
            need = (jobs[1].deadline, jobs[1].cost)
        else:
            return None
        return need if need[0] > now else None

    def close(self, *, cancel: bool) -> None:
        if cancel:
            for job in self._jobs:
                job.cancel()
        if self._open:
            self._open = False
            self._scheduler.release_reply(self)


def _delays_a_second(needs: list[tuple[float, float]], now: float, job: Job) -> bool:
    """Whether `job`, a reply's first piece, started `now` would make a reply's second piece
    late (`needs`: when each is needed, and what it costs)."""
    return job.opens and any(now + job.cost + cost > needed_by for needed_by, cost in needs)


def _joined(blocks: list[Pcm16]) -> Pcm16:
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype="<i2")
