"""Where the server keeps files: the data dirs it reads models from, the folder it writes to."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = (
    Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "wyoming-polytts"
)
"""Where models live when no --data-dir is given; `./scripts/run` fetches them there."""


@dataclass(frozen=True)
class ModelSettings:
    """The `models:` section."""

    data_dirs: tuple[str, ...] = (str(DEFAULT_DATA_DIR),)
    download_dir: str | None = None
    """Where missing models are fetched to (and the history saved); the first data dir when
    unset."""

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(Path(path) for path in self.data_dirs)

    @property
    def download_path(self) -> Path:
        return Path(self.download_dir or self.data_dirs[0])


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
