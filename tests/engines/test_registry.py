"""The engine registry: remote servers as engines, voices of engines that are off."""

from __future__ import annotations

import types

import pytest

from wyoming_polytts.app import engine_sections
from wyoming_polytts.config import Config
from wyoming_polytts.engines.kokoro.settings import KokoroSettings
from wyoming_polytts.engines.registry import build_engines, dormant_voices
from wyoming_polytts.engines.remote.engine import WyomingRemoteEngine
from wyoming_polytts.engines.remote.settings import RemoteSettings
from wyoming_polytts.schema import ConfigError


def remotes(**named: RemoteSettings) -> types.MappingProxyType:
    return types.MappingProxyType(named)


def test_each_remote_is_an_engine_of_its_name() -> None:
    config = Config(
        kokoro=KokoroSettings(enabled=False),
        remotes=remotes(gpu_box=RemoteSettings(uri="tcp://gpu-box:10200", conversational=True)),
    )
    remote_engines = [
        e for e in build_engines(engine_sections(config)) if isinstance(e, WyomingRemoteEngine)
    ]
    assert [(e.name, e.cacheable) for e in remote_engines] == [("gpu_box", False)]


def test_a_remote_may_not_take_an_engine_name() -> None:
    config = Config(remotes=remotes(kokoro=RemoteSettings(uri="tcp://gpu-box:10200")))
    with pytest.raises(ConfigError, match=r"'remotes\.kokoro'"):
        build_engines(engine_sections(config))


def test_voices_of_an_engine_that_is_off_are_known() -> None:
    off = dormant_voices(engine_sections(Config(kokoro=KokoroSettings(enabled=False))))
    assert {"af_heart", "bm_george"} <= {voice.name for voice in off}
    assert {voice.engine for voice in off if voice.name == "af_heart"} == {"kokoro"}
    assert "af_heart" not in {voice.name for voice in dormant_voices(engine_sections(Config()))}
