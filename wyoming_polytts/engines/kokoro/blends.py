"""Kokoro voice blends: `af_bella(2)+af_sky(1)` speaks with the parts' style vectors mixed by
weight (Kokoro-FastAPI's syntax); `af_bella+af_sky` weighs them equally."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import BadVoice

MAX_PARTS = 16
"""More voices add nothing audible; the bound keeps one request's work small."""
_PART = re.compile(r"\s*(?P<voice>[^()+\s]+)\s*(?:\((?P<weight>[^()]*)\)\s*)?")


@dataclass(frozen=True)
class Blend:
    """Voices and their weights, normalised to sum to 1, in the order written."""

    parts: tuple[tuple[str, float], ...]

    @property
    def first(self) -> str:
        """The voice whose language the blend speaks."""
        return self.parts[0][0]

    @property
    def key(self) -> tuple[tuple[str, float], ...]:
        """The same for every spelling of the same mix ("a(2)+b" and "b(1)+a(2)")."""
        return tuple(sorted(self.parts))

    def describe(self) -> str:
        return " + ".join(f"{round(weight * 100)}% {voice}" for voice, weight in self.parts)


def is_blend(name: str) -> bool:
    """Whether a voice name is written as a blend (and so is one, or an error)."""
    return any(mark in name for mark in "+()")


def parse_blend(name: str, voices: Collection[str]) -> Blend:
    """The blend `name` writes, of `voices`; raises BadVoice naming the part that is wrong."""
    pieces = name.split("+")
    if len(pieces) > MAX_PARTS:
        raise BadVoice(f"voice {name!r}: a blend has at most {MAX_PARTS} voices")
    weights: dict[str, float] = {}
    for piece in pieces:
        match = _PART.fullmatch(piece)
        if not piece.strip():
            raise BadVoice(f"voice {name!r}: a '+' has no voice on one side")
        if match is None:
            raise BadVoice(
                f"voice {name!r}: {piece.strip()!r} is not a voice with an optional weight, "
                "e.g. af_bella(2)+af_sky(1)"
            )
        voice = match["voice"]
        if voice not in voices:
            raise BadVoice(f"voice {name!r}: {voice} is not a Kokoro voice")
        weights[voice] = weights.get(voice, 0.0) + _weight(name, voice, match["weight"])
    total = sum(weights.values())
    return Blend(tuple((voice, weight / total) for voice, weight in weights.items()))


def _weight(name: str, voice: str, written: str | None) -> float:
    if written is None:
        return 1.0
    try:
        weight = float(written)
    except ValueError:
        weight = math.nan
    if not (math.isfinite(weight) and weight > 0):
        raise BadVoice(
            f"voice {name!r}: the weight of {voice} must be a positive number, got {written!r}"
        )
    return weight


def mix(blend: Blend, style_of: Callable[[str], NDArray[np.float32]]) -> NDArray[np.float32]:
    """The blend's style vectors: the parts' weighted sum."""
    mixed = sum(weight * style_of(voice).astype(np.float64) for voice, weight in blend.parts)
    return np.asarray(mixed, dtype=np.float32)
