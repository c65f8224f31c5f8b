"""A fake engine for protocol tests: a tone per character, pausable, made to fail on demand."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..engines.base import SAMPLE_RATE, Audio, Engine, EngineVoice, SynthesisRequest
from ..engines.errors import SynthesisCancelled

SECONDS_PER_CHAR = 0.01


@dataclass
class FakeEngine(Engine):
    """Speaks a tone lasting SECONDS_PER_CHAR per character; can be paused and made to fail."""

    name: str = "kokoro"
    concurrency: int = 1
    chars_per_second: float = 1 / SECONDS_PER_CHAR
    streams: bool = True
    """Its segments come in several blocks; False makes replies cut segments to be in time,
    as for Kokoro."""
    voice_names: tuple[str, ...] = ("af_heart", "bf_emma")
    fail_on: str | None = None
    mute_voice: str | None = None
    """A voice it finishes every segment of without a sample."""
    blocks_per_segment: int = 2
    gate: threading.Event = field(default_factory=threading.Event)
    requests: list[SynthesisRequest] = field(default_factory=list)
    started: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    load_error: Exception | None = None
    loaded: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.gate.set()

    def voices(self) -> tuple[EngineVoice, ...]:
        return tuple(
            EngineVoice(name, ("en-GB",) if name.startswith("b") else ("en-US",), name, self.name)
            for name in self.voice_names
        )

    def load(self) -> None:
        self.loaded.wait(timeout=30) if not self.loaded.is_set() else None
        if self.load_error is not None:
            raise self.load_error

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        self.requests.append(request)
        self.started.release()
        self.gate.wait(timeout=30)
        if self.fail_on is not None and self.fail_on in request.text:
            raise RuntimeError(f"injected failure on {request.text!r}")
        if request.voice == self.mute_voice:
            return
        samples = round(len(request.text) * SECONDS_PER_CHAR * SAMPLE_RATE / request.speed)
        tone = 0.5 * np.sin(np.arange(samples, dtype=np.float32) * 0.05).astype(np.float32)
        for block in np.array_split(tone, self.blocks_per_segment):
            if cancel.is_set():
                raise SynthesisCancelled
            yield block


def loaded_fake(**kwargs: object) -> FakeEngine:
    engine = FakeEngine(**kwargs)  # type: ignore[arg-type]
    engine.loaded.set()
    return engine
