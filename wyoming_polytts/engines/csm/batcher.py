"""Continuous batching for CSM: one thread steps every reply generating at the same time.

Replies come from the engine's worker threads (one per reply). Between two frames the
prompts that arrived are read (prefilled) in one batched call and their replies join the
batch; a prompt longer than a chunk is read a chunk between each two frames instead, so the
replies already speaking keep their pace. Every frame is one `step` for the whole batch,
and a reply that ends, hits its limit or is cancelled leaves before the next. Batch sizes
are rounded up to a few buckets so that one CUDA graph per bucket, captured at load, serves
every mix of replies. On CUDA the loop runs on a stream of its own (`streams`), and a frame
reaches the host in one read (`host_read`).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch.nn import functional

from .frames import FrameModel
from .graphs import FrameGraphs, compiled_step
from .host_read import FrameReader
from .reply_frames import Ending, Reply, never
from .sampler import Sampling
from .streams import made, on, received, side_stream

_LOGGER = logging.getLogger(__name__)

BUCKETS = (1, 2, 4, 8)


def buckets(max_batch: int) -> tuple[int, ...]:
    """The batch sizes a step runs at: BUCKETS below `max_batch`, then `max_batch`."""
    return (*(size for size in BUCKETS if size < max_batch), max_batch)


CLOSE_SECONDS = 10.0
"""How long `close` waits for the frame in progress (a CPU frame of CSM-1B takes seconds)."""


@dataclass
class _Job:
    embeds: torch.Tensor
    max_frames: int
    sampling: Sampling
    should_stop: Callable[[], bool]
    reply: Reply = field(default_factory=Reply)
    made: torch.cuda.Event | None = None
    """On CUDA: when the thread that submitted it had made `embeds` (`streams.made`)."""
    long: bool = False
    """Longer than a chunk: read a chunk per frame, in its own slot."""
    row: int = 0
    """While being read: its slot."""
    read: int = 0
    """While being read: the prompt's tokens read so far."""
    frames: int = 0
    """Frames made so far, the end-of-audio frame included (as `max_new_tokens` counts)."""

    def stopped(self) -> bool:
        return self.reply.cancelled or self.should_stop()

    def end(self, ending: Ending | None, error: BaseException | None = None) -> None:
        self.reply.finish(ending, error)


class FrameBatcher:
    """Owns a FrameModel from its own thread; `submit` from any thread."""

    def __init__(
        self,
        frames: FrameModel,
        cuda_graphs: bool,
        compiled: bool = False,
        prefill_chunk: int = 512,
    ) -> None:
        self._frames = frames
        self._chunk = prefill_chunk
        self._reading: _Job | None = None
        """The long prompt being read, a chunk per frame, in the slot after the replies."""
        self.buckets = buckets(frames.slots)
        self._stream = side_stream(frames.device)
        """On CUDA, the frame loop's own stream: its steps, their capture and the prefills."""
        with on(self._stream):
            step = compiled_step(frames, self.buckets) if compiled else frames.step
            self._step = FrameGraphs(step, self.buckets).step if cuda_graphs else step
        self._reader = FrameReader(frames.output)
        self._pending: deque[_Job] = deque()
        self._running: list[_Job] = []
        """The replies in the batch: the reply in slot n is the n-th."""
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._drive, name="csm-frames", daemon=True)
        self._thread.start()

    def submit(
        self,
        embeds: torch.Tensor,
        max_frames: int,
        sampling: Sampling,
        should_stop: Callable[[], bool] = never,
    ) -> Reply:
        """Generate after the prompt `embeds` (1, tokens, hidden) on the model's device, up
        to `max_frames` frames; the driver drops the reply between frames once
        `should_stop()` is true or the reply is cancelled."""
        tokens = embeds.shape[1]
        if tokens < 1 or max_frames < 1 or tokens + max_frames > self._frames.window:
            raise ValueError(
                f"a prompt of {tokens} tokens and {max_frames} frames does not fit CSM's "
                f"window of {self._frames.window}"
            )
        max_top_k = self._frames.sampler.max_top_k
        if not (1 <= sampling.top_k <= max_top_k and sampling.temperature >= 0):
            raise ValueError(f"unsupported {sampling}: top_k goes up to {max_top_k}")
        job = _Job(embeds, max_frames, sampling, should_stop, made=made(embeds))
        with self._wake:
            if self._closed:
                raise RuntimeError("the CSM frame loop is closed")
            self._pending.append(job)
            self._wake.notify()
        return job.reply

    def close(self) -> None:
        """Stop the driver; replies still waiting or generating end as cancelled."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(CLOSE_SECONDS)
        if self._thread.is_alive():
            _LOGGER.warning("CSM's frame loop did not stop within %.0f s", CLOSE_SECONDS)

    def _drive(self) -> None:
        error: Exception | None = None
        try:
            with torch.no_grad(), on(self._stream):
                while (joining := self._next()) is not None:
                    self._join(joining)
                    if self._reading is not None:
                        self._read_chunk(self._reading)
                    if self._running:
                        self._frame()
        except Exception as err:  # a bug or a dead device: no reply may wait forever
            _LOGGER.exception("CSM's frame loop stopped")
            error = err
        finally:
            with self._wake:
                self._closed = True
            reading = [] if self._reading is None else [self._reading]
            for job in (*self._running, *reading, *self._pending):
                job.end(Ending.CANCELLED if error is None else None, error)

    def _next(self) -> list[_Job] | None:
        """Wait for work; the replies that join before the next frame, or None to stop. A
        prompt longer than a chunk comes last, and only while no other is being read."""
        with self._wake:
            while not (self._closed or self._pending or self._running or self._reading):
                self._wake.wait()
            if self._closed:
                return None
            free = self._frames.slots - len(self._running) - (self._reading is not None)
            joining: list[_Job] = []
            while self._pending and len(joining) < free:
                long = self._pending[0].embeds.shape[1] > self._chunk
                if long and (self._reading is not None or any(job.long for job in joining)):
                    break
                joining.append(self._pending.popleft())
                joining[-1].long = long
                received(joining[-1].embeds, joining[-1].made, self._stream)
            return joining

    def _join(self, joining: list[_Job]) -> None:
        """The short prompts read in one call, into the rows after the running replies; a
        long one takes the row after them, to be read a chunk per frame."""
        stopped = [job.stopped() for job in joining]
        for job in itertools.compress(joining, stopped):
            job.end(Ending.CANCELLED)
        joining = [job for job, stop in zip(joining, stopped, strict=True) if not stop]
        short = [job for job in joining if not job.long]
        if self._reading is not None and short:  # it keeps the row after the replies
            self._seat(self._reading, len(self._running) + len(short))
        first = len(self._running)
        if short:
            lengths = [job.embeds.shape[1] for job in short]
            embeds = torch.cat(
                [
                    functional.pad(job.embeds, (0, 0, 0, max(lengths) - length))
                    for job, length in zip(short, lengths, strict=True)
                ]
            )
            try:
                self._frames.prefill(first, embeds, lengths)
                for row, (job, length) in enumerate(zip(short, lengths, strict=True), first):
                    self._frames.admit(row, length, job.sampling)
            except Exception as err:
                _LOGGER.exception("CSM failed to read a prompt")
                for row, job in enumerate(short, first):
                    job.end(None, err)
                    self._frames.release(row)
            else:
                self._running += short
        for job in joining:
            if job.long:
                job.row = len(self._running)
                self._reading = job
        if self._reading is not None:  # after a failed read, the replies' rows are fewer
            self._seat(self._reading, len(self._running))

    def _read_chunk(self, job: _Job) -> None:
        """The next chunk of the long prompt being read; it joins once it is all read."""
        if job.stopped():
            self._stop_reading(Ending.CANCELLED)
            return
        tokens = job.embeds.shape[1]
        end = min(job.read + self._chunk, tokens)
        try:
            chunk = job.embeds[:, job.read : end]
            self._frames.prefill(job.row, chunk, [end - job.read], start=job.read)
            job.read = end
            if end == tokens:
                self._frames.admit(job.row, tokens, job.sampling)
        except Exception as err:
            _LOGGER.exception("CSM failed to read a prompt")
            self._stop_reading(None, err)
            return
        if end == tokens:
            self._running.append(job)
            self._reading = None

    def _stop_reading(self, ending: Ending | None, error: BaseException | None = None) -> None:
        job, self._reading = self._reading, None
        assert job is not None
        job.end(ending, error)
        self._frames.release(job.row)

    def _seat(self, job: _Job, row: int) -> None:
        """The prompt being read moves to slot `row` (its old slot is freed)."""
        if job.row != row:
            self._frames.move(job.row, row)
            self._frames.release(job.row)
            job.row = row

    def _frame(self) -> None:
        """One frame for every reply in the batch, handed out; then the ended ones leave."""
        self._leave(
            {row: Ending.CANCELLED for row, job in enumerate(self._running) if job.stopped()}
        )
        count = len(self._running)
        if not count:
            return
        try:
            self._step(next(size for size in self.buckets if size >= count))
            codes, finished = self._reader.read(count)  # the one host sync per frame
        except Exception as err:
            _LOGGER.exception("CSM failed to make a frame")
            for job in self._running:
                job.end(None, err)
            for row in range(count):
                self._frames.release(row)
            self._running.clear()
            if self._reading is not None:
                self._seat(self._reading, 0)
            return
        leaving: dict[int, Ending] = {}
        for row, job in enumerate(self._running):
            job.frames += 1
            if finished[row]:
                leaving[row] = Ending.END_OF_AUDIO
                continue
            job.reply.deliver(codes[row])
            if job.frames >= job.max_frames:
                leaving[row] = Ending.LIMIT
        self._leave(leaving)

    def _leave(self, endings: dict[int, Ending]) -> None:
        """End the replies in these slots; the last replies move into the gaps. (Replies end
        before any slot work, which may fail: an ended reply must never wait.)"""
        for row in sorted(endings, reverse=True):
            self._running[row].end(endings[row])
            last = len(self._running) - 1
            if row != last:
                self._frames.move(last, row)
                self._running[row] = self._running[last]
            self._running.pop()
            self._frames.release(last)
        if self._reading is not None:
            self._seat(self._reading, len(self._running))
