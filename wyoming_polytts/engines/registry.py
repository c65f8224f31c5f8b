"""The engines a configuration runs: one entry per engine; heavy imports stay inside each."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..schema import ConfigError
from ..storage import ModelSettings
from .base import Engine, EngineVoice
from .csm.settings import CsmSettings
from .kokoro.settings import KokoroSettings
from .remote.settings import RemoteSettings

if TYPE_CHECKING:
    from .kokoro.files import KokoroFiles


@dataclass(frozen=True)
class EngineSections:
    """The configuration's sections the engines read."""

    kokoro: KokoroSettings
    csm: CsmSettings
    remotes: Mapping[str, RemoteSettings]
    models: ModelSettings


def _kokoro(sections: EngineSections) -> Engine:
    from .kokoro.derive import with_derived_graph
    from .kokoro.engine import VOICE_NAMES, KokoroEngine
    from .kokoro.files import default_sources, ensure_kokoro
    from .kokoro.own_voices import find_own_voices

    sources = default_sources(release_url=sections.kokoro.release_url)
    models = sections.models

    def locate_files(cancel: threading.Event) -> KokoroFiles:
        files = ensure_kokoro(models.paths, models.download_path, sources, cancel=cancel)
        return (
            with_derived_graph(files, models.download_path, search=models.paths)
            if sections.kokoro.derived_graph
            else files
        )

    return KokoroEngine(
        sections.kokoro,
        locate_files=locate_files,
        own_voices=find_own_voices(models.paths, taken=VOICE_NAMES),
    )


def _csm_enabled(sections: EngineSections) -> bool:
    from .csm.engine import csm_wanted

    return csm_wanted(sections.csm)


def _csm(sections: EngineSections) -> Engine:
    from .csm.engine import CsmEngine

    return CsmEngine(sections.csm, data_dirs=sections.models.paths)


ENGINES: dict[str, tuple[Callable[[EngineSections], bool], Callable[[EngineSections], Engine]]] = {
    "kokoro": (lambda sections: sections.kokoro.enabled, _kokoro),
    "csm": (_csm_enabled, _csm),
}
"""name -> (is it enabled in this configuration, build it)."""


def _remotes(sections: EngineSections) -> list[Engine]:
    from .remote.engine import WyomingRemoteEngine

    for name in sections.remotes:
        if name in ENGINES:
            raise ConfigError(f"sections key 'remotes.{name}': {name} is the name of an engine")
    return [WyomingRemoteEngine(name, settings) for name, settings in sections.remotes.items()]


def build_engines(sections: EngineSections) -> list[Engine]:
    """The engines the configuration enables (and one per remote server), not yet loaded."""
    enabled_engines = [build(sections) for enabled, build in ENGINES.values() if enabled(sections)]
    return enabled_engines + _remotes(sections)


def dormant_voices(sections: EngineSections) -> tuple[EngineVoice, ...]:
    """Voices of the engines the configuration leaves off (engines are cheap until loaded):
    a request for one, e.g. a satellite profile written for a GPU machine, falls back."""
    return tuple(
        voice
        for enabled, build in ENGINES.values()
        if not enabled(sections)
        for voice in build(sections).voices()
    )
