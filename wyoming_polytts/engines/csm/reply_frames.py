"""A reply's frames on their way from the frame loop to the thread that speaks them.

The frame loop `deliver`s each frame and `finish`es the reply; the reply's thread `take`s
frames in the chunks it decodes, and may `cancel`.
"""

from __future__ import annotations

import enum
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import torch


class Ending(enum.Enum):
    END_OF_AUDIO = "end of audio"
    LIMIT = "frame limit"
    CANCELLED = "cancelled"


POLL_SECONDS = 0.05
"""How often a consumer waiting for frames checks whether it should stop waiting."""


@dataclass(frozen=True)
class _End:
    ending: Ending | None
    error: BaseException | None = None


def never() -> bool:
    return False


class Reply:
    """One reply's frames, as the driver makes them: codes (codebooks,) on the CPU."""

    def __init__(self) -> None:
        self._items: queue.Queue[torch.Tensor | _End] = queue.Queue()
        self._cancelled = threading.Event()
        self.ending: Ending | None = None
        """Why the reply ended, once `take` has reached its end."""

    def take(self, need: int, stop: Callable[[], bool] = never) -> tuple[list[torch.Tensor], bool]:
        """At least `need` frames (fewer when the reply ends) plus any already waiting, so a
        consumer that fell behind catches up at once; and whether the reply ended. Returns
        early, with what it has, once `stop()` is true (a reply waiting for a slot, or a
        stuck device, must not hold its consumer). Raises the error that ended the reply."""
        frames: list[torch.Tensor] = []
        while len(frames) < need or not self._items.empty():
            try:
                item = self._items.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if stop():
                    break
                continue
            if isinstance(item, _End):
                self.ending = item.ending
                if item.error is not None:
                    raise item.error
                return frames, True
            frames.append(item)
        return frames, False

    def deliver(self, frame: torch.Tensor) -> None:
        """The driver's side: the reply's next frame."""
        self._items.put(frame)

    def finish(self, ending: Ending | None, error: BaseException | None = None) -> None:
        """The driver's side: the reply ended (with `error`, if it failed)."""
        self._items.put(_End(ending, error))

    def cancel(self) -> None:
        """Ask the driver to drop this reply; it leaves the batch before the next frame."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()
