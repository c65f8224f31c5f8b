"""The voices Kokoro speaks: the pinned ones, your own files, and blends of them.

A blend's style vectors are mixed once and kept (named blends always, others in a small
LRU), so a blend costs nothing per segment after its first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...schema import ConfigError
from ..base import Credit, EngineVoice
from ..errors import BadVoice, EngineUnavailable
from .blends import Blend, is_blend, mix, parse_blend
from .languages import KokoroLanguage, language_of_code, voice_language
from .own_voices import OwnVoice

CREDIT = Credit("hexgrad (Kokoro-82M)", "https://huggingface.co/hexgrad/Kokoro-82M")
BLEND_CACHE_SIZE = 32
"""Mixed styles of unnamed blends kept (about 0.5 MB each)."""

Style = str | NDArray[np.float32]
"""What kokoro-onnx speaks with: a voice of its voices file by name, or style vectors."""


class KokoroVoices:
    """Every voice name Kokoro answers to, and the style each one speaks with."""

    def __init__(
        self,
        engine: str,
        pinned: Iterable[str],
        own: Mapping[str, OwnVoice],
        blends: Mapping[str, str],
    ) -> None:
        """Raises ConfigError for a named blend that is not one."""
        self._engine = engine
        self._own = dict(own)
        languages = {name: voice_language(name) for name in pinned}
        self._pinned = frozenset(languages)
        languages |= {name: voice.language for name, voice in self._own.items()}
        self._languages = languages
        """Of every voice with style vectors of its own."""
        self._named = {name: self._named_blend(name, spec) for name, spec in blends.items()}
        listed = [
            self._voice(name, f"Kokoro {name} ({language.label})", language)
            for name, language in languages.items()
            if name in self._pinned
        ]
        listed += [
            self._voice(name, f"Own Kokoro voice {name} ({voice.language.label})", voice.language)
            for name, voice in self._own.items()
        ]
        listed += [
            self._voice(name, f"Kokoro blend {name}: {blend.describe()}", languages[blend.first])
            for name, blend in self._named.items()
        ]
        self.listed = tuple(listed)
        self._by_name = {voice.name: voice for voice in self.listed}
        self._lock = threading.Lock()
        self._pinned_styles: Any = None
        """The pinned voices file (an npz read lazily), once `open`ed."""
        self._named_styles: dict[str, NDArray[np.float32]] = {}
        self._mixed: OrderedDict[tuple[tuple[str, float], ...], NDArray[np.float32]] = OrderedDict()

    def _named_blend(self, name: str, spec: str) -> Blend:
        key = f"config key 'kokoro.blends.{name}'"
        if name in self._languages or is_blend(name) or not name.strip():
            raise ConfigError(f"{key}: {name!r} must be a new voice name without + ( )")
        try:
            return parse_blend(spec, self._languages)
        except BadVoice as err:
            raise ConfigError(f"{key}: {err}") from err

    def _voice(self, name: str, description: str, language: KokoroLanguage) -> EngineVoice:
        return EngineVoice(name, (language.code,), description, self._engine, CREDIT)

    def find(self, name: str) -> EngineVoice | None:
        """The voice `name` means; raises BadVoice for a blend that is not one."""
        voice = self._by_name.get(name)
        if voice is not None or not is_blend(name):
            return voice
        blend = parse_blend(name, self._languages)
        return self._voice(name, f"Kokoro blend: {blend.describe()}", self._languages[blend.first])

    def language(self, name: str, wanted: str | None = None) -> KokoroLanguage:
        """The language to speak `name` in: `wanted` where Kokoro speaks it, else the voice's
        (a blend's: its first voice's). Raises BadVoice."""
        override = language_of_code(wanted) if wanted else None
        if override is not None:
            return override
        if name in self._languages:
            return self._languages[name]
        return self._languages[self._blend(name).first]

    def _blend(self, name: str) -> Blend:
        if name in self._named:
            return self._named[name]
        if not is_blend(name):
            raise BadVoice(f"Kokoro has no voice {name!r}")
        return parse_blend(name, self._languages)

    def open(self, pinned_file: Path) -> None:
        """Read the pinned voices from `pinned_file` as blends need them; mix named blends."""
        with self._lock:
            self._pinned_styles = np.load(pinned_file)
        self._named_styles = {
            name: mix(blend, self._plain_style) for name, blend in self._named.items()
        }

    def close(self) -> None:
        with self._lock:
            if self._pinned_styles is not None:
                self._pinned_styles.close()
                self._pinned_styles = None

    def style(self, name: str) -> Style:
        """What kokoro-onnx speaks `name` with; raises BadVoice."""
        if name in self._pinned:
            return name
        if name in self._own:
            return self._own[name].style
        if name in self._named_styles:
            return self._named_styles[name]
        return self._mixed_style(self._blend(name))

    def _mixed_style(self, blend: Blend) -> NDArray[np.float32]:
        key = blend.key
        with self._lock:
            if key in self._mixed:
                self._mixed.move_to_end(key)
                return self._mixed[key]
        style = mix(blend, self._plain_style)
        with self._lock:
            self._mixed[key] = style
            while len(self._mixed) > BLEND_CACHE_SIZE:
                self._mixed.popitem(last=False)
        return style

    def _plain_style(self, name: str) -> NDArray[np.float32]:
        """The style vectors of a voice that has its own (pinned or from a file)."""
        if name in self._own:
            return self._own[name].style
        with self._lock:
            if self._pinned_styles is None:
                raise EngineUnavailable("Kokoro's voices are not loaded")
            return np.asarray(self._pinned_styles[name], dtype=np.float32)
