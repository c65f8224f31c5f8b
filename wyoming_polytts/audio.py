"""PCM helpers: float audio to 16-bit bytes, edge fades, silence and fixed-size chunks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

SAMPLE_WIDTH = 2
CHANNELS = 1


def to_pcm16(audio: NDArray[np.float32]) -> bytes:
    """Clip to [-1, 1] and convert to little-endian signed 16-bit PCM."""
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def fade(
    audio: NDArray[np.float32], rate: int, fade_ms: float, *, fade_in: bool, fade_out: bool
) -> NDArray[np.float32]:
    """Ramp the first and/or last few milliseconds so joins and silences never click."""
    length = min(int(rate * fade_ms / 1000), len(audio) // 2)
    if length <= 0 or not (fade_in or fade_out):
        return audio
    out = np.array(audio, dtype=np.float32, copy=True)
    ramp = np.linspace(0.0, 1.0, length, endpoint=False, dtype=np.float32)
    if fade_in:
        out[:length] *= ramp
    if fade_out:
        out[-length:] *= ramp[::-1]
    return out


def silence(rate: int, seconds: float) -> NDArray[np.float32]:
    """Zero samples lasting `seconds`."""
    return np.zeros(max(0, round(rate * seconds)), dtype=np.float32)


class PcmChunker:
    """Cuts a stream of PCM bytes into chunks of a fixed duration; the last may be shorter."""

    def __init__(self, rate: int, chunk_ms: int) -> None:
        self._chunk_bytes = max(SAMPLE_WIDTH, rate * chunk_ms // 1000 * SAMPLE_WIDTH * CHANNELS)
        self._pending = bytearray()

    def push(self, pcm: bytes) -> Iterator[bytes]:
        """Add PCM and yield every full chunk it completes."""
        self._pending.extend(pcm)
        while len(self._pending) >= self._chunk_bytes:
            yield bytes(self._pending[: self._chunk_bytes])
            del self._pending[: self._chunk_bytes]

    def flush(self) -> Iterator[bytes]:
        """Yield what is left."""
        if self._pending:
            yield bytes(self._pending)
            self._pending.clear()
