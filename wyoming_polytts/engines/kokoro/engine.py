"""Kokoro-82M through kokoro-onnx on the CPU: a pool of single-threaded onnxruntime sessions."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..base import Audio, Credit, Engine, EngineVoice, SynthesisRequest
from ..errors import EngineUnavailable, SynthesisCancelled
from .files import KokoroFiles
from .pins import VOICE_SHA256
from .settings import KokoroSettings

if TYPE_CHECKING:
    from kokoro_onnx import Kokoro

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class KokoroLanguage:
    code: str
    """What Info advertises and the text pipeline reads (Home Assistant's style)."""
    espeak: str
    """What espeak-ng phonemizes with."""
    label: str


VOICE_PREFIXES = {
    "a": KokoroLanguage("en-US", "en-us", "American English"),
    "b": KokoroLanguage("en-GB", "en-gb", "British English"),
    "e": KokoroLanguage("es", "es", "Spanish"),
    "f": KokoroLanguage("fr", "fr-fr", "French"),
    "h": KokoroLanguage("hi", "hi", "Hindi"),
    "i": KokoroLanguage("it", "it", "Italian"),
    "j": KokoroLanguage("ja", "ja", "Japanese"),
    "p": KokoroLanguage("pt-BR", "pt-br", "Brazilian Portuguese"),
    "z": KokoroLanguage("zh-CN", "cmn", "Mandarin Chinese"),
}
"""Kokoro voice names start with a language letter and a gender letter (af_heart, bm_george)."""

VOICE_NAMES = tuple(VOICE_SHA256)
"""The voices of the pinned voices file."""
WARM_UP_TEXT = "Ready."
_NOTHING_TO_SAY = ("Nothing to synthesize", "No phonemes")


def voice_language(voice: str) -> KokoroLanguage:
    """The language a Kokoro voice speaks, from its name's first letter."""
    try:
        return VOICE_PREFIXES[voice[0]]
    except (IndexError, KeyError) as err:
        raise ValueError(f"not a Kokoro voice name: {voice!r}") from err


class KokoroEngine(Engine):
    """Kokoro v1.0 int8; `concurrency` sessions share the CPU, each in its own worker thread."""

    name = "kokoro"
    chars_per_second = 14.0
    credit = Credit("hexgrad (Kokoro-82M)", "https://huggingface.co/hexgrad/Kokoro-82M")

    def __init__(
        self,
        settings: KokoroSettings,
        locate_files: Callable[[threading.Event], KokoroFiles],
        voice_names: tuple[str, ...] = VOICE_NAMES,
    ) -> None:
        """`locate_files` finds (or fetches) the model and voices; it runs in `load`, and
        stops fetching when the event it is given is set (`close`)."""
        self.concurrency = settings.workers
        self._settings = settings
        self._voices = tuple(
            EngineVoice(
                name=name,
                languages=(voice_language(name).code,),
                description=f"Kokoro {name} ({voice_language(name).label})",
                engine=self.name,
                credit=self.credit,
            )
            for name in voice_names
        )
        self._locate_files = locate_files
        self._closing = threading.Event()
        self._idle: queue.Queue[Kokoro] = queue.Queue()

    def voices(self) -> tuple[EngineVoice, ...]:
        return self._voices

    def load(self) -> None:
        try:
            import onnxruntime
            from kokoro_onnx import Kokoro
        except ImportError as err:
            raise EngineUnavailable(f"kokoro-onnx is not installed: {err}") from err
        files = self._locate_files(self._closing)
        _LOGGER.info(
            "Loading Kokoro from %s: %s session(s) x %s thread(s)",
            files.model,
            self._settings.workers,
            self._settings.threads_per_worker,
        )
        _register_shared_arena(onnxruntime)
        for _ in range(self._settings.workers):
            options = onnxruntime.SessionOptions()
            # 0 leaves onnxruntime's default: one thread per physical core
            options.intra_op_num_threads = self._settings.threads_per_worker
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.use_env_allocators", "1")
            session = onnxruntime.InferenceSession(
                str(files.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            kokoro = Kokoro.from_session(session, str(files.voices))
            # The first run of a session allocates its buffers; pay for it before a user waits
            kokoro.create(WARM_UP_TEXT, voice=self._voices[0].name, lang="en-us")
            self._idle.put(kokoro)
        _LOGGER.info("Kokoro ready")

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        language = voice_language(request.voice)
        kokoro = self._idle.get()
        try:
            if cancel.is_set():
                raise SynthesisCancelled
            audio, _rate = kokoro.create(
                request.text, voice=request.voice, speed=request.speed, lang=language.espeak
            )
        except ValueError as err:
            # Text such as "..." or a lone symbol has no phonemes: that is silence, not a failure
            if not str(err).startswith(_NOTHING_TO_SAY):
                raise
            _LOGGER.debug("Nothing to say in %r: %s", request.text, err)
            return
        finally:
            self._idle.put(kokoro)
        yield np.asarray(audio, dtype=np.float32)

    def close(self) -> None:
        """Stop a fetch in progress (the server is stopping)."""
        self._closing.set()


def _register_shared_arena(onnxruntime: Any) -> None:
    """One memory arena for all sessions instead of one each (measured: 599 -> 453 MB peak
    for two sessions); it lives in onnxruntime's process-wide environment."""
    memory = onnxruntime.OrtMemoryInfo(
        "Cpu", onnxruntime.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, onnxruntime.OrtMemType.DEFAULT
    )
    onnxruntime.create_and_register_allocator(memory, onnxruntime.OrtArenaCfg(0, -1, -1, -1))
