"""Your own voice files: loaded when they are voices, skipped with a warning naming them when not."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from wyoming_polytts.engines.kokoro.own_voices import (
    STOCK_PEAK,
    STOCK_RMS,
    VOICES_DIR,
    find_own_voices,
    outside_stock_range,
)
from wyoming_polytts.testing.models import link_fetched_kokoro

STYLE = np.linspace(-0.4, 0.4, 510 * 256, dtype=np.float32).reshape(510, 256)
"""In the range of Kokoro's voices (root mean square 0.23)."""


def voices_dir(data_dir: Path) -> Path:
    folder = data_dir / VOICES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_bin_and_npy_files_are_voices_with_their_language(tmp_path: Path) -> None:
    folder = voices_dir(tmp_path)
    STYLE.astype("<f4").tofile(folder / "af_mine.bin")
    np.save(folder / "bm_deep.npy", STYLE.reshape(510, 1, 256).astype(np.float64))
    np.save(folder / "anna.npy", STYLE)
    (folder / "anna.json").write_text('{"language": "en_gb"}')
    np.save(folder / "zf_laoshi.npy", STYLE)
    (folder / "zf_laoshi.json").write_text('{"language": "fr-FR"}')  # the sidecar wins
    (folder / "README.txt").write_text("not a voice, not a warning")

    found = find_own_voices([tmp_path], taken=())

    assert {name: voice.language.code for name, voice in found.items()} == {
        "af_mine": "en-US",
        "anna": "en-GB",
        "bm_deep": "en-GB",
        "zf_laoshi": "fr",
    }
    for voice in found.values():
        assert voice.style.dtype == np.float32 and voice.style.shape == (510, 1, 256)
        assert np.allclose(voice.style.reshape(510, 256), STYLE)


def write_npy(array: np.ndarray) -> Callable[[Path], None]:
    return lambda folder: np.save(folder / "af_bad.npy", array)


def write_file(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(data)


def with_sidecar(text: str, name: str = "bad") -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        np.save(folder / f"{name}.npy", STYLE)
        (folder / f"{name}.json").write_text(text)

    return write


UNIFORM_3 = np.random.default_rng(0).uniform(-3, 3, (510, 256)).astype(np.float32)
WITH_NAN = STYLE.copy()
WITH_NAN[3, 7] = np.nan


@pytest.mark.parametrize(
    ("write", "file", "reason"),
    [
        (
            write_file("af_bad.bin", b"\0" * 1000),
            "af_bad.bin",
            "af_bad.bin: a .bin voice is 510x256",
        ),
        (write_npy(STYLE[:500]), "af_bad.npy", "found shape (500, 256)"),
        (write_npy(STYLE.reshape(510, 2, 128)), "af_bad.npy", "found shape (510, 2, 128)"),
        (write_npy(WITH_NAN), "af_bad.npy", "not finite"),
        (write_npy(np.full((510, 256), np.inf, np.float32)), "af_bad.npy", "not finite"),
        (write_npy(np.zeros((510, 256), np.float32)), "af_bad.npy", "all its values are zero"),
        (write_npy(np.ones((510, 256), np.int32)), "af_bad.npy", "floating-point"),
        (write_npy(STYLE * 1e30), "af_bad.npy", "its values reach 4e+29; Kokoro's voices"),
        (write_npy(UNIFORM_3), "af_bad.npy", "the root mean square of its values is 1.73"),
        (write_npy(STYLE / 10), "af_bad.npy", "the root mean square of its values is 0.0231"),
        (write_npy(np.array([{"a": 1}], dtype=object)), "af_bad.npy", "cannot read it"),
        (write_file("af_bad.npy", b"garbage"), "af_bad.npy", "cannot read it"),
        (write_file("af_bad.npy", b"\0" * 2_200_000), "af_bad.npy", "too large"),
        (with_sidecar("{not json"), "bad.npy", "bad.json must be like"),
        (with_sidecar('{"language": "de"}'), "bad.npy", "Kokoro does not speak 'de'"),
        (with_sidecar("{}"), "bad.npy", "bad.json must be like"),
        (lambda folder: np.save(folder / "voice.npy", STYLE), "voice.npy", "no language"),
        (lambda folder: np.save(folder / "a+b.npy", STYLE), "a+b.npy", "not a usable voice name"),
    ],
)
def test_a_bad_file_is_skipped_with_a_warning_naming_it(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    write: Callable[[Path], None],
    file: str,
    reason: str,
) -> None:
    folder = voices_dir(tmp_path)
    write(folder)
    STYLE.astype("<f4").tofile(folder / "af_good.bin")
    caplog.set_level(logging.WARNING)
    assert list(find_own_voices([tmp_path], taken=())) == ["af_good"]
    assert f"Skipping voice file {folder / file}: " in caplog.text
    assert reason in caplog.text


def test_a_name_already_taken_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    np.save(voices_dir(first) / "af_mine.npy", STYLE)
    np.save(voices_dir(second) / "af_mine.npy", -STYLE)
    np.save(voices_dir(second) / "af_heart.npy", STYLE)
    caplog.set_level(logging.WARNING)
    found = find_own_voices([first, second, tmp_path / "missing"], taken=("af_heart",))
    assert list(found) == ["af_mine"]
    assert np.allclose(found["af_mine"].style.reshape(510, 256), STYLE)  # the first data dir's
    assert (
        f"Skipping voice file {second / VOICES_DIR / 'af_mine.npy'}: voice af_mine exists"
        in caplog.text
    )
    assert (
        f"Skipping voice file {second / VOICES_DIR / 'af_heart.npy'}: voice af_heart exists"
        in caplog.text
    )


def test_every_stock_voice_and_their_average_pass_the_range_check(tmp_path: Path) -> None:
    """The rule's figures are the stock voices' own: each of them (and a blend of them all)
    is in range, and the measured extremes are the ones the module states."""
    files = link_fetched_kokoro(tmp_path)
    with np.load(files.voices) as archive:
        styles = {name: archive[name].reshape(510, 1, 256) for name in archive.files}
    assert {name: outside_stock_range(style) for name, style in styles.items()} == dict.fromkeys(
        styles
    )
    assert outside_stock_range(np.mean(list(styles.values()), axis=0)) is None
    stacked = np.stack(list(styles.values())).astype(np.float64)
    assert round(float(np.abs(stacked).max()), 2) == STOCK_PEAK
    rms = np.sqrt(np.mean(np.square(stacked), axis=(1, 2, 3)))
    assert (round(float(rms.min()), 3), round(float(rms.max()), 3)) == STOCK_RMS
