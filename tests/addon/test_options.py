"""The add-on's options become the server's Config, validated like config.yaml."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
import yaml

from wyoming_polytts.addon import ADDON_URI, INGRESS_PORT, AddonPaths, addon_config, main

REPO = Path(__file__).resolve().parents[2]


def defaults() -> dict:
    return yaml.safe_load((REPO / "addon" / "config.yaml").read_text())["options"]


def paths_with(tmp_path: Path, options: dict) -> AddonPaths:
    (tmp_path / "options.json").write_text(json.dumps(options))
    return AddonPaths(tmp_path / "options.json", tmp_path / "data", tmp_path / "share")


def test_the_add_on_defaults_give_a_valid_config(tmp_path: Path) -> None:
    paths = paths_with(tmp_path, defaults())
    config = addon_config(paths)
    assert config.server.uri == ADDON_URI
    assert config.models.data_dirs == (str(paths.data), str(paths.share))
    assert config.download_dir == paths.data
    assert (config.defaults.voice, config.defaults.speed) == ("af_heart", 1.0)
    assert config.cache.max_mb == 64
    assert config.routing.quality == "auto"
    assert dict(config.satellites) == {}
    assert dict(config.kokoro.blends) == {}
    assert not config.home_assistant.enabled
    assert config.context.persist
    assert not config.debug
    # The page, for the Supervisor's ingress proxy only
    assert config.web.address == ("0.0.0.0", INGRESS_PORT)
    assert [str(network) for network in config.web.networks] == ["172.30.32.2/32"]


@pytest.mark.parametrize(
    ("backup_history", "kept_at"), [(False, "history/context.npz"), (True, "context.npz")]
)
def test_history_is_left_out_of_backups_unless_asked(
    tmp_path: Path, backup_history: bool, kept_at: str
) -> None:
    """What people said stays out of Home Assistant's backups unless the user opts in."""
    config = addon_config(paths_with(tmp_path, {**defaults(), "backup_history": backup_history}))
    assert config.context.file == kept_at
    excluded = yaml.safe_load((REPO / "addon" / "config.yaml").read_text())["backup_exclude"]
    assert any(fnmatch.fnmatch(kept_at, pattern) for pattern in excluded) != backup_history


def test_satellites_side_channel_voice_and_log_level(tmp_path: Path) -> None:
    options = {
        **defaults(),
        "voice": "bf_emma",
        "speed": 1.25,
        "log_level": "debug",
        "satellites": [
            {
                "name": "kitchen",
                "voice": "af_heart",
                "speed": 1.1,
                "satellite_ids": ["assist_satellite.kitchen"],
            },
            {"name": "bedroom", "voice": "bf_emma"},
        ],
        "blends": [{"name": "warm", "voices": "af_heart(2)+bf_emma"}],
        "satellite_side_channel": True,
        "quality": "fast",
    }
    config = addon_config(paths_with(tmp_path, options))
    assert (config.defaults.voice, config.defaults.speed, config.debug) == ("bf_emma", 1.25, True)
    assert config.satellites["kitchen"].speed == 1.1
    assert config.satellites["kitchen"].satellite_ids == ("assist_satellite.kitchen",)
    assert config.satellites["bedroom"].voice == "bf_emma"
    assert dict(config.kokoro.blends) == {"warm": "af_heart(2)+bf_emma"}
    assert config.satellites["bedroom"].speed is None
    assert config.home_assistant.enabled
    assert config.routing.quality == "fast"


def test_a_bad_option_stops_the_add_on_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths_with(tmp_path, {**defaults(), "cache_mb": -5})
    monkeypatch.setenv("POLYTTS_OPTIONS", str(tmp_path / "options.json"))
    with pytest.raises(SystemExit, match=r"add-on options: config key 'cache\.max_mb'"):
        main()


def test_paths_are_the_add_on_folders_unless_overridden() -> None:
    assert AddonPaths.from_environ({}) == AddonPaths()
    assert AddonPaths.from_environ({"POLYTTS_DATA": "/tmp/d"}).data == Path("/tmp/d")
