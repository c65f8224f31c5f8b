"""Kokoro-82M through kokoro-onnx on the CPU: a pool of single-threaded onnxruntime sessions."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from ..base import Audio, Engine, EngineVoice, SynthesisRequest
from ..errors import EngineUnavailable, SynthesisCancelled
from .files import KokoroFiles
from .memory import (
    SessionMemory,
    SessionWithRunOptions,
    register_shared_arena,
    run_options,
    session_options,
)
from .own_voices import OwnVoice
from .pins import VOICE_SHA256
from .runs import phoneme_parts, spoken_parts
from .settings import KokoroSettings
from .voices import KokoroVoices

if TYPE_CHECKING:
    from kokoro_onnx import Kokoro

_LOGGER = logging.getLogger(__name__)


VOICE_NAMES = tuple(VOICE_SHA256)
"""The voices of the pinned voices file."""
WARM_UP_TEXT = "Ready."
_NOTHING_TO_SAY = ("Nothing to synthesize", "No phonemes")


class KokoroEngine(Engine):
    """Kokoro v1.0 int8; `concurrency` sessions share the CPU, each in its own worker thread."""

    name = "kokoro"
    chars_per_second = 14.0

    def __init__(
        self,
        settings: KokoroSettings,
        locate_files: Callable[[threading.Event], KokoroFiles],
        voice_names: tuple[str, ...] = VOICE_NAMES,
        own_voices: Mapping[str, OwnVoice] | None = None,
    ) -> None:
        """`locate_files` finds (or fetches) the model and voices; it runs in `load`, and
        stops fetching when the event it is given is set (`close`). `own_voices`: voices from
        files of your own. Raises ConfigError for a bad named blend."""
        self.concurrency = settings.workers
        self._settings = settings
        self._voices = KokoroVoices(self.name, voice_names, own_voices or {}, settings.blends)
        self._locate_files = locate_files
        self._closing = threading.Event()
        self._idle: queue.Queue[Kokoro] = queue.Queue()

    def voices(self) -> tuple[EngineVoice, ...]:
        return self._voices.listed

    def find_voice(self, name: str) -> EngineVoice | None:
        """A listed voice, or a blend such as af_bella(2)+af_sky; raises BadVoice for a
        blend that is not one."""
        return self._voices.find(name)

    def load(self) -> None:
        try:
            import onnxruntime
            from kokoro_onnx import Kokoro
        except ImportError as err:
            raise EngineUnavailable(f"kokoro-onnx is not installed: {err}") from err
        files = self._locate_files(self._closing)
        threads = self._settings.threads_per_worker
        _LOGGER.info(
            "Loading Kokoro from %s: %s session(s) x %s",
            files.model,
            self._settings.workers,
            f"{threads} thread(s)" if threads else "one thread per core (onnxruntime's choice)",
        )
        self._voices.open(files.voices)
        memory = SessionMemory()
        register_shared_arena(onnxruntime, memory)
        for _ in range(self._settings.workers):
            options = session_options(onnxruntime, self._settings.threads_per_worker, memory)
            session = onnxruntime.InferenceSession(
                str(files.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            running = SessionWithRunOptions(session, run_options(onnxruntime, memory))
            kokoro = Kokoro.from_session(running, str(files.voices))
            # The first run of a session allocates its buffers; pay for it before a user waits
            kokoro.create(WARM_UP_TEXT, voice=self._voices.listed[0].name, lang="en-us")
            self._idle.put(kokoro)
        _LOGGER.info("Kokoro ready")

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        """The text in runs of at most `kokoro.max_phonemes_per_run` phonemes (runs.py), one
        audio block each; the session is taken for each run, not for the whole segment."""
        language = self._voices.language(request.voice, request.language)
        style = self._voices.style(request.voice)

        def speak(part: str) -> np.ndarray:
            with self._session(cancel) as kokoro:
                audio, _rate = kokoro.create(
                    part, voice=style, speed=request.speed, is_phonemes=True
                )
            return np.asarray(audio)

        try:
            with self._session(cancel) as kokoro:
                phonemes = kokoro.tokenizer.phonemize(request.text, language.espeak)
            parts = phoneme_parts(phonemes, self._settings.max_phonemes_per_run)
            yield from spoken_parts(parts, speak)
        except ValueError as err:
            # Text such as "..." or a lone symbol has no phonemes: that is silence, not a failure
            if not str(err).startswith(_NOTHING_TO_SAY):
                raise
            _LOGGER.debug("Nothing to say in %r: %s", request.text, err)

    @contextmanager
    def _session(self, cancel: threading.Event) -> Iterator[Kokoro]:
        """An idle session, given back after use; SynthesisCancelled once `cancel` is set."""
        kokoro = self._idle.get()
        try:
            if cancel.is_set():
                raise SynthesisCancelled
            yield kokoro
        finally:
            self._idle.put(kokoro)

    def close(self) -> None:
        """Stop a fetch in progress (the server is stopping)."""
        self._closing.set()
        self._voices.close()
