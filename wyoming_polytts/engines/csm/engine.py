"""Sesame CSM-1B through transformers, on a CUDA GPU, streaming and conversational.

CSM speaks each segment after the turns before it (text and audio codes), so a reply
keeps one voice and prosody across segments and replies. Audio leaves while CSM is still
generating: the runtime's frame loop (one thread, every reply in one batched step per
frame) hands each reply its frames, and `synthesize` has them decoded in chunks, with the
reply's own stateful Mimi decoder, by the runtime's one decoding thread. torch and
transformers are imported only in `load()`, so this module costs nothing without them.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import shutil
import threading
import time
import wave
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..base import SAMPLE_RATE, Audio, Credit, Engine, EngineVoice, SynthesisRequest
from ..errors import EngineUnavailable, SynthesisCancelled
from .prompt import Utterance, fit_context, fitting_utterances
from .settings import CsmSettings, CsmVoiceSettings

if TYPE_CHECKING:
    from .reply_frames import Reply
    from .runtime import CsmRuntime

_LOGGER = logging.getLogger(__name__)

CSM_LANGUAGES = ("en-US", "en-GB")
"""CSM-1B speaks English only."""
MIN_CHARS_PER_SECOND = 7.0
"""About half of an ordinary speaking rate: a segment longer than its text's worth at this
rate is CSM rambling on without its end-of-audio frame, so generation stops there."""
SLACK_SECONDS = 1.5
WARM_UP_TEXT = "Ready."
WARM_UP_FRAMES = 4

Components = Callable[[], tuple[Any, Any]]
"""Returns (CsmForConditionalGeneration, CsmProcessor) ready on their device."""


def csm_wanted(settings: CsmSettings) -> bool:
    """Whether to run CSM: as configured, else when its packages and a CUDA GPU are present."""
    if settings.enabled is not None:
        return settings.enabled
    if not all(importlib.util.find_spec(name) for name in ("torch", "transformers")):
        return False
    if settings.device == "cpu":
        return True
    # Without an NVIDIA driver there is no CUDA: skip importing torch (seconds, hundreds of MB)
    if not Path("/proc/driver/nvidia/version").exists() and shutil.which("nvidia-smi") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


class CsmEngine(Engine):
    """CSM on one device; up to `max_batch` replies at once, sharing each frame's batched
    step, each streaming its own audio."""

    name = "csm"
    cacheable = False
    """The same text sounds different after different turns."""
    streams = True
    credit = Credit("Sesame (CSM-1B)", "https://huggingface.co/sesame/csm-1b")
    segments_in_order = True
    """A segment's prompt holds the reply's earlier segments, so they must be spoken first."""

    def __init__(
        self,
        settings: CsmSettings,
        data_dirs: Sequence[Path] = (),
        components: Components | None = None,
    ) -> None:
        """`components` builds the model and processor (default: from local files)."""
        # A worker per slot: its thread mostly waits for frames, and one reply more than
        # the slots would only wait in the frame loop instead of the scheduler's queue
        self.concurrency = settings.max_batch
        self.device = settings.device
        self._settings = settings
        self._data_dirs = tuple(data_dirs)
        self._components = components or self._load_pretrained
        self._voices = tuple(
            EngineVoice(
                name=name,
                languages=CSM_LANGUAGES,
                description=f"Sesame CSM speaker {voice.speaker}"
                + (" (reference voice)" if voice.reference_wav else ""),
                engine=self.name,
                credit=self.credit,
            )
            for name, voice in settings.voices.items()
        )
        self._runtime: CsmRuntime | None = None
        self._references: dict[str, tuple[Utterance, ...]] = {}

    @property
    def runtime(self) -> CsmRuntime:
        """The loaded model (for benchmarks and tests); raises EngineUnavailable before `load`."""
        if self._runtime is None:
            raise EngineUnavailable("CSM is not loaded")
        return self._runtime

    def reference(self, voice: str) -> tuple[Utterance, ...]:
        """What opens every prompt of `voice`: its reference recording, if it has one."""
        return self._references[voice]

    def voices(self) -> tuple[EngineVoice, ...]:
        return self._voices

    def load(self) -> None:
        try:
            from .runtime import CsmRuntime
        except ImportError as err:
            raise EngineUnavailable(
                f"CSM needs torch and transformers (the csm extra): {err}"
            ) from err
        started = time.monotonic()
        model, processor = self._components()
        runtime = CsmRuntime(model, processor, self._settings)
        try:
            self._references = {
                name: self._reference_turns(runtime, voice)
                for name, voice in self._settings.voices.items()
            }
            # The first reply and decode initialise kernels and allocators: pay before a
            # user waits
            reply = runtime.submit(
                (), runtime.text_ids(0, WARM_UP_TEXT), WARM_UP_FRAMES, lambda: False
            )
            frames, _ended = reply.take(WARM_UP_FRAMES)
            if frames:
                runtime.decode(runtime.new_decoder(), frames)
        except BaseException:
            runtime.close()
            raise
        self._runtime = runtime
        self.device = str(model.device)
        _LOGGER.info("CSM ready on %s in %.1f s", model.device, time.monotonic() - started)

    def _load_pretrained(self) -> tuple[Any, Any]:
        from .runtime import load_pretrained

        return load_pretrained(self._settings, self._data_dirs)

    def _reference_turns(
        self, runtime: CsmRuntime, voice: CsmVoiceSettings
    ) -> tuple[Utterance, ...]:
        if voice.reference_wav is None or voice.reference_text is None:
            return ()
        audio = read_wav(self._find(voice.reference_wav))
        text_ids = runtime.text_ids(voice.speaker, voice.reference_text)
        return (Utterance(text_ids, runtime.encode(audio)),)

    def _find(self, name: str) -> Path:
        for path in (Path(name).expanduser(), *(Path(d) / name for d in self._data_dirs)):
            if path.is_file():
                return path
        raise EngineUnavailable(f"CSM reference voice {name!r} not found in the data dirs")

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        runtime = self._runtime
        if runtime is None:
            raise EngineUnavailable("CSM is not loaded")
        if cancel.is_set():
            raise SynthesisCancelled
        voice = self._settings.voices.get(request.voice)
        if voice is None:
            raise ValueError(f"CSM has no voice {request.voice!r}")
        text = request.text.strip()
        if not text:
            return
        text_ids = runtime.text_ids(voice.speaker, text)
        max_frames = frame_limit(text, len(text_ids), runtime.window, runtime.frame_rate)
        context = fit_context(
            self._references[request.voice],
            self._earlier(request, runtime.num_codebooks),
            runtime.window - len(text_ids) - max_frames,
        )
        reply = runtime.submit(context, text_ids, max_frames, cancel.is_set)
        frames = yield from self._stream(runtime, reply, cancel)
        _LOGGER.debug(
            "CSM spoke %s frames of %r after %s turns of context", len(frames), text, len(context)
        )
        if len(frames) >= max_frames:
            # The text is the user's: its length only, above DEBUG
            _LOGGER.warning(
                "CSM reached its limit of %s frames for %s characters without an end of audio",
                max_frames,
                len(text),
            )
        if frames and request.conversation is not None:
            utterance = Utterance(text_ids, runtime.stack(frames))
            request.conversation.remember(self.name, utterance.blob())

    def _earlier(self, request: SynthesisRequest, num_codebooks: int) -> Sequence[Utterance]:
        """The utterances before this segment: the reply's own earlier segments included."""
        if request.conversation is None:
            return ()
        earlier = fitting_utterances(request.conversation.history(self.name), num_codebooks)
        return earlier[max(0, len(earlier) - self._settings.max_context_turns) :]

    def _stream(
        self, runtime: CsmRuntime, reply: Reply, cancel: threading.Event
    ) -> Generator[Audio, None, list[Any]]:
        """Yield audio as the reply's frames arrive from the frame loop; return the frames."""
        frames: list[Any] = []
        need = self._settings.first_chunk_frames
        try:
            decoder = runtime.new_decoder()
            while True:
                batch, ended = reply.take(need, cancel.is_set)
                if cancel.is_set():
                    raise SynthesisCancelled
                if batch:
                    frames.extend(batch)
                    yield runtime.decode(decoder, batch, cancel.is_set)
                if ended:
                    return frames
                need = self._settings.chunk_frames
        finally:
            # Also when the consumer stops early: generation must not run on for nobody
            reply.cancel()

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
        self._runtime = None


def frame_limit(text: str, text_tokens: int, window: int, frame_rate: float) -> int:
    """Most frames to generate for `text`: its slowest plausible duration, within the window."""
    wanted = math.ceil((len(text) / MIN_CHARS_PER_SECOND + SLACK_SECONDS) * frame_rate)
    limit = min(wanted, window - text_tokens)
    if limit < 1:
        raise ValueError(f"text too long for CSM's window of {window} tokens: {text[:40]!r}...")
    return limit


def read_wav(path: Path) -> Audio:
    """A 16-bit PCM WAV at 24 kHz as mono float samples."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            data = wav.readframes(wav.getnframes())
    except (OSError, wave.Error, EOFError) as err:
        raise EngineUnavailable(f"cannot read reference voice {path}: {err}") from err
    if rate != SAMPLE_RATE or width != 2:
        raise EngineUnavailable(
            f"reference voice {path} must be {SAMPLE_RATE} Hz 16-bit PCM (it is {rate} Hz, "
            f"{8 * width}-bit); convert it with: ffmpeg -i IN -ac 1 -ar {SAMPLE_RATE} "
            "-sample_fmt s16 OUT.wav"
        )
    samples = np.frombuffer(data, dtype="<i2").reshape(-1, channels).mean(axis=1)
    return (samples / 32768.0).astype(np.float32)
