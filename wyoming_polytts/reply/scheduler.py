"""Worker threads that run an engine, taking the most urgent segment first.

The order decides what people wait for on a small CPU: the first segment of a new reply
goes before later segments of replies that already play, and later segments go by the
moment their reply's player would run dry (their deadline). Work of a disconnected
client is dropped before it starts; beyond `max_replies` a new reply is refused.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np

from ..engines.base import Audio, Engine, SynthesisRequest
from ..engines.errors import SynthesisCancelled
from .cache import PhraseCache

_LOGGER = logging.getLogger(__name__)


class SchedulerBusy(Exception):
    """Too many replies in progress; the client should try again later."""


@dataclass(order=True)
class _Entry:
    urgency: tuple[int, float, int]
    job: Job = field(compare=False)


class JobQueue:
    """A priority queue of jobs that forgets cancelled ones; not thread-safe by itself."""

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._order = itertools.count()

    def push(self, job: Job) -> None:
        stage = 0 if job.first else 1
        heapq.heappush(self._heap, _Entry((stage, job.deadline, next(self._order)), job))

    def pop(self) -> Job | None:
        """The most urgent job that is not cancelled, or None."""
        while self._heap:
            job = heapq.heappop(self._heap).job
            if not job.cancelled:
                return job
        return None

    def __len__(self) -> int:
        return sum(1 for entry in self._heap if not entry.job.cancelled)


_END = object()


class Job:
    """One segment to synthesize; its audio reaches the event loop through a queue."""

    def __init__(
        self,
        request: SynthesisRequest,
        *,
        first: bool,
        deadline: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.request = request
        self.first = first
        self.deadline = deadline
        self.cancel_event = threading.Event()
        self._loop = loop
        self._results: asyncio.Queue[object] = asyncio.Queue()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        self.cancel_event.set()

    def deliver(self, item: object) -> None:
        """Hand a block, an exception or the end marker to the loop (from any thread)."""
        try:
            self._loop.call_soon_threadsafe(self._results.put_nowait, item)
        except RuntimeError:
            _LOGGER.debug("Event loop closed; dropping result of %r", self.request.text)

    def finish(self) -> None:
        self.deliver(_END)

    async def blocks(self) -> AsyncIterator[Audio]:
        """The audio blocks in order; raises what the engine raised."""
        while True:
            item = await self._results.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]


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
        self._cache = cache
        self._queue = JobQueue()
        self._condition = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._replies = 0
        self.clock = clock or time.monotonic

    def start(self) -> None:
        for index in range(self._workers):
            thread = threading.Thread(
                target=self._work, name=f"{self.engine.name}-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()

    def open_reply(self) -> ReplyTicket:
        """Admit a new reply, or raise SchedulerBusy when too many are in progress."""
        if self._replies >= self._max_replies:
            raise SchedulerBusy(
                f"{self._replies} replies are being synthesized (limit {self._max_replies})"
            )
        self._replies += 1
        return ReplyTicket(self)

    def release_reply(self) -> None:
        self._replies -= 1

    def submit(self, request: SynthesisRequest, *, first: bool, deadline: float) -> Job:
        job = Job(request, first=first, deadline=deadline, loop=asyncio.get_running_loop())
        cached = self._cache.get(self._cache_key(request)) if self._cache else None
        if cached is not None:
            job.deliver(cached)
            job.finish()
            return job
        with self._condition:
            self._queue.push(job)
            self._condition.notify()
        return job

    @property
    def pending(self) -> int:
        with self._condition:
            return len(self._queue)

    def _cache_key(self, request: SynthesisRequest) -> tuple[str, str, float, str | None, str]:
        return (self.engine.name, request.voice, request.speed, request.language, request.text)

    def _next_job(self) -> Job | None:
        with self._condition:
            while True:
                if self._stopping:
                    return None
                job = self._queue.pop()
                if job is not None:
                    return job
                self._condition.wait()

    def _work(self) -> None:
        while (job := self._next_job()) is not None:
            self._run(job)

    def _run(self, job: Job) -> None:
        blocks: list[Audio] = []
        try:
            for block in self.engine.synthesize(job.request, job.cancel_event):
                blocks.append(block)
                job.deliver(block)
        except SynthesisCancelled:
            _LOGGER.debug("Cancelled: %r", job.request.text)
        except Exception as err:
            _LOGGER.exception("%s failed on %r", self.engine.name, job.request.text)
            job.deliver(err)
            return
        else:
            if self._cache is not None and self.engine.cacheable:
                self._cache.put(self._cache_key(job.request), _joined(blocks))
        job.finish()


class ReplyTicket:
    """A reply admitted by the scheduler; submits its segments and cancels them all at once."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._jobs: list[Job] = []
        self._open = True

    def submit(self, request: SynthesisRequest, *, deadline: float) -> Job:
        job = self._scheduler.submit(request, first=not self._jobs, deadline=deadline)
        self._jobs.append(job)
        return job

    def close(self, *, cancel: bool) -> None:
        if cancel:
            for job in self._jobs:
                job.cancel()
        if self._open:
            self._open = False
            self._scheduler.release_reply()


def _joined(blocks: list[Audio]) -> Audio:
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
