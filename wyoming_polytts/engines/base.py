"""The interface every synthesis engine implements, and what it may know of a conversation.

Engines know nothing about Wyoming: they turn one speakable segment of text into
float32 mono audio. Their blocking methods run in the scheduler's worker threads. Each
engine declares what only it knows (its voices and their languages, its speaking rate,
whether its audio may be cached, whose model it is), so nothing outside `engines/` needs
to name an engine.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

SAMPLE_RATE = 24000
"""Every engine speaks 24 kHz mono, so one reply can move between engines without a new format."""

Audio = NDArray[np.float32]
"""Mono samples at SAMPLE_RATE in [-1, 1]."""

Blob = Mapping[str, NDArray[np.generic]]
"""An engine's data for one segment of a conversation: named numeric arrays (saved without
pickle)."""


class Credit(NamedTuple):
    """Who made a model, as Home Assistant shows it for a voice."""

    name: str
    url: str


@dataclass(frozen=True)
class EngineVoice:
    """A voice an engine offers."""

    name: str
    languages: tuple[str, ...]
    description: str
    engine: str
    credit: Credit | None = None
    """The model's makers; None: this project's."""


class Conversation(Protocol):
    """The history of the satellite a reply speaks for, as engines see it."""

    @property
    def key(self) -> str:
        """Names the satellite (its context key)."""

    def history(self, engine: str) -> tuple[Blob, ...]:
        """`engine`'s data of earlier turns and of this reply so far, oldest first."""

    def remember(self, engine: str, blob: Mapping[str, object]) -> None:
        """Keep `engine`'s data of the segment just spoken (numeric arrays only)."""


@dataclass(frozen=True)
class SynthesisRequest:
    """One segment of a reply to speak."""

    text: str
    voice: str
    speed: float = 1.0
    conversation: Conversation | None = field(default=None, compare=False)
    """The satellite's history; None speaks without one."""
    language: str | None = None
    """A language for this segment only (SSML `lang`), if the engine speaks it; None: the
    voice's."""


class Engine(ABC):
    """A text-to-speech backend.

    `load` and `synthesize` block and run in worker threads, never on the event loop.
    `synthesize` must be safe to call from `concurrency` threads at once.
    """

    name: str = "engine"
    concurrency: int = 1
    cacheable: bool = True
    """Same request, same audio: results may be reused from the phrase cache."""
    chars_per_second: float = 14.0
    """About how fast its voices speak at speed 1: tells when a segment will be needed."""
    segments_in_order: bool = False
    """It speaks a segment after the reply's earlier ones, read through the conversation:
    a reply's next segment starts only once the one before it has finished."""
    streams: bool = False
    """Its audio comes out while a segment is synthesized (not in one block at the end): its
    segments need not be cut to be ready in time."""
    device: str = "cpu"
    """Where it computes, as the status page shows it (a GPU, another server)."""

    @abstractmethod
    def voices(self) -> tuple[EngineVoice, ...]:
        """The voices this engine offers (Info lists them); cheap, callable before `load`."""

    def find_voice(self, name: str) -> EngineVoice | None:
        """The voice `name` means, if this engine speaks it: an offered voice, or a name the
        engine understands beyond its list (a blend, say); cheap, callable before `load`."""
        return next((voice for voice in self.voices() if voice.name == name), None)

    def may_offer(self, name: str) -> EngineVoice | None:
        """A voice `name` may be once the engine knows its voices (a remote server before its
        first Info): a request for it goes to this engine, and falls back if it cannot speak
        it. None: the engine knows every voice it will offer now."""
        return None

    def check_voice_later(self, name: str, check: Callable[[], None]) -> bool:
        """For a name it does not offer yet but may once it knows its voices (a remote
        server before its first Info): call `check` (from any thread) when it knows them,
        and return True. False: the engine knows every voice it will offer now."""
        return False

    @abstractmethod
    def load(self) -> None:
        """Load models and warm up once; raise EngineUnavailable when that is impossible."""

    @abstractmethod
    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        """Yield float32 mono blocks at SAMPLE_RATE; raise SynthesisCancelled once cancelled."""

    def close(self) -> None:  # noqa: B027 - optional hook with nothing to do by default
        """Release resources held by the engine."""
