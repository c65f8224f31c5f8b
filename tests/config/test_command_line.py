"""The command line over config.yaml: what each flag changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from wyoming_polytts.__main__ import configure, parse_args
from wyoming_polytts.storage import default_data_dir


def test_data_dirs_are_searched_before_the_default_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    config = configure(parse_args(["--data-dir", "/models", "--data-dir", "/more"]))
    assert config.models.data_dirs == ("/models", "/more", str(tmp_path / "xdg/wyoming-polytts"))
    assert config.download_dir == Path("/models")
    assert configure(parse_args([])).models.paths == (default_data_dir(),)


def test_data_dirs_add_to_those_of_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("models:\n  data_dirs: [~/models, /srv/models]\n  download_dir: /cache\n")
    config = configure(parse_args(["--config", str(path), "--data-dir", "/srv/models"]))
    assert config.models.data_dirs == ("/srv/models", "~/models")
    assert config.models.paths == (Path("/srv/models"), Path.home() / "models")
    assert config.download_dir == Path("/cache")
