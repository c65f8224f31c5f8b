"""Does a derived Kokoro graph say what the original says? Checked on a few probes.

For each probe both graphs speak the same tokens with the same style. The derived graph
reports its durations before and after the caps (graph.py), which must differ only where
a cap applies; the lengths of both audios must match those durations; the speech between
the first phoneme and the end of the last spoken one must have nearly the same spectrum
(mean log-spectral distance, below); and, where an ASR is at hand (`listen`: the tests' and
benchmark's Whisper), the same words must be heard in both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import graph

_LOGGER = logging.getLogger(__name__)

SAMPLE_RATE = 24000
SAMPLES_PER_FRAME = 600
MAX_SPECTRAL_DISTANCE_DB = 4.0
"""Mean |20 log10| ratio of the two speech parts' STFT magnitudes (1024-point frames, 256
apart, a floor 60 dB under the loudest bin). Measured with the chosen caps: 1.2-2.6 dB over the
probes (the vocoder normalises over time, so the shorter pad changes the level a little);
a graph fed other tokens measured 9 dB and more."""

Listener = Callable[[np.ndarray, str], str]
"""(24 kHz float audio, language such as "en") -> the words heard."""


@dataclass(frozen=True)
class Probe:
    """A text the derived graph must speak as the original does: `voices` (their styles
    averaged: one voice, or a blend), `espeak`'s language and the listener's."""

    text: str
    voices: tuple[str, ...]
    espeak: str
    language: str


PROBES = (
    Probe("Sure!", ("af_heart",), "en-us", "en"),
    Probe("Hmm, the front door is open.", ("am_adam", "bf_emma"), "en-us", "en"),
    Probe("Is it going to rain tomorrow?", ("bm_george",), "en-gb", "en"),
    Probe("La porte est ouverte.", ("ff_siwis",), "fr-fr", "fr"),
)


def check_derived(
    original: Path, derived: Path, voices: Path, listen: Listener | None = None
) -> str | None:
    """None when `derived` passes on every probe, else what is wrong (for a warning)."""
    import onnxruntime
    from kokoro_onnx import Kokoro

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    sessions = [
        onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        for path in (original, derived)
    ]
    kokoro = Kokoro.from_session(sessions[0], str(voices))
    for probe in PROBES:
        tokens = kokoro.tokenizer.tokenize(kokoro.tokenizer.phonemize(probe.text, probe.espeak))
        style = np.mean([kokoro.voices[name] for name in probe.voices], axis=0)[len(tokens) - 1]
        inputs = {
            graph.TOKENS_INPUT: np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": style.astype(np.float32),
            graph.SPEED_INPUT: np.ones(1, dtype=np.float32),
        }
        problem = _compare(sessions, inputs, probe, listen)
        if problem:
            return f"does not pass on {probe.text!r}: {problem}"
    return None


def _compare(
    sessions: list[Any], inputs: dict[str, np.ndarray], probe: Probe, listen: Listener | None
) -> str | None:
    before = np.ravel(sessions[0].run(None, inputs)[0])
    after, raw, capped = (
        np.ravel(value)
        for value in sessions[1].run(
            [sessions[1].get_outputs()[0].name, graph.RAW_DURATIONS, graph.CAPPED_DURATIONS],
            inputs,
        )
    )
    if (
        len(before) != raw.sum() * SAMPLES_PER_FRAME
        or len(after) != capped.sum() * SAMPLES_PER_FRAME
    ):
        return "its audio does not last as long as its durations say"
    changed = np.flatnonzero(raw != capped)
    if not set(changed) <= {0, len(raw) - 2} or np.any(capped > raw):
        return f"it changes the durations of tokens {changed.tolist()}, not only silent ones"
    # The speech: from the first phoneme to the end of the last one that is not capped
    spoken = slice(1, len(raw) - 2 if len(raw) - 2 in changed else len(raw) - 1)
    distance = spectral_distance(_frames(before, raw, spoken), _frames(after, capped, spoken))
    _LOGGER.debug("Derived graph on %r: spectral distance %.2f dB", probe.text, distance)
    if not distance <= MAX_SPECTRAL_DISTANCE_DB:
        return f"its speech differs by {distance:.1f} dB (at most {MAX_SPECTRAL_DISTANCE_DB})"
    if listen is not None:
        heard = [listen(audio, probe.language) for audio in (before, after)]
        if _words(heard[0]) != _words(heard[1]):
            return f"other words are heard in it than in the original ({distance:.1f} dB)"
    return None


def _frames(audio: np.ndarray, durations: np.ndarray, tokens: slice) -> np.ndarray:
    edges = np.concatenate([[0], np.cumsum(durations)]).astype(int) * SAMPLES_PER_FRAME
    return audio[edges[tokens.start] : edges[tokens.stop]]


def spectral_distance(reference: np.ndarray, candidate: np.ndarray) -> float:
    """Mean absolute log-spectral difference in dB (both the same length)."""
    magnitudes = [_stft_magnitude(audio) for audio in (reference, candidate)]
    floor = max(magnitudes[0].max(), 1e-9) * 1e-3
    ratio = (magnitudes[0] + floor) / (magnitudes[1] + floor)
    return float(np.mean(np.abs(20 * np.log10(ratio))))


def _stft_magnitude(audio: np.ndarray, size: int = 1024, hop: int = 256) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float64)
    if len(audio) < size:
        audio = np.pad(audio, (0, size - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, size)[::hop]
    return np.abs(np.fft.rfft(frames * np.hanning(size), axis=1))


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split()
