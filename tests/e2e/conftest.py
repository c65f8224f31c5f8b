"""The real server, with the real Kokoro model, as a subprocess on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wyoming_polytts.engines.kokoro.files import find_kokoro
from wyoming_polytts.storage import default_data_dir
from wyoming_polytts.testing.launcher import ServerProcess, start_server


@pytest.fixture(name="kokoro_server", scope="session")
def kokoro_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The server with the model that scripts/setup fetched into the default data dir."""
    assert find_kokoro([default_data_dir()]) is not None, "run scripts/setup to fetch the model"
    server = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield server
    finally:
        server.stop()
