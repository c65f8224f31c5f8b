"""The `csm:` section of config.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from wyoming_polytts.config import Config, load_config
from wyoming_polytts.engines.csm.settings import CsmSettings, CsmVoiceSettings
from wyoming_polytts.schema import ConfigError, build


def test_defaults_offer_two_speakers_and_decide_by_the_hardware() -> None:
    settings = Config().csm
    assert settings.enabled is None
    assert (settings.model, settings.device, settings.dtype) == ("sesame/csm-1b", "auto", "auto")
    assert dict(settings.voices) == {"csm_0": CsmVoiceSettings(0), "csm_1": CsmVoiceSettings(1)}
    assert (settings.max_batch, settings.cuda_graphs) == (8, True)


def test_a_cloned_voice_from_config_yaml(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "csm:\n"
        "  enabled: true\n"
        "  first_chunk_frames: 2\n"
        "  voices:\n"
        "    anna:\n"
        "      speaker: 3\n"
        "      reference_wav: voices/anna.wav\n"
        "      reference_text: Hi, I am Anna.\n",
        encoding="utf-8",
    )
    settings = load_config(path).csm
    assert settings.enabled is True
    assert settings.first_chunk_frames == 2
    assert dict(settings.voices) == {
        "anna": CsmVoiceSettings(3, "voices/anna.wav", "Hi, I am Anna."),
    }


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"device": "tpu"}, "'csm.device': got 'tpu', allowed: auto, cuda, cpu"),
        ({"chunk_frames": 0}, "'csm.chunk_frames'"),
        ({"voices": {}}, "'csm.voices': needs at least one voice"),
        ({"voices": {"a": {"reference_wav": "a.wav"}}}, "'csm.voices.a': reference_wav and"),
        ({"voices": {"a": {"reference_text": "Hi."}}}, "'csm.voices.a': reference_wav and"),
        ({"voices": {"a": {"speaker": "zero"}}}, "'csm.voices.a.speaker'"),
        ({"temperature": -1}, "'csm.temperature'"),
        ({"stream": True}, "'csm': unknown key"),
        ({"max_conversations": 32}, "'csm.max_conversations' was removed: CSM reads the"),
        ({"workers": 1}, "'csm.workers' was removed: CSM's replies share one batched"),
        ({"compile": False}, "'csm.compile' was removed: CSM runs its own frame loop"),
        ({"max_batch": 9}, "'csm.max_batch': got 9, expected a value between 1 and 8"),
        ({"cuda_graphs": "yes"}, "'csm.cuda_graphs': expected true or false"),
    ],
)
def test_bad_values_name_their_key(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        build(Config, {"csm": section})


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        CsmSettings().device = "cpu"  # type: ignore[misc]
