"""The engine registry: one entry per engine module; heavy imports stay inside each module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import Config
from .base import Engine


def _kokoro(config: Config) -> Engine:
    from .. import models
    from .kokoro import KokoroEngine

    data_dirs = [Path(path) for path in config.models.data_dirs]
    return KokoroEngine(
        config.kokoro,
        voice_names=models.KOKORO_VOICES,
        locate_files=lambda: models.ensure_kokoro(data_dirs, config.download_dir),
    )


ENGINES: dict[str, tuple[Callable[[Config], bool], Callable[[Config], Engine]]] = {
    "kokoro": (lambda config: config.kokoro.enabled, _kokoro),
}
"""name -> (is it enabled in this configuration, build it)."""


def build_engines(config: Config) -> list[Engine]:
    """The engines the configuration enables, not yet loaded."""
    return [build(config) for enabled, build in ENGINES.values() if enabled(config)]
