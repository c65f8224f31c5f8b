"""A reply's audio on its way out: edge fades, silences, and the sink it is written to."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..engines.base import Audio


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
