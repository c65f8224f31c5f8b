"""The Kokoro model that scripts/setup fetched, linked into a test's own data dir."""

from __future__ import annotations

from pathlib import Path

from ..engines.kokoro.files import KokoroFiles, find_kokoro
from ..storage import default_data_dir


def link_fetched_kokoro(directory: Path) -> KokoroFiles:
    """Symlinks in `directory` (made if missing) to the fetched model and voices (and the
    graph derived from it, if there is one), as if they had been fetched there;
    AssertionError when scripts/setup has not fetched them."""
    fetched = find_kokoro([default_data_dir()])
    assert fetched is not None, "run scripts/setup to fetch the model"
    directory.mkdir(parents=True, exist_ok=True)
    derived = sorted(fetched.model.parent.glob("kokoro-derived-*"))
    for found in (fetched.model, fetched.voices, *derived):
        (directory / found.name).symlink_to(found)
    return KokoroFiles(directory / fetched.model.name, directory / fetched.voices.name)
