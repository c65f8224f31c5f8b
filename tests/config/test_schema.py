"""Configuration: YAML into frozen dataclasses, command line over the file, clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from wyoming_polytts.__main__ import configure, parse_args
from wyoming_polytts.config import Config, load_config
from wyoming_polytts.schema import ConfigError, bounded, build, choice


@dataclasses.dataclass(frozen=True)
class Inner:
    mode: str = choice("fast", "fast", "slow")
    ratio: float = bounded(1.0, 0.5, 2.0)


@dataclasses.dataclass(frozen=True)
class Outer:
    count: int = bounded(2, 1, 8)
    name: str | None = None
    tags: tuple[str, ...] = ()
    inner: Inner = dataclasses.field(default_factory=Inner)
    profiles: dict[str, Inner] = dataclasses.field(default_factory=dict)
    flag: bool = False


def test_builds_nested_values() -> None:
    outer = build(
        Outer,
        {
            "count": 3,
            "tags": ["a", "b"],
            "inner": {"mode": "slow", "ratio": 2},
            "profiles": {"kitchen": {"ratio": 0.75}},
            "flag": True,
        },
    )
    assert outer.count == 3 and outer.tags == ("a", "b") and outer.flag
    assert outer.inner == Inner("slow", 2.0)
    assert outer.profiles["kitchen"] == Inner("fast", 0.75)
    with pytest.raises(dataclasses.FrozenInstanceError):
        outer.count = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": 9}, "config key 'count': got 9, expected a value between 1 and 8"),
        ({"count": "two"}, "config key 'count': expected an integer between 1 and 8"),
        ({"count": True}, "expected an integer"),
        ({"inner": {"mode": "warp"}}, "config key 'inner.mode': got 'warp', allowed: fast, slow"),
        ({"inner": {"ratio": 0.1}}, "'inner.ratio': got 0.1"),
        ({"profiles": {"office": {"speed": 1}}}, "'profiles.office': unknown key(s) speed"),
        ({"tags": "a"}, "config key 'tags': expected a list"),
        ({"flag": "yes"}, "expected true or false"),
        ({"colour": 1}, "unknown key(s) colour; allowed: count, name"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_invalid_values_name_the_key(data: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build(Outer, data)
    assert message in str(caught.value)


def test_config_file_and_command_line_override(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "server:\n  uri: tcp://127.0.0.1:10300\n  chunk_ms: 50\n"
        "defaults:\n  voice: bf_emma\n  speed: 1.2\n"
    )
    config = configure(parse_args(["--config", str(path), "--speed", "0.9", "--debug"]))
    assert config.server.uri == "tcp://127.0.0.1:10300"
    assert config.server.chunk_ms == 50
    assert config.defaults == dataclasses.replace(config.defaults, voice="bf_emma", speed=0.9)
    assert config.debug


def test_command_line_values_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"'defaults.speed': got 5.0"):
        configure(parse_args(["--speed", "5"]))


def test_broken_yaml_and_missing_file_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("server: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_no_file_means_defaults() -> None:
    assert load_config(None) == Config()
    assert Config().server.uri == "tcp://0.0.0.0:10200"
