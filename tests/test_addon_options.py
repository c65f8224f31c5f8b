"""The add-on's options become a valid config.yaml for the server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from wyoming_polytts.addon_options import config_from_options, main
from wyoming_polytts.config import Config
from wyoming_polytts.settings import build

REPO = Path(__file__).resolve().parent.parent


def defaults() -> dict:
    return yaml.safe_load((REPO / "addon" / "config.yaml").read_text())["options"]


def test_the_add_on_defaults_give_a_valid_config() -> None:
    config = build(Config, config_from_options(defaults()))
    assert config.cache.max_mb == 64
    assert config.routing.quality == "auto"
    assert dict(config.satellites) == {}
    assert not config.home_assistant.enabled


def test_satellites_and_side_channel(tmp_path: Path) -> None:
    options = {
        **defaults(),
        "satellites": [
            {
                "name": "kitchen",
                "voice": "af_heart",
                "speed": 1.1,
                "satellite_ids": ["assist_satellite.kitchen"],
            },
            {"name": "bedroom", "voice": "bf_emma"},
        ],
        "satellite_side_channel": True,
        "quality": "fast",
    }
    (tmp_path / "options.json").write_text(json.dumps(options))
    main([str(tmp_path / "options.json"), str(tmp_path / "polytts.yaml")])
    config = build(Config, yaml.safe_load((tmp_path / "polytts.yaml").read_text()))
    assert config.satellites["kitchen"].speed == 1.1
    assert config.satellites["kitchen"].satellite_ids == ("assist_satellite.kitchen",)
    assert config.satellites["bedroom"].voice == "bf_emma"
    assert config.satellites["bedroom"].speed is None
    assert config.home_assistant.enabled
    assert config.routing.quality == "fast"


def test_a_bad_option_stops_the_add_on_naming_it(tmp_path: Path) -> None:
    options = {**defaults(), "cache_mb": -5}
    (tmp_path / "options.json").write_text(json.dumps(options))
    with pytest.raises(SystemExit, match=r"add-on options: config key 'cache\.max_mb'"):
        main([str(tmp_path / "options.json"), str(tmp_path / "polytts.yaml")])
    assert not (tmp_path / "polytts.yaml").exists()
