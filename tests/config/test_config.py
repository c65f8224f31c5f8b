"""The example config.yaml at the repository root is valid and shows three satellites."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from wyoming_polytts.app import engine_sections
from wyoming_polytts.config import Config, load_config
from wyoming_polytts.engines.csm.settings import CsmSettings
from wyoming_polytts.engines.registry import build_engines
from wyoming_polytts.schema import ConfigError, build

EXAMPLE = Path(__file__).parents[2] / "config.yaml"


def test_example_config_loads() -> None:
    config = load_config(EXAMPLE)
    assert set(config.satellites) == {"kitchen", "bedroom", "office"}
    assert config.satellites["kitchen"].conversational_voice == "csm_0"
    assert config.satellites["bedroom"].quality == "fast"
    assert config.routing.quality == "auto"
    assert not config.home_assistant.enabled


def test_example_config_states_the_defaults() -> None:
    """Apart from the satellites, every value it shows is the default."""
    config = load_config(EXAMPLE)
    defaults = Config()
    sections = ("routing", "replies", "context", "home_assistant", "remotes", "server", "cache")
    for section in (*sections, "web"):
        assert getattr(config, section) == getattr(defaults, section), section


def test_commented_remote_is_valid_when_enabled() -> None:
    lines = EXAMPLE.read_text().splitlines()
    start = lines.index("remotes: {}")
    remote = ["remotes:"] + [line[1:] for line in lines[start + 1 :] if line.startswith("#  ")]
    config = build(Config, yaml.safe_load("\n".join(remote)))
    assert config.remotes["gpu_box"].conversational
    assert config.remotes["gpu_box"].voices == ("csm_0", "csm_1")


@pytest.mark.parametrize(
    ("section", "value", "key"),
    [
        ("satellites", {"kitchen": {"quality": "best"}}, "satellites.kitchen.quality"),
        ("satellites", {"kitchen": {"speed": 3}}, "satellites.kitchen.speed"),
        ("routing", {"circuit": {"failures": 0}}, "routing.circuit.failures"),
        ("context", {"idle_timeout": "5m"}, "context.idle_timeout"),
        ("home_assistant", {"tokn": "x"}, "home_assistant"),
        ("remotes", {"gpu": {"uri": "http://gpu:10200"}}, "remotes"),
        ("remotes", {"gpu": {"voices": ["csm_0"]}}, "remotes.gpu.uri' is required"),
        ("kokoro", {"blends": {"warm": 3}}, "kokoro.blends.warm"),
        ("kokoro", {"blends": ["af_heart+bf_emma"]}, "kokoro.blends"),
        ("text", {"detect_ssml": "yes"}, "text.detect_ssml"),
        ("web", {"listen": "localhost"}, "web.listen"),
    ],
)
def test_invalid_values_name_their_key(tmp_path: Path, section, value, key) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({section: value}))
    with pytest.raises(ConfigError, match=re.escape(f"'{key}")):
        load_config(path)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("max_replies", "replies.max_per_engine"),
        ("read_ahead", "replies.read_ahead"),
        ("unhealthy_after", "replies.unhealthy_after"),
    ],
)
def test_a_moved_server_key_names_its_new_place(tmp_path: Path, old: str, new: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"server": {old: 5}}))
    with pytest.raises(
        ConfigError, match=rf"'server\.{old}' was removed: .* use {re.escape(new)}$"
    ):
        load_config(path)


def test_commented_blend_is_valid_when_enabled() -> None:
    lines = EXAMPLE.read_text().splitlines()
    start = lines.index("  blends: {}")
    blend = ["kokoro:", "  blends:", lines[start + 1].replace("#", " ", 1)]
    config = build(Config, yaml.safe_load("\n".join(blend)))
    assert dict(config.kokoro.blends) == {"warm": "af_heart(2)+bf_emma"}
    (kokoro,) = build_engines(
        engine_sections(dataclasses.replace(config, csm=CsmSettings(enabled=False)))
    )
    assert kokoro.find_voice("warm") is not None


def test_a_bare_port_for_the_web_side_needs_no_quotes(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("web:\n  listen: 8749\n")
    assert load_config(path).web.address == ("127.0.0.1", 8749)


def test_sections_are_frozen() -> None:
    config = load_config(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.routing.quality = "fast"  # type: ignore[misc]
