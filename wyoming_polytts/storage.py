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
