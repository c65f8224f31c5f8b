"""Kokoro's voices: pinned, your own and blends, listed, found, and spoken with mixed styles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wyoming_polytts.engines.errors import BadVoice, EngineUnavailable
from wyoming_polytts.engines.kokoro.engine import KokoroEngine
from wyoming_polytts.engines.kokoro.languages import VOICE_PREFIXES
from wyoming_polytts.engines.kokoro.own_voices import OwnVoice
from wyoming_polytts.engines.kokoro.settings import KokoroSettings
from wyoming_polytts.engines.kokoro.voices import BLEND_CACHE_SIZE, KokoroVoices
from wyoming_polytts.schema import ConfigError

PINNED = ("af_heart", "af_sky", "bf_emma")
STYLES = {name: np.full((510, 1, 256), i + 1, np.float32) for i, name in enumerate(PINNED)}
MINE = OwnVoice("mine", VOICE_PREFIXES["f"], np.full((510, 1, 256), 10, np.float32))


def catalogue(blends: dict[str, str] | None = None) -> KokoroVoices:
    return KokoroVoices("kokoro", PINNED, {"mine": MINE}, blends or {})


@pytest.fixture(name="pinned_file")
def pinned_file_fixture(tmp_path: Path) -> Path:
    path = tmp_path / "voices.npz"
    np.savez(path, **STYLES)
    return path


def test_listed_voices_are_pinned_own_and_named_blends() -> None:
    voices = catalogue({"warm": "mine(2)+af_heart"}).listed
    assert [(v.name, v.languages) for v in voices] == [
        ("af_heart", ("en-US",)),
        ("af_sky", ("en-US",)),
        ("bf_emma", ("en-GB",)),
        ("mine", ("fr",)),
        ("warm", ("fr",)),
    ]
    assert voices[3].description == "Own Kokoro voice mine (French)"
    assert voices[4].description == "Kokoro blend warm: 67% mine + 33% af_heart"
    assert {v.engine for v in voices} == {"kokoro"}


def test_any_blend_is_found_and_a_bad_one_is_refused() -> None:
    voices = catalogue()
    assert voices.find("af_sky") is not None and voices.find("af_nobody") is None
    blend = voices.find("bf_emma(1)+mine(3)")
    assert blend is not None and blend.name == "bf_emma(1)+mine(3)"
    assert blend.languages == ("en-GB",)  # its first voice's
    with pytest.raises(BadVoice, match="af_nobody is not a Kokoro voice"):
        voices.find("af_sky+af_nobody")


@pytest.mark.parametrize(
    ("blends", "message"),
    [
        (
            {"warm": "af_heart(2)+bf_nobody"},
            "config key 'kokoro.blends.warm': voice 'af_heart(2)+bf_nobody': "
            "bf_nobody is not a Kokoro voice",
        ),
        ({"warm": "af_heart(0)"}, "the weight of af_heart must be a positive number, got '0'"),
        ({"af_sky": "af_heart+bf_emma"}, "'af_sky' must be a new voice name"),
        ({"a+b": "af_heart+bf_emma"}, "'a+b' must be a new voice name without + ( )"),
        ({"warm": "af_heart", "hot": "warm+af_sky"}, "warm is not a Kokoro voice"),
    ],
)
def test_a_bad_named_blend_stops_start_up(blends: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        KokoroEngine(KokoroSettings(blends=blends), locate_files=lambda: pytest.fail("no load"))
    assert message in str(raised.value)


def test_styles_are_names_files_or_mixes(pinned_file: Path) -> None:
    voices = catalogue({"warm": "af_heart(3)+bf_emma"})
    with pytest.raises(EngineUnavailable):
        voices.style("af_sky+bf_emma")
    voices.open(pinned_file)
    assert voices.style("af_heart") == "af_heart"  # kokoro-onnx reads it from its file
    assert voices.style("mine") is MINE.style
    assert np.allclose(voices.style("warm"), 0.75 * 1 + 0.25 * 3)
    assert np.allclose(voices.style("mine+af_sky(3)"), 0.25 * 10 + 0.75 * 2)
    with pytest.raises(BadVoice):
        voices.style("af_nobody")
    voices.close()


def test_mixed_styles_are_kept_for_the_recent_blends(pinned_file: Path) -> None:
    voices = catalogue({"warm": "af_heart+af_sky"})
    voices.open(pinned_file)
    named = voices.style("warm")
    first = voices.style("af_heart(1)+bf_emma(1)")
    assert voices.style("bf_emma(2)+af_heart(2)") is first  # the same mix, mixed once
    for weight in range(BLEND_CACHE_SIZE):
        voices.style(f"af_heart({weight + 1})+mine")
    assert voices.style("af_heart+bf_emma") is not first  # forgotten, mixed again
    assert voices.style("warm") is named  # named blends stay
    voices.close()


@pytest.mark.parametrize(
    ("voice", "wanted", "espeak"),
    [
        ("af_heart", None, "en-us"),
        ("bf_emma+af_heart", None, "en-gb"),
        ("af_heart", "fr-FR", "fr-fr"),
        ("af_heart", "pt_br", "pt-br"),
        ("bf_emma", "en", "en-us"),
        ("mine", "de-DE", "fr-fr"),
    ],
)
def test_a_segment_may_ask_for_another_language(
    voice: str, wanted: str | None, espeak: str
) -> None:
    assert catalogue().language(voice, wanted).espeak == espeak
