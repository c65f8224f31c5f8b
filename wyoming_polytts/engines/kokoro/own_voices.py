"""Your own Kokoro voices: style files in a data dir's `voices/` folder.

A voice is 510 style vectors of 256 floats (one per phoneme count), the shape kokoro-js
and Kokoro-FastAPI use: a raw little-endian float32 `.bin` or a `.npy`. Its name is the
file's name; its language comes from the name's prefix (`af_`, `bf_`, `ef_`, ...) or from a
sidecar `<name>.json` such as `{"language": "en-GB"}`. Its values must be in the range of
Kokoro's own voices (`outside_stock_range`). A file that is not a usable voice is skipped with
a warning that names it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .languages import KokoroLanguage, language_of_code, prefixed_language

_LOGGER = logging.getLogger(__name__)

VOICES_DIR = "voices"
STYLES, STYLE_SIZE = 510, 256
SUFFIXES = (".bin", ".npy")
_SHAPES = ((STYLES, STYLE_SIZE), (STYLES, 1, STYLE_SIZE))
_MAX_FILE_BYTES = STYLES * STYLE_SIZE * 8 + 4096
"""A float64 .npy with its header: anything larger is not a voice (and is not read)."""
STOCK_PEAK = 3.19
"""The largest magnitude of any value in Kokoro's 54 stock voices (measured: -3.19 to 2.82)."""
STOCK_RMS = (0.143, 0.246)
"""The smallest and largest root mean square of a stock voice (an average of all 54: 0.123)."""
PEAK_LIMIT = 2 * STOCK_PEAK
RMS_LIMITS = (STOCK_RMS[0] / 2, STOCK_RMS[1] * 2)
"""An own voice must stay within twice the stock voices' range: finite garbage (values of
1e30, or uniform noise in +-3) passes a finiteness check and speaks nothing, or overflows."""
_NAME = re.compile(r"[A-Za-z0-9][\w.-]*")
"""No marks that blends use, no spaces: the name works in a blend and in Home Assistant."""


class NotAVoice(ValueError):
    """A file in a voices folder that cannot be used; the message says why."""


@dataclass(frozen=True)
class OwnVoice:
    name: str
    language: KokoroLanguage
    style: NDArray[np.float32]
    """Shaped (510, 1, 256), as kokoro-onnx takes a voice."""


def find_own_voices(data_dirs: Iterable[Path], taken: Collection[str]) -> dict[str, OwnVoice]:
    """The usable voice files of every data dir's voices folder; a name in `taken` or seen
    in an earlier data dir is skipped."""
    found: dict[str, OwnVoice] = {}
    for directory in data_dirs:
        folder = directory / VOICES_DIR
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in SUFFIXES:
                continue
            try:
                voice = read_own_voice(path)
            except NotAVoice as err:
                _LOGGER.warning("Skipping voice file %s: %s", path, err)
                continue
            if voice.name in taken or voice.name in found:
                _LOGGER.warning("Skipping voice file %s: voice %s exists already", path, voice.name)
                continue
            _LOGGER.info("Own voice %s (%s) from %s", voice.name, voice.language.code, path)
            found[voice.name] = voice
    return found


def read_own_voice(path: Path) -> OwnVoice:
    """The voice in `path`; raises NotAVoice."""
    name = path.stem
    if not _NAME.fullmatch(name):
        raise NotAVoice(f"{name!r} is not a usable voice name (letters, digits, _ . - only)")
    return OwnVoice(name, _language(path), read_style(path))


def read_style(path: Path) -> NDArray[np.float32]:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise NotAVoice(f"cannot read it: {err}") from err
    if size > _MAX_FILE_BYTES:
        raise NotAVoice(f"{size} bytes is too large for a voice")
    bin_size = STYLES * STYLE_SIZE * 4
    if path.suffix == ".bin" and size != bin_size:
        shape = f"{STYLES}x{STYLE_SIZE} float32 ({bin_size} bytes)"
        raise NotAVoice(f"a .bin voice is {shape}, this is {size} bytes")
    try:
        if path.suffix == ".bin":
            array = np.fromfile(path, dtype="<f4").reshape(STYLES, STYLE_SIZE)
        else:
            array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise NotAVoice(f"cannot read it: {err}") from err
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise NotAVoice("expected an array of floating-point numbers")
    if array.shape not in _SHAPES:
        raise NotAVoice(f"expected {STYLES}x{STYLE_SIZE} values, found shape {array.shape}")
    style = np.ascontiguousarray(array, dtype=np.float32).reshape(STYLES, 1, STYLE_SIZE)
    if not np.isfinite(style).all():
        raise NotAVoice("it holds values that are not finite (NaN or infinity)")
    if not style.any():
        raise NotAVoice("all its values are zero")
    if problem := outside_stock_range(style):
        raise NotAVoice(problem)
    return style


def outside_stock_range(style: NDArray[np.float32]) -> str | None:
    """Why a style is not in the range of Kokoro's own voices (twice their range), or None."""
    peak = float(np.abs(style).max())
    if peak > PEAK_LIMIT:
        return (
            f"its values reach {peak:.3g}; Kokoro's voices stay within +-{STOCK_PEAK} "
            f"(allowed: +-{PEAK_LIMIT:.3g})"
        )
    rms = float(np.sqrt(np.mean(np.square(style, dtype=np.float64))))
    low, high = RMS_LIMITS
    if not low <= rms <= high:
        return (
            f"the root mean square of its values is {rms:.3g}; Kokoro's voices are "
            f"{STOCK_RMS[0]} to {STOCK_RMS[1]} (allowed: {low:.3g} to {high:.3g})"
        )
    return None


def _language(path: Path) -> KokoroLanguage:
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        try:
            code = json.loads(sidecar.read_text(encoding="utf-8"))["language"]
            language = language_of_code(code) if isinstance(code, str) else None
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise NotAVoice(f'{sidecar.name} must be like {{"language": "en-GB"}}: {err}') from err
        if language is None:
            raise NotAVoice(f"{sidecar.name}: Kokoro does not speak {code!r}")
        return language
    language = prefixed_language(path.stem)
    if language is None:
        raise NotAVoice(
            "no language: start its name like Kokoro's voices (af_, bf_, ef_, ...) or add "
            f'{sidecar.name} with {{"language": "en-US"}}'
        )
    return language
