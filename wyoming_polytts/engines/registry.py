"""The engines a configuration runs: one entry per engine; heavy imports stay inside each."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Config
from ..schema import ConfigError
from .base import Engine, EngineVoice


def _kokoro(config: Config) -> Engine:
    from .kokoro.engine import VOICE_NAMES, KokoroEngine
    from .kokoro.files import default_sources, ensure_kokoro
    from .kokoro.own_voices import find_own_voices

    sources = default_sources(release_url=config.kokoro.release_url)
    return KokoroEngine(
        config.kokoro,
        locate_files=lambda cancel: ensure_kokoro(
            config.models.paths, config.download_dir, sources, cancel=cancel
        ),
        own_voices=find_own_voices(config.models.paths, taken=VOICE_NAMES),
    )


def _csm_enabled(config: Config) -> bool:
    from .csm.engine import csm_wanted

    return csm_wanted(config.csm)


def _csm(config: Config) -> Engine:
    from .csm.engine import CsmEngine

    return CsmEngine(config.csm, data_dirs=config.models.paths)


ENGINES: dict[str, tuple[Callable[[Config], bool], Callable[[Config], Engine]]] = {
    "kokoro": (lambda config: config.kokoro.enabled, _kokoro),
    "csm": (_csm_enabled, _csm),
}
"""name -> (is it enabled in this configuration, build it)."""


def _remotes(config: Config) -> list[Engine]:
    from .remote.engine import WyomingRemoteEngine

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
