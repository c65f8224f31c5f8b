"""Blend names: parsed into normalised weights, or refused naming the part that is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from wyoming_polytts.engines.errors import BadVoice
from wyoming_polytts.engines.kokoro.blends import MAX_PARTS, is_blend, mix, parse_blend

VOICES = ("af_bella", "af_sky", "bf_emma")


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("af_bella(2)+af_sky(1)", (("af_bella", 2 / 3), ("af_sky", 1 / 3))),
        ("af_bella+af_sky", (("af_bella", 0.5), ("af_sky", 0.5))),
        (" bf_emma ( 0.5 ) + af_sky(1.5) ", (("bf_emma", 0.25), ("af_sky", 0.75))),
        ("af_bella(3)", (("af_bella", 1.0),)),
        ("af_sky+af_bella+af_sky", (("af_sky", 2 / 3), ("af_bella", 1 / 3))),
    ],
)
def test_weights_are_normalised_in_the_order_written(name: str, parts: tuple) -> None:
    blend = parse_blend(name, VOICES)
    assert [voice for voice, _ in blend.parts] == [voice for voice, _ in parts]
    assert [weight for _, weight in blend.parts] == pytest.approx([weight for _, weight in parts])
    assert blend.first == parts[0][0]


def test_the_same_mix_has_the_same_key_however_written() -> None:
    keys = {
        parse_blend(name, VOICES).key for name in ("af_bella(2)+af_sky", "af_sky(3)+af_bella(6)")
    }
    assert len(keys) == 1
    assert parse_blend("af_bella+af_sky", VOICES).key not in keys


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("af_bella+af_nobody", "voice 'af_bella+af_nobody': af_nobody is not a Kokoro voice"),
        ("af_bella(0)+af_sky", "the weight of af_bella must be a positive number, got '0'"),
        ("af_bella(-1)+af_sky", "the weight of af_bella must be a positive number, got '-1'"),
        ("af_bella(two)", "the weight of af_bella must be a positive number, got 'two'"),
        ("af_bella(nan)", "the weight of af_bella must be a positive number, got 'nan'"),
        ("af_bella(inf)", "the weight of af_bella must be a positive number, got 'inf'"),
        ("af_bella()", "the weight of af_bella must be a positive number, got ''"),
        ("af_bella++af_sky", "a '+' has no voice on one side"),
        ("af_bella+", "a '+' has no voice on one side"),
        ("af_bella(2", "'af_bella(2' is not a voice with an optional weight"),
        ("af_bella(2)x", "'af_bella(2)x' is not a voice with an optional weight"),
        ("+".join(["af_sky"] * (MAX_PARTS + 1)), f"a blend has at most {MAX_PARTS} voices"),
    ],
)
def test_a_bad_blend_is_refused_naming_the_part(name: str, message: str) -> None:
    with pytest.raises(BadVoice) as raised:
        parse_blend(name, VOICES)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("name", "blend"), [("af_bella+af_sky", True), ("af_bella(2)", True), ("af_bella", False)]
)
def test_a_name_is_a_blend_by_its_marks(name: str, blend: bool) -> None:
    assert is_blend(name) is blend


def test_styles_are_mixed_by_weight() -> None:
    styles = {
        name: np.full((510, 1, 256), value, np.float32)
        for name, value in zip(VOICES, (1, 4, 7), strict=True)
    }
    mixed = mix(parse_blend("af_bella(1)+af_sky(2)", VOICES), styles.__getitem__)
    assert mixed.dtype == np.float32 and mixed.shape == (510, 1, 256)
    assert np.allclose(mixed, 3.0)
    # A voice alone is itself, bit for bit
    assert np.array_equal(
        mix(parse_blend("bf_emma(5)", VOICES), styles.__getitem__), styles["bf_emma"]
    )
