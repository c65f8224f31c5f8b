"""Where the server keeps files: the data dirs it reads models from, the folder it writes to."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


def default_data_dir() -> Path:
    """Where models live unless told otherwise ($XDG_DATA_HOME/wyoming-polytts,
    ~/.local/share/wyoming-polytts); `./scripts/run` fetches them there."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "wyoming-polytts"


DEFAULT_DATA_DIR = default_data_dir()
"""The default data dir as this process started (default_data_dir() reads the environment
when called: tests move it)."""


def _default_data_dirs() -> tuple[str, ...]:
    return (str(default_data_dir()),)


@dataclass(frozen=True)
class ModelSettings:
    """The `models:` section."""

    data_dirs: tuple[str, ...] = field(default_factory=_default_data_dirs)
    download_dir: str | None = None
    """Where missing models are fetched to (and the history saved); the first data dir when
    unset."""

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(Path(path).expanduser() for path in self.data_dirs)

    @property
    def download_path(self) -> Path:
        return Path(self.download_dir or self.data_dirs[0]).expanduser()

    def searching_first(self, dirs: Sequence[str]) -> tuple[str, ...]:
        """`dirs`, then these data dirs: --data-dir adds places to look, and the first one
        it names is where missing models go (unless download_dir says otherwise)."""
        return tuple(dict.fromkeys([*dirs, *self.data_dirs]))


def durable_replace(written: Path, target: Path) -> None:
    """Rename a complete file into place so that a power cut leaves the old file or the new
    one, never a part: the file's data reaches the disk first, then the rename does."""
    with written.open("rb") as file:
        os.fsync(file.fileno())
    os.replace(written, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def unwritable_reason(directory: Path) -> str | None:
    """Why files cannot be written into `directory` (made with its parents if missing), said by
    the real cause and what fixes it; None when they can. Root passes every permission check,
    so an owner's problem shows only for other users."""
    existing = directory
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    cause = _blocked(existing)
    if cause is not None:
        making = "" if existing == directory else f"cannot make {directory}: "
        return f"{making}{cause}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return f"cannot make {directory}: {err.strerror or err}"
    return None


def _blocked(existing: Path) -> str | None:
    """What keeps this process from writing into `existing`, and the fix."""
    if not existing.is_dir():
        return f"{existing} is a file, not a folder: move it away"
    try:
        read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        return f"{existing} is on a read-only file system: mount it writable"
    if os.access(existing, os.W_OK | os.X_OK):
        return None
    owner, uid = existing.stat().st_uid, os.getuid()
    if owner != uid:
        return (
            f"{existing} belongs to user {owner}, this server runs as user {uid}: "
            f"chown {uid} {existing}"
        )
    return f"{existing} is not writable by its owner, user {uid}: chmod u+wx {existing}"
