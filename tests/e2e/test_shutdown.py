"""SIGTERM, as Docker and the Supervisor send it: replies in progress finish or get a clear
error, the history is on disk, the process exits 0 before the 10 s kill; and a stop during a
model fetch exits at once, leaving no file that passes as valid."""

from __future__ import annotations

import asyncio
import http.server
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from wyoming_polytts.engines.kokoro.files import find_kokoro
from wyoming_polytts.satellites.history import HistoryStore
from wyoming_polytts.satellites.history_file import HistoryFile
from wyoming_polytts.satellites.settings import ContextSettings
from wyoming_polytts.storage import default_data_dir
from wyoming_polytts.testing.client import stream_reply
from wyoming_polytts.testing.http_files import serving
from wyoming_polytts.testing.launcher import start_server

pytestmark = pytest.mark.e2e

KILL_AFTER = 10.0
"""Docker's and s6's default wait between SIGTERM and SIGKILL."""
REPLY = "Sure! The kitchen lights are on, and the door is locked."


def write_config(path: Path, settings: dict) -> Path:
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def exit_status(process: subprocess.Popen[bytes]) -> int:
    """The status of a process that must end before it would be killed."""
    return process.wait(timeout=KILL_AFTER)


async def test_sigterm_lets_the_reply_in_progress_finish_and_saves_the_history(
    tmp_path: Path,
) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        {
            "models": {"data_dirs": [str(default_data_dir())], "download_dir": str(tmp_path)},
            "context": {"persist": True, "save_delay": 3600},  # saved by the shutdown alone
            "satellites": {"kitchen": {"voice": "af_heart"}},
        },
    )
    server = await asyncio.to_thread(start_server, tmp_path, "--config", str(config))
    try:
        # A server that has been running: its engine has loaded
        assert (await stream_reply(server.host, server.port, "Good morning.")).audio
        reply = asyncio.create_task(
            stream_reply(server.host, server.port, REPLY, voice="kitchen", fragment_delay=0.05)
        )
        await asyncio.sleep(0.3)  # the LLM is still writing: the stream is open
        server.process.send_signal(signal.SIGTERM)
        answered = await reply
        status = await asyncio.to_thread(exit_status, server.process)
    finally:
        server.stop()
    assert status == 0, server.log.read_text()
    # The reply in progress was spoken to its end within the grace period, and kept
    assert answered.error is None, answered.error
    assert answered.types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert np.frombuffer(bytes(answered.audio), dtype="<i2").any()
    history = HistoryStore(ContextSettings())
    HistoryFile(history, tmp_path / "context.npz", delay=0).load()
    assert [turn.assistant_text for turn in history.turns("kitchen")] == [REPLY]
    assert [turn.assistant_text for turn in history.turns("default")] == ["Good morning."]
    assert "Stopping: replies in progress have" in server.log.read_text()


class SlowRelease(http.server.BaseHTTPRequestHandler):
    """A release server that sends the model a kilobyte at a time, for minutes."""

    requested = threading.Event()

    def do_GET(self) -> None:
        SlowRelease.requested.set()
        self.send_response(200)
        self.send_header("Content-Length", str(90_000_000))
        self.end_headers()
        try:
            for _ in range(90_000):
                self.wfile.write(b"\0" * 1000)
                threading.Event().wait(0.05)
        except OSError:
            pass  # the server went away, as it should

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(name="slow_release")
def slow_release_fixture() -> Iterator[str]:
    SlowRelease.requested.clear()
    with serving(SlowRelease) as base:
        yield base


async def test_sigterm_during_a_model_fetch_exits_at_once_leaving_nothing_valid(
    tmp_path: Path, slow_release: str
) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    config = write_config(
        tmp_path / "config.yaml",
        {
            "models": {"data_dirs": [str(empty)]},
            "kokoro": {"release_url": slow_release},
        },
    )
    server = await asyncio.to_thread(start_server, tmp_path, "--config", str(config))
    try:
        assert await asyncio.to_thread(SlowRelease.requested.wait, 60)
        server.process.send_signal(signal.SIGTERM)
        status = await asyncio.to_thread(exit_status, server.process)
    finally:
        server.stop()
    assert status == 0, server.log.read_text()
    assert find_kokoro([empty]) is None
    assert [path.name for path in empty.iterdir() if not path.name.startswith(".")] == []
