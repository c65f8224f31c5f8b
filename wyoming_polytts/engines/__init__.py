"""The engine registry: one entry per engine module; heavy imports stay inside each module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import Config
from ..settings import ConfigError
from .base import Engine, EngineVoice


def _kokoro(config: Config) -> Engine:
    from .. import models
    from .kokoro import KokoroEngine

    data_dirs = [Path(path) for path in config.models.data_dirs]
    return KokoroEngine(
        config.kokoro,
        voice_names=models.KOKORO_VOICES,
        locate_files=lambda: models.ensure_kokoro(data_dirs, config.download_dir),
    )


def _csm_enabled(config: Config) -> bool:
    from .csm import csm_wanted

    return csm_wanted(config.csm)


def _csm(config: Config) -> Engine:
    from .csm import CsmEngine

    return CsmEngine(config.csm, data_dirs=[Path(path) for path in config.models.data_dirs])


ENGINES: dict[str, tuple[Callable[[Config], bool], Callable[[Config], Engine]]] = {
    "kokoro": (lambda config: config.kokoro.enabled, _kokoro),
    "csm": (_csm_enabled, _csm),
}
"""name -> (is it enabled in this configuration, build it)."""


def _remotes(config: Config) -> list[Engine]:
    from .wyoming_remote import WyomingRemoteEngine

    for name in config.remotes:
        if name in ENGINES:
            raise ConfigError(f"config key 'remotes.{name}': {name} is the name of an engine")
    return [WyomingRemoteEngine(name, settings) for name, settings in config.remotes.items()]


def build_engines(config: Config) -> list[Engine]:
    """The engines the configuration enables (and one per remote server), not yet loaded."""
    enabled_engines = [build(config) for enabled, build in ENGINES.values() if enabled(config)]
    return enabled_engines + _remotes(config)


def dormant_voices(config: Config) -> tuple[EngineVoice, ...]:
    """Voices of the engines the configuration leaves off (engines are cheap until loaded):
    a request for one, e.g. a satellite profile written for a GPU machine, falls back."""
    return tuple(
        voice
        for enabled, build in ENGINES.values()
        if not enabled(config)
        for voice in build(config).voices()
    )
