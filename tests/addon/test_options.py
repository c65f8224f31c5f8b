"""The add-on's options: accepted by the Supervisor's schema, mapped to the server's Config,
validated like config.yaml and checked at start-up like the command line."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
import yaml

from tests.addon.supervisor_options import InvalidOption, validate
from wyoming_polytts.addon import (
    ADDON_URI,
    INGRESS_PORT,
    AddonPaths,
    addon_config,
    main,
    option_labels,
)
from wyoming_polytts.engines.kokoro.pins import VOICE_SHA256

REPO = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((REPO / "addon" / "config.yaml").read_text())
SCHEMA = MANIFEST["schema"]


def defaults() -> dict:
    return MANIFEST["options"]


def paths_with(tmp_path: Path, options: dict) -> AddonPaths:
    """The options as the Supervisor writes them, once its schema accepted them."""
    validate(SCHEMA, options)
    (tmp_path / "options.json").write_text(json.dumps(options))
    return AddonPaths(tmp_path / "options.json", tmp_path / "data", tmp_path / "share")


def test_the_add_on_defaults_give_a_valid_config(tmp_path: Path) -> None:
    paths = paths_with(tmp_path, defaults())
    config = addon_config(paths)
    assert config.server.uri == ADDON_URI
    assert config.models.data_dirs == (str(paths.data), str(paths.share))
    assert config.download_dir == paths.data
    assert (config.defaults.voice, config.defaults.speed) == ("af_heart", 1.0)
    assert config.cache.max_mb == 16
    assert (config.routing.quality, config.routing.conversational_voice) == ("auto", None)
    assert dict(config.satellites) == {}
    assert dict(config.kokoro.blends) == {}
    assert dict(config.remotes) == {}
    assert not config.home_assistant.enabled
    assert config.context.persist
    assert not config.debug
    # The page, for the Supervisor's ingress proxy only
    assert config.web.address == ("0.0.0.0", INGRESS_PORT)
    assert [str(network) for network in config.web.networks] == ["172.30.32.2/32"]
    assert config.web.api_key is None


@pytest.mark.parametrize(
    ("backup_history", "kept_at"), [(False, "history/context.npz"), (True, "context.npz")]
)
def test_history_is_left_out_of_backups_unless_asked(
    tmp_path: Path, backup_history: bool, kept_at: str
) -> None:
    """What people said stays out of Home Assistant's backups unless the user opts in."""
    config = addon_config(paths_with(tmp_path, {**defaults(), "backup_history": backup_history}))
    assert config.context.file == kept_at
    excluded = MANIFEST["backup_exclude"]
    assert any(fnmatch.fnmatch(kept_at, pattern) for pattern in excluded) != backup_history


def test_the_default_voice_choices_are_the_pinned_kokoro_voices() -> None:
    choices = SCHEMA["voice"].removeprefix("list(").removesuffix(")").split("|")
    assert choices == list(VOICE_SHA256)


def test_every_option_is_mapped(tmp_path: Path) -> None:
    options = {
        **defaults(),
        "voice": "bf_emma",
        "speed": 1.25,
        "log_level": "debug",
        "quality": "fast",
        "conversational_voice": "gpu_box.csm_0",
        "satellites": [
            {
                "name": "kitchen",
                "voice": "af_heart",
                "conversational_voice": "gpu_box.csm_1",
                "speed": 1.1,
                "quality": "conversational",
                "language": "en-GB",
                "satellite_ids": ["assist_satellite.kitchen"],
            },
            {"name": "bedroom", "voice": "bf_emma", "satellite_ids": []},
            {"name": "hall"},
        ],
        "remotes": [
            {
                "name": "gpu_box",
                "uri": "tcp://gpu-box.local:10200",
                "voices": ["csm_0", "csm_1"],
                "conversational": True,
                "home": "smith",
            },
            {"name": "piper", "uri": "tcp://192.168.1.20:10200"},
        ],
        "blends": [{"name": "warm", "voices": "af_heart(2)+bf_emma"}],
        "satellite_side_channel": True,
        "api_key": "sesame",
    }
    config = addon_config(paths_with(tmp_path, options))
    assert config.web.api_key == "sesame"
    assert [str(network) for network in config.web.networks] == ["172.30.32.2/32"]
    assert (config.defaults.voice, config.defaults.speed, config.debug) == ("bf_emma", 1.25, True)
    assert (config.routing.quality, config.routing.conversational_voice) == (
        "fast",
        "gpu_box.csm_0",
    )
    kitchen = config.satellites["kitchen"]
    assert (kitchen.voice, kitchen.conversational_voice) == ("af_heart", "gpu_box.csm_1")
    assert (kitchen.speed, kitchen.quality, kitchen.language) == (1.1, "conversational", "en-GB")
    assert kitchen.satellite_ids == ("assist_satellite.kitchen",)
    assert (config.satellites["bedroom"].voice, config.satellites["bedroom"].speed) == (
        "bf_emma",
        None,
    )
    assert config.satellites["hall"].voice is None
    gpu = config.remotes["gpu_box"]
    assert (gpu.uri, gpu.voices, gpu.conversational, gpu.home) == (
        "tcp://gpu-box.local:10200",
        ("csm_0", "csm_1"),
        True,
        "smith",
    )
    assert (config.remotes["piper"].voices, config.remotes["piper"].conversational) == ((), False)
    assert dict(config.kokoro.blends) == {"warm": "af_heart(2)+bf_emma"}
    assert config.home_assistant.enabled


@pytest.mark.parametrize(
    "change",
    [
        {"voice": "af_hert"},  # a list: the Configuration tab offers the voices
        {"quality": "best"},
        {"speed": 3},
        {"satellites": [{"name": "Kitchen Speaker"}]},
        {"remotes": [{"name": "gpu", "uri": "http://gpu:10200"}]},
        {"remotes": [{"name": "gpu"}]},
    ],
)
def test_the_supervisor_refuses_what_its_schema_can_tell(change: dict) -> None:
    with pytest.raises(InvalidOption):
        validate(SCHEMA, {**defaults(), **change})


OPTION = "wyoming-polytts: add-on option "
"""How a start-up check names an add-on option."""
OFFICE = {"name": "office"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"conversational_voice": "gpu_box.cms_0"},
            OPTION + "'conversational_voice': unknown voice 'gpu_box.cms_0'; known: ",
        ),
        (
            # Free text: a profile may speak with a blend or a remote's voice
            {"satellites": [OFFICE | {"voice": "af_hert"}]},
            OPTION + "'voice' of satellite 'office': unknown voice 'af_hert'; did you mean "
            "af_heart?",
        ),
        (
            {"satellites": [OFFICE | {"conversational_voice": "csm_3"}]},
            OPTION + "'conversational_voice' of satellite 'office': unknown voice 'csm_3'; "
            "did you mean csm_0 or csm_1?",
        ),
        (
            {"cache_mb": -5},
            "add-on options: config key 'cache.max_mb': got -5, expected a value between 0 and",
        ),
        (
            {"satellites": [OFFICE, OFFICE]},
            "add-on options: add-on option 'satellites': two are named 'office'",
        ),
        (
            {"blends": [{"name": "warm", "voices": "af_heart+af_nobody"}]},
            OPTION + "'blends' ('warm'): voice 'af_heart+af_nobody': af_nobody is not a "
            "Kokoro voice",
        ),
        (
            {"satellites": [OFFICE | {"language": "english"}]},
            OPTION + "'language' of satellite 'office': no voice here speaks 'english'",
        ),
    ],
)
def test_a_bad_option_stops_the_add_on_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict, message: str
) -> None:
    (tmp_path / "options.json").write_text(json.dumps({**defaults(), **change}))
    monkeypatch.setenv("POLYTTS_OPTIONS", str(tmp_path / "options.json"))
    monkeypatch.setenv("POLYTTS_DATA", str(tmp_path / "data"))
    with pytest.raises(SystemExit) as stopped:
        main()
    assert str(stopped.value.code).startswith(message)


def test_labels_name_the_options_as_the_configuration_tab_does(tmp_path: Path) -> None:
    options = {
        **defaults(),
        "satellites": [{"name": "office"}],
        "blends": [{"name": "warm", "voices": "af_heart+bf_emma"}],
    }
    labels = option_labels(addon_config(paths_with(tmp_path, options)))
    assert labels == {
        "defaults.voice": "add-on option 'voice'",
        "routing.conversational_voice": "add-on option 'conversational_voice'",
        "routing.quality": "add-on option 'quality'",
        **{
            f"satellites.office.{key}": f"add-on option {key!r} of satellite 'office'"
            for key in ("voice", "conversational_voice", "quality", "language")
        },
        "kokoro.blends.warm": "add-on option 'blends' ('warm')",
    }


def test_paths_are_the_add_on_folders_unless_overridden() -> None:
    assert AddonPaths.from_environ({}) == AddonPaths()
    assert AddonPaths.from_environ({"POLYTTS_DATA": "/tmp/d"}).data == Path("/tmp/d")
