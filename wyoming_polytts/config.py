"""The server's configuration: the sections each part owns, from config.yaml and flags."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .engines.csm.settings import CsmSettings
from .engines.kokoro.settings import KokoroSettings
from .engines.remote.settings import RemoteSettings, no_remotes
from .reply.settings import CacheSettings, ReplySettings, RoutingSettings, VoiceDefaults
from .satellites.settings import (
    ContextSettings,
    HomeAssistantSettings,
    SatelliteProfile,
    no_profiles,
)
from .schema import ConfigError, build
from .server.settings import ServerSettings
from .storage import ModelSettings
from .text.settings import TextSettings
from .web.settings import WebSettings


@dataclass(frozen=True)
class Config:
    server: ServerSettings = field(default_factory=ServerSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    defaults: VoiceDefaults = field(default_factory=VoiceDefaults)
    kokoro: KokoroSettings = field(default_factory=KokoroSettings)
    csm: CsmSettings = field(default_factory=CsmSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    text: TextSettings = field(default_factory=TextSettings)
    satellites: Mapping[str, SatelliteProfile] = field(default_factory=no_profiles)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    replies: ReplySettings = field(default_factory=ReplySettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    home_assistant: HomeAssistantSettings = field(default_factory=HomeAssistantSettings)
    remotes: Mapping[str, RemoteSettings] = field(default_factory=no_remotes)
    web: WebSettings = field(default_factory=WebSettings)
    debug: bool = False

    @property
    def download_dir(self) -> Path:
        return self.models.download_path


def load_config(path: Path | None) -> Config:
    """Read config.yaml (or use defaults when `path` is None)."""
    if path is None:
        return Config()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read configuration file {path}: {err}") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"configuration file {path} is not valid YAML: {err}") from err
    return build(Config, data)


def with_overrides(config: Config, overrides: dict[str, Any]) -> Config:
    """Apply dotted-key overrides (`{"server.uri": ...}`) from the command line, validated."""
    sections: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        section, _, name = key.partition(".")
        if name:
            sections.setdefault(section, {})[name] = value
        else:
            top[key] = value
    for section, values in sections.items():
        current = getattr(config, section)
        merged = {**dataclasses.asdict(current), **values}
        top[section] = build(type(current), merged, section)
    return dataclasses.replace(config, **top)
