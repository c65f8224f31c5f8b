"""A reply's audio on its way out: the 16-bit grid it leaves on, edge fades, silences, and the
sink it is written to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ..engines.base import SAMPLE_RATE, Audio

FADE_MS = 5.0
"""Ramp at each segment's edges, so joins and silences never click."""

Pcm16 = NDArray[np.int16]
"""Mono samples as they leave: little-endian signed 16-bit."""
_FULL_SCALE = np.float32(32767.0)


def to_pcm16_samples(audio: Audio) -> Pcm16:
    """Clip to [-1, 1] and round to the nearest 16-bit sample (-32767..32767)."""
    scaled = np.clip(audio, -1.0, 1.0).astype(np.float32) * _FULL_SCALE
    return np.rint(scaled).astype("<i2")


def from_pcm16_samples(pcm: Pcm16) -> Audio:
    """The float samples that `to_pcm16_samples` turns back into exactly `pcm`."""
    return pcm.astype(np.float32) / _FULL_SCALE


class AudioSink(Protocol):
    """Where one reply's audio goes, in order (the Wyoming stream of its connection)."""

    async def write(self, audio: Audio) -> None:
        """Send more audio; raises ConnectionError when the listener is gone."""

    async def close(self) -> None:
        """The reply's audio is complete."""


def fade(audio: Audio, rate: int, fade_ms: float, *, fade_in: bool, fade_out: bool) -> Audio:
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


def silence(rate: int, seconds: float) -> Audio:
    """Zero samples lasting `seconds`."""
    return np.zeros(max(0, round(rate * seconds)), dtype=np.float32)


async def faded(blocks: AsyncIterator[Audio]) -> AsyncIterator[Audio]:
    """A segment's blocks with its first and last milliseconds faded; holds one block back
    to know the last."""
    previous: Audio | None = None
    first = True
    async for block in blocks:
        if previous is not None:
            yield previous
        previous = fade(block, SAMPLE_RATE, FADE_MS, fade_in=first, fade_out=False)
        first = False
    if previous is not None:
        yield fade(previous, SAMPLE_RATE, FADE_MS, fade_in=False, fade_out=True)
