"""Start-up catches mistakes: every voice the configuration names is checked, with a hint."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engines.remote.test_engine import remote_csm, remote_engine
from wyoming_polytts.app import build_parts
from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import EngineVoice
from wyoming_polytts.schema import ConfigError, build
from wyoming_polytts.startup_checks import check_configuration, named_voices
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake
from wyoming_polytts.testing.launcher import free_port

REPO = Path(__file__).resolve().parents[1]


def config_with(data: dict) -> Config:
    return build(Config, data)


def check(data: dict, *engines: FakeEngine, labels: dict[str, str] | None = None) -> None:
    config = config_with(data)
    check_configuration(
        config, build_parts(config, engines or [loaded_fake()]).voices, labels or {}
    )


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"defaults": {"voice": "af_hert"}}, "defaults.voice"),
        ({"routing": {"fallback_voice": "af_hert"}}, "routing.fallback_voice"),
        ({"routing": {"conversational_voice": "af_hert"}}, "routing.conversational_voice"),
        ({"satellites": {"kitchen": {"voice": "af_hert"}}}, "satellites.kitchen.voice"),
        (
            {"satellites": {"kitchen": {"conversational_voice": "af_hert"}}},
            "satellites.kitchen.conversational_voice",
        ),
    ],
)
def test_a_misspelt_voice_stops_start_up_naming_key_value_and_the_closest(
    data: dict, key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        check(data)
    assert (
        str(caught.value) == f"config key '{key}': unknown voice 'af_hert'; did you mean af_heart?"
    )


def test_a_flag_is_named_as_the_user_typed_it() -> None:
    with pytest.raises(ConfigError, match=r"^command-line flag '--voice': unknown voice 'bf_ema';"):
        check(
            {"defaults": {"voice": "bf_ema"}},
            labels={"defaults.voice": "command-line flag '--voice'"},
        )


def test_far_from_any_voice_lists_some() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown voice 'zz_top'; known: af_heart, bf_emma, csm_0"
    ):
        check({"defaults": {"voice": "zz_top"}})


def test_valid_names_pass() -> None:
    """Offered voices, a profile as the default voice, voices of an engine that is off here
    (CSM without a GPU: they fall back) and names an engine understands beyond its list."""

    class Blending(FakeEngine):
        def find_voice(self, name: str) -> EngineVoice | None:
            parts = name.split("+")
            return (
                self.voices()[0] if len(parts) > 1 and all(map(super().find_voice, parts)) else None
            )

    engine = Blending()
    engine.loaded.set()
    check(
        {
            "defaults": {"voice": "kitchen"},
            "routing": {"fallback_voice": "bf_emma", "conversational_voice": "csm_0"},
            "satellites": {
                "kitchen": {"voice": "af_heart+bf_emma", "conversational_voice": "csm_1"},
                "bedroom": {},
            },
        },
        engine,
    )
    with pytest.raises(ConfigError, match="unknown voice 'af_heart"):
        check({"defaults": {"voice": "af_heart+bf_emm"}}, engine)


def test_named_voices_cover_every_key_that_names_a_voice() -> None:
    keys = {named.key for named in named_voices(config_with(EVERY_VOICE_KEY))}
    assert keys == {
        "defaults.voice",
        "routing.fallback_voice",
        "routing.conversational_voice",
        "satellites.kitchen.voice",
        "satellites.kitchen.conversational_voice",
    }


EVERY_VOICE_KEY = {
    "defaults": {"voice": "af_heart"},
    "routing": {"fallback_voice": "af_heart", "conversational_voice": "csm_0"},
    "satellites": {"kitchen": {"voice": "af_heart", "conversational_voice": "csm_0"}},
}


async def test_a_remotes_voices_are_checked_once_it_answers(
    serve, caplog: pytest.LogCaptureFixture
) -> None:
    """Its voices are unknown until its Info arrives: start-up goes on, and then it is told."""
    caplog.set_level(logging.INFO)
    port = free_port()
    gpu = remote_engine(port)  # no voices listed: all the remote offers
    config = config_with(
        {
            "routing": {"conversational_voice": "gpu.csm_0"},
            "satellites": {"office": {"conversational_voice": "gpu.csm_9"}},
        }
    )
    check_configuration(config, build_parts(config, [gpu, loaded_fake()]).voices)
    waiting = [r.getMessage() for r in caplog.records if "checked once gpu" in r.getMessage()]
    assert len(waiting) == 2
    await asyncio.to_thread(gpu.refresh)  # unreachable: nothing to tell yet
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    async with serve([remote_csm()], port=port):
        await asyncio.to_thread(gpu.refresh)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "config key 'satellites.office.conversational_voice': unknown voice 'gpu.csm_9', now "
        "that gpu told its voices; did you mean gpu.csm_0 or gpu.csm_1? (replies that need it "
        "use the fallback voice)"
    ]


async def test_a_listed_remote_voice_it_lacks_is_reported(
    serve, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve([remote_csm()]) as remote:
        gpu = remote_engine(remote.port, voices=("csm_0", "cms_1"))
        await asyncio.to_thread(gpu.refresh)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        f"config key 'remotes.gpu.voices': tcp://127.0.0.1:{remote.port} offers no voice "
        "'cms_1'; did you mean csm_1?"
    ]
    assert [voice.name for voice in gpu.voices()] == ["gpu.csm_0"]


@pytest.mark.parametrize(
    ("data", "level", "message"),
    [
        (
            {
                "routing": {"quality": "conversational"},
                "satellites": {"office": {"quality": "conversational"}},
            },
            logging.WARNING,
            "config key 'routing.quality', config key 'satellites.office.quality': conversational "
            "quality cannot be served: no conversational engine runs here (off: csm); "
            "replies use kokoro",
        ),
        (
            {},
            logging.INFO,
            "Quality auto: no conversational engine runs here (off: csm), so replies use kokoro",
        ),
    ],
)
def test_a_quality_mode_nothing_here_can_serve_is_reported_once(
    data: dict, level: int, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="wyoming_polytts.startup_checks")
    check(data)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(level, message)]


def test_a_conversational_engine_serves_every_quality(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wyoming_polytts.startup_checks")
    check({"routing": {"quality": "conversational"}}, loaded_fake(), remote_csm())
    assert caplog.records == []


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (
            ["--voice", "af_hert"],
            "",
            "wyoming-polytts: command-line flag '--voice': unknown voice 'af_hert'; "
            "did you mean af_heart?",
        ),
        (
            [],
            "satellites:\n  kitchen:\n    voice: bm_goerge\n",
            "wyoming-polytts: config key 'satellites.kitchen.voice': unknown voice "
            "'bm_goerge'; did you mean bm_george?",
        ),
    ],
)
def test_the_server_refuses_to_start(
    tmp_path: Path, args: list[str], config: str, message: str
) -> None:
    """Before it loads or serves anything: the port stays free."""
    (tmp_path / "config.yaml").write_text(config)
    port = free_port()
    command = ["--config", str(tmp_path / "config.yaml"), "--uri", f"tcp://127.0.0.1:{port}"]
    result = subprocess.run(
        [sys.executable, "-m", "wyoming_polytts", *command, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert (result.returncode, result.stderr.strip()) == (1, message)


def test_a_voice_of_an_engine_that_does_not_run_here_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The add-on has no CSM of its own: csm_0 would only ever fall back, while a remote's
    CSM voice of the same name runs."""
    remote = loaded_fake(name="gpu_box", voice_names=("gpu_box.csm_0", "gpu_box.csm_1"))
    data = {"csm": {"enabled": False}, "routing": {"conversational_voice": "csm_0"}}
    check(data, loaded_fake(), remote, labels={"routing.conversational_voice": "option 'x'"})
    assert (
        "option 'x': voice 'csm_0' is csm's, which does not run here: its replies use the "
        "fallback voice; a voice that runs: gpu_box.csm_0"
    ) in caplog.text
    caplog.clear()
    check({"routing": {"conversational_voice": "gpu_box.csm_0"}}, loaded_fake(), remote)
    assert "does not run here" not in caplog.text


def test_a_data_dir_that_does_not_exist_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = {"models": {"data_dirs": [str(tmp_path / "typo"), str(tmp_path)]}}
    check({**data, "models": {**data["models"], "download_dir": str(tmp_path / "fetched")}})
    assert f"Data dir {tmp_path / 'typo'} (models.data_dirs, --data-dir) is not a folder" in (
        caplog.text
    )
    assert f"Data dir {tmp_path} " not in caplog.text


@pytest.mark.parametrize(
    ("language", "hint"),
    [("english", "known: en-GB, en-US"), ("en-gb", "did you mean en-GB or en-US?")],
)
def test_a_profile_language_no_voice_speaks_stops_start_up(language: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check({"satellites": {"kitchen": {"language": language}}})
    assert str(caught.value) == (
        f"config key 'satellites.kitchen.language': no voice here speaks {language!r}; {hint}"
    )


def test_a_profile_language_its_voice_does_not_speak_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    check({"satellites": {"kitchen": {"voice": "af_heart", "language": "en-GB"}}})
    assert (
        "config key 'satellites.kitchen.language': 'en-GB', but its voice af_heart speaks en-US"
    ) in caplog.text
    caplog.clear()
    check({"satellites": {"kitchen": {"voice": "bf_emma", "language": "en-GB"}}})
    assert "but its voice" not in caplog.text
