"""The interface every synthesis engine implements.

Engines know nothing about Wyoming: they turn one speakable segment of text into
float32 mono audio. Their blocking methods run in the scheduler's worker threads.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ..context import ConversationContext

SAMPLE_RATE = 24000
"""Every engine speaks 24 kHz mono, so one reply can move between engines without a new format."""


class SynthesisCancelled(Exception):
    """Raised inside an engine when the request's cancel event is set."""


class EngineUnavailable(Exception):
    """The engine cannot serve requests (missing model, missing extra, failed load)."""


@dataclass(frozen=True)
class EngineVoice:
    """A voice an engine offers."""

    name: str
    languages: tuple[str, ...]
    description: str
    engine: str


@dataclass(frozen=True)
class SynthesisRequest:
    """One segment of a reply to speak."""

    text: str
    voice: str
    speed: float = 1.0
    context_key: str = "default"
    context: ConversationContext | None = field(default=None, compare=False)
    """The satellite's history: earlier turns, and each engine's data of them to read back."""


class Engine(ABC):
    """A text-to-speech backend.

    `load` and `synthesize` block and run in worker threads, never on the event loop.
    `synthesize` must be safe to call from `concurrency` threads at once.
    """

    name: str = "engine"
    concurrency: int = 1
    cacheable: bool = True
    """Same request, same audio: results may be reused from the phrase cache."""

    @abstractmethod
    def voices(self) -> tuple[EngineVoice, ...]:
        """The voices this engine can speak; cheap, callable before `load`."""

    @abstractmethod
    def load(self) -> None:
        """Load models and warm up once; raise EngineUnavailable when that is impossible."""

    @abstractmethod
    def synthesize(
        self, request: SynthesisRequest, cancel: threading.Event
    ) -> Iterator[NDArray[np.float32]]:
        """Yield float32 mono blocks at SAMPLE_RATE; raise SynthesisCancelled once cancelled."""

    def close(self) -> None:  # noqa: B027 - optional hook with nothing to do by default
        """Release resources held by the engine."""
