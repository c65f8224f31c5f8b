"""One segment's work for an engine: queued by deadline, its audio handed to the event loop.

A job's blocks cross from a worker thread to the loop through the job's own queue; the
worker marks when it starts, so that a reply can tell time spent waiting for a worker
(load) from time the engine takes (its fault when it is too long).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from ..engines.base import Audio, SynthesisRequest

_LOGGER = logging.getLogger(__name__)


@dataclass(order=True)
class _Entry:
    deadline: float
    order: int
    """Equal deadlines go in the order they came."""
    job: Job = field(compare=False)


class JobQueue:
    """A priority queue of jobs that forgets cancelled ones; not thread-safe by itself."""

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._order = itertools.count()

    def push(self, job: Job) -> None:
        heapq.heappush(self._heap, _Entry(job.deadline, next(self._order), job))

    def pop(self, held: Callable[[Job], bool] | None = None) -> Job | None:
        """The job due first that is not cancelled, may start and is not `held`, or None."""
        waiting: list[_Entry] = []
        found = None
        while self._heap:
            entry = heapq.heappop(self._heap)
            if entry.job.cancelled:
                continue
            if entry.job.may_start and not (held and held(entry.job)):
                found = entry.job
                break
            waiting.append(entry)
        for entry in waiting:
            heapq.heappush(self._heap, entry)
        return found

    def __len__(self) -> int:
        return sum(1 for entry in self._heap if not entry.job.cancelled)

    def seconds_before(self, deadline: float) -> float:
        """Expected seconds of the queued jobs that go before a job due at `deadline`."""
        return sum(
            entry.job.cost
            for entry in self._heap
            if not entry.job.cancelled and entry.deadline <= deadline
        )


_END = object()


class Job:
    """One segment to synthesize; its audio reaches the event loop through a queue."""

    def __init__(
        self,
        request: SynthesisRequest,
        *,
        deadline: float,
        loop: asyncio.AbstractEventLoop,
        language: str = "",
        cost: float = 0.0,
        after: Job | None = None,
        opens: bool = False,
    ) -> None:
        """`deadline`: when it must be ready (the scheduler's clock); `after`: the job that
        must finish before this one starts (None: any time); `opens`: its reply's first."""
        self.request = request
        self.deadline = deadline
        self.after = after
        self.opens = opens
        self._finished = threading.Event()
        self.language = language
        """Of the segment: the engine's costs are learnt per language."""
        self.cost = cost
        """Expected seconds of synthesis."""
        self.started_at: float | None = None
        """When a worker took it (the scheduler's clock)."""
        self.cancel_event = threading.Event()
        self.started = asyncio.Event()
        """Set once a worker took the job (or the cache answered it)."""
        self.cached = False
        """Answered from the phrase cache: the engine did not run."""
        self.synthesis_seconds = 0.0
        """The engine's time on it, known once its last block is delivered."""
        self.audio_seconds = 0.0
        """How long its audio lasts, known with `synthesis_seconds`."""
        self.finished_at: float | None = None
        """When the engine was done with it (the scheduler's clock)."""
        self.answered = asyncio.Event()
        """Set once its first block, error or end has reached the loop."""
        self._loop = loop
        self._results: asyncio.Queue[object] = asyncio.Queue()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def finished(self) -> bool:
        """The engine is done with it (or the cache answered it)."""
        return self._finished.is_set()

    @property
    def may_start(self) -> bool:
        after = self.after
        return after is None or after.finished or after.cancelled

    def start(self) -> None:
        """A worker begins it (from its thread)."""
        self._call(self.started.set)

    def deliver(self, item: object) -> None:
        """Hand a block, an exception or the end marker to the loop (from any thread)."""
        self._call(self._answer, item)

    def finish(self) -> None:
        self._finished.set()
        self.deliver(_END)

    def answer_from_cache(self, audio: Audio) -> None:
        """The whole segment at once, on the event loop."""
        self.cached = True
        self._finished.set()
        self.started.set()
        self._answer(audio)
        self._answer(_END)

    def _answer(self, item: object) -> None:
        self._results.put_nowait(item)
        self.answered.set()

    def _call(self, callback: Callable[..., object], *args: object) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            _LOGGER.debug("Event loop closed; dropping a result")

    async def blocks(self) -> AsyncIterator[Audio]:
        """The audio blocks in order; raises what the engine raised."""
        while True:
            item = await self._results.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
