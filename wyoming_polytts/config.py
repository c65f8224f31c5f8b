"""The server's configuration: frozen dataclasses loaded from config.yaml, then the command line."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .csm_settings import CsmSettings
from .routing_settings import (
    ContextSettings,
    HomeAssistantSettings,
    RemoteSettings,
    RoutingSettings,
    SatelliteProfile,
    no_profiles,
    no_remotes,
)
from .settings import ConfigError, bounded, build
from .text.settings import TextSettings

DEFAULT_DATA_DIR = (
    Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "wyoming-polytts"
)
"""Where models live when no --data-dir is given; `./scripts/run` fetches them there."""


@dataclass(frozen=True)
class ServerSettings:
    uri: str = "tcp://0.0.0.0:10200"
    zeroconf: str | None = None
    """Advertise over zeroconf under this name (tcp URIs only); None turns it off."""
    max_frame_bytes: int = bounded(1 << 20, 1024, 1 << 30)
    """Largest header line, data block or payload a client may send."""
    max_text_chars: int = bounded(20_000, 1, 1_000_000)
    chunk_ms: int = bounded(100, 10, 1000)
    """Duration of each audio-chunk sent to Home Assistant."""
    max_replies: int = bounded(16, 1, 1000)
    """Replies in progress per engine; one more gets a "busy" error instead of an endless queue."""


@dataclass(frozen=True)
class ModelSettings:
    data_dirs: tuple[str, ...] = (str(DEFAULT_DATA_DIR),)
    download_dir: str | None = None
    """Where missing models are fetched to; the first data dir when unset."""


@dataclass(frozen=True)
class KokoroSettings:
    enabled: bool = True
    workers: int = bounded(1, 1, 32)
    """Parallel onnxruntime sessions. One session on all cores speaks first soonest and uses
    least memory; two single-threaded ones share 2 cores more fairly between rooms (README)."""
    threads_per_worker: int = bounded(0, 0, 64)
    """onnxruntime intra-op threads per session; 0 means one per physical core."""


@dataclass(frozen=True)
class CacheSettings:
    max_mb: int = bounded(64, 0, 65536)
    """Audio of recent phrases kept for instant repeats; 0 turns the cache off."""


@dataclass(frozen=True)
class VoiceDefaults:
    voice: str = "af_heart"
    speed: float = bounded(1.0, 0.5, 2.0)


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
    context: ContextSettings = field(default_factory=ContextSettings)
    home_assistant: HomeAssistantSettings = field(default_factory=HomeAssistantSettings)
    remotes: Mapping[str, RemoteSettings] = field(default_factory=no_remotes)
    debug: bool = False

    @property
    def download_dir(self) -> Path:
        return Path(self.models.download_dir or self.models.data_dirs[0])


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
