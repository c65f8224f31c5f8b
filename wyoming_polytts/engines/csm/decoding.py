"""One thread decodes the Mimi codes of every reply, the replies in turn.

Each reply's worker thread used to decode its own frames: with eight replies, eight
threads took turns at the GIL and queued their kernels behind each other's. Now a reply
hands its decoder and frames to this thread and waits for the audio, within a limit. The
thread takes the replies that have work in turn, one chunk each, so none starves while
another has many; on CUDA it runs on a stream of its own, beside the frame loop's. A
reply's chunks are decoded in the order it handed them over, by its own stateful decoder,
so its audio is what decoding them on its own thread would give.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass
from typing import Generic, TypeVar

import torch

from ..base import Audio
from ..errors import SynthesisCancelled
from .reply_frames import POLL_SECONDS, never
from .streams import on

_LOGGER = logging.getLogger(__name__)

Decoder = TypeVar("Decoder")

CLOSE_SECONDS = 10.0
"""How long `close` waits for the chunk in progress."""
WAIT_SECONDS = 60.0
"""The longest a reply waits for one chunk's audio (the queue included) before it fails: a
chunk of CSM-1B decodes in well under a second, even on a CPU."""


class DecodingClosed(RuntimeError):
    """The decoding thread stopped before this work was done."""


@dataclass(frozen=True)
class _Work(Generic[Decoder]):
    decoder: Decoder
    frames: Sequence[torch.Tensor]
    future: futures.Future[Audio]


class DecodingThread(Generic[Decoder]):
    """Runs `decode(decoder, frames)` for every reply, from one thread (on `stream`, if
    given); `decode` and `submit` from any thread, `close` when done."""

    def __init__(
        self,
        decode: Callable[[Decoder, Sequence[torch.Tensor]], Audio],
        stream: torch.cuda.Stream | None = None,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self._decode = decode
        self._stream = stream
        self._wait_seconds = wait_seconds
        self._queues: dict[int, deque[_Work[Decoder]]] = {}
        """Per decoder (by identity; its queued work holds it): its work, oldest first."""
        self._turns: deque[int] = deque()
        """The decoders with work, in the order they are served."""
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="csm-mimi", daemon=True)
        self._thread.start()

    def decode(
        self,
        decoder: Decoder,
        frames: Sequence[torch.Tensor],
        stop: Callable[[], bool] = never,
    ) -> Audio:
        """The audio of `frames`, continuing what `decoder` has decoded so far. Raises
        SynthesisCancelled once `stop()` is true (the work is dropped if not yet started),
        TimeoutError after `wait_seconds`, DecodingClosed when the thread stops first, or
        the error the decoding raised."""
        future = self.submit(decoder, frames)
        deadline = time.monotonic() + self._wait_seconds
        while not futures.wait([future], POLL_SECONDS).done:
            if stop():
                future.cancel()
                raise SynthesisCancelled
            if time.monotonic() >= deadline:
                future.cancel()
                raise TimeoutError(f"CSM's Mimi decoding took over {self._wait_seconds:.0f} s")
        return future.result()

    def submit(self, decoder: Decoder, frames: Sequence[torch.Tensor]) -> futures.Future[Audio]:
        """Queue `frames` after `decoder`'s earlier work; the future has their audio."""
        work = _Work(decoder, frames, futures.Future())
        with self._wake:
            if self._closed:
                raise DecodingClosed("CSM's Mimi decoding is closed")
            queue = self._queues.get(id(decoder))
            if queue is None:
                queue = self._queues[id(decoder)] = deque()
                self._turns.append(id(decoder))
            queue.append(work)
            self._wake.notify()
        return work.future

    def close(self) -> None:
        """Stop the thread; work not yet started fails with DecodingClosed."""
        self._stop()
        self._thread.join(CLOSE_SECONDS)
        if self._thread.is_alive():
            _LOGGER.warning("CSM's Mimi decoding did not stop within %.0f s", CLOSE_SECONDS)

    def _stop(self) -> None:
        with self._wake:
            self._closed = True
            pending = [work for queue in self._queues.values() for work in queue]
            self._queues.clear()
            self._turns.clear()
            self._wake.notify()
        for work in pending:
            if work.future.set_running_or_notify_cancel():  # False: its reply cancelled it
                work.future.set_exception(DecodingClosed("CSM's Mimi decoding is closed"))

    def _run(self) -> None:
        try:
            with torch.inference_mode(), on(self._stream):
                while (work := self._next()) is not None:
                    if not work.future.set_running_or_notify_cancel():
                        continue  # its reply stopped waiting
                    try:
                        audio = self._decode(work.decoder, work.frames)
                    except Exception as err:  # noqa: BLE001 - the reply gets it; the others go on
                        work.future.set_exception(err)
                    else:
                        work.future.set_result(audio)
        except Exception:  # a bug: no reply may wait for a thread that is gone
            _LOGGER.exception("CSM's Mimi decoding stopped")
        finally:
            self._stop()

    def _next(self) -> _Work[Decoder] | None:
        """The next decoder's oldest work, or None once closed."""
        with self._wake:
            while not (self._closed or self._turns):
                self._wake.wait()
            if self._closed:
                return None
            key = self._turns.popleft()
            queue = self._queues[key]
            work = queue.popleft()
            if queue:
                self._turns.append(key)  # its next chunk after the others' waiting now
            else:
                del self._queues[key]
            return work
