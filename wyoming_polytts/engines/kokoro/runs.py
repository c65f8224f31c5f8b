"""A segment's text as onnxruntime runs of a bounded length.

A run's tensors grow with its phonemes (the vocoder's at audio rate: about 1.2 MB a phoneme
on top of the loaded model, README "Memory"), so the longest run sets the server's peak
memory. kokoro-onnx cuts only at 510 phonemes; here a longer text is cut into balanced
parts of at most `max_phonemes` by kokoro-onnx's own splitter (at punctuation first, then
between words), each part trimmed and followed by the pause its last mark calls for, as
kokoro-onnx joins its own parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .check import SAMPLE_RATE

SENTENCE_PAUSE = 0.25
CLAUSE_PAUSE = 0.1
"""kokoro-onnx's own pauses at its parts' joins (seconds)."""

Speak = Callable[[str], np.ndarray]
"""Audio of one part's phonemes."""


def phoneme_parts(phonemes: str, max_phonemes: int) -> list[str]:
    """`phonemes` in balanced parts of at most `max_phonemes` (one word longer than that is
    a part of its own)."""
    from kokoro_onnx.chunker import split_phonemes  # kokoro-onnx is optional (engine.py)

    return split_phonemes(" ".join(phonemes.split()), max_phonemes)


def spoken_parts(parts: list[str], speak: Speak) -> Iterator[np.ndarray]:
    """Each part's audio, all but the last followed by the pause its last mark calls for."""
    from kokoro_onnx.chunker import pause_after

    for index, part in enumerate(parts):
        audio = np.asarray(speak(part), dtype=np.float32)
        if index < len(parts) - 1:
            pause = pause_after(part, SENTENCE_PAUSE, CLAUSE_PAUSE)
            audio = np.concatenate([audio, np.zeros(int(pause * SAMPLE_RATE), np.float32)])
        yield audio
