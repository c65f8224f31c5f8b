"""--data-dir adds a place to look: a model fetched earlier into the default dir is used."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wyoming_polytts.testing.client import synthesize_reply
from wyoming_polytts.testing.launcher import start_server
from wyoming_polytts.testing.models import link_fetched_kokoro

pytestmark = pytest.mark.e2e


def test_server_speaks_with_the_model_in_the_default_dir(tmp_path: Path) -> None:
    link_fetched_kokoro(tmp_path / "xdg" / "wyoming-polytts")
    elsewhere = tmp_path / "models"
    server = start_server(
        tmp_path, "--data-dir", str(elsewhere), env={"XDG_DATA_HOME": str(tmp_path / "xdg")}
    )
    try:
        reply = asyncio.run(synthesize_reply(server.host, server.port, "The door is locked."))
    finally:
        server.stop()
    assert reply.error is None, server.log.read_text()
    assert len(reply.audio) > 24000  # more than half a second of 16-bit audio
    # Nothing was fetched again into the new data dir
    assert not elsewhere.exists() or not any(elsewhere.iterdir())
