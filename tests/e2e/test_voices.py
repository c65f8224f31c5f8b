"""Voice blends and your own voice files, through the real server and the real Kokoro model."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from wyoming_polytts.engines.kokoro.files import find_kokoro
from wyoming_polytts.storage import DEFAULT_DATA_DIR
from wyoming_polytts.testing.client import Reply, describe, synthesize_reply
from wyoming_polytts.testing.launcher import ServerProcess, start_server

from .test_kokoro_server import assert_speech

pytestmark = pytest.mark.e2e

TEXT = "The kitchen lights are on."
CONFIG = """
kokoro:
  blends:
    warm: af_heart(2)+bf_emma
"""


@pytest.fixture(name="voices_server", scope="module")
def voices_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The server with a named blend and a data dir of own voice files, good and bad."""
    files = find_kokoro([DEFAULT_DATA_DIR])
    assert files is not None, "run scripts/setup to fetch the model"
    data_dir = tmp_path_factory.mktemp("data")
    voices = data_dir / "voices"
    voices.mkdir()
    with np.load(files.voices) as pinned:
        bella, sky, emma = (pinned[name] for name in ("af_bella", "af_sky", "bf_emma"))
    bella.astype("<f4").tofile(voices / "af_copy.bin")  # af_bella's style, as kokoro-js saves one
    np.save(voices / "duet.npy", ((sky + emma) / 2).reshape(510, 256))
    (voices / "duet.json").write_text('{"language": "en-GB"}')
    np.save(voices / "af_silent.npy", np.zeros((510, 256), np.float32))
    (voices / "af_short.bin").write_bytes(b"\0" * 4096)
    config = data_dir / "config.yaml"
    config.write_text(CONFIG)
    server = start_server(
        data_dir,
        "--config",
        str(config),
        "--data-dir",
        str(data_dir),
        "--data-dir",
        str(DEFAULT_DATA_DIR),
    )
    try:
        yield server
    finally:
        server.stop()


async def speak(server: ServerProcess, voice: str, text: str = TEXT) -> Reply:
    reply = await synthesize_reply(server.host, server.port, text, voice=voice)
    assert_speech(reply, text)
    return reply


async def test_info_lists_named_blends_and_good_own_voices(voices_server: ServerProcess) -> None:
    info = await describe(voices_server.host, voices_server.port, timeout=10)
    voices = {voice.name: voice for voice in info.tts[0].voices}
    assert len(voices) == 54 + 3
    assert voices["warm"].languages == ["en-US"]
    assert "af_heart" in voices["warm"].description
    assert voices["af_copy"].languages == ["en-US"]
    assert voices["duet"].languages == ["en-GB"]
    assert "af_silent" not in voices and "af_short" not in voices
    log = voices_server.log.read_text()
    assert "Skipping voice file " in log and "af_silent.npy: all its values are zero" in log
    assert "af_short.bin: a .bin voice is 510x256 float32" in log


async def test_a_blend_sounds_like_neither_of_its_voices(voices_server: ServerProcess) -> None:
    bella = await speak(voices_server, "af_bella")
    sky = await speak(voices_server, "af_sky")
    blend = await speak(voices_server, "af_bella+af_sky")
    assert blend.audio not in (bella.audio, sky.audio)
    # Only the normalised weights matter, and a voice alone is itself
    weighted = await speak(voices_server, "af_bella(3)+af_sky")
    assert weighted.audio != blend.audio
    assert (await speak(voices_server, "af_bella(6)+af_sky(2)")).audio == weighted.audio
    assert (await speak(voices_server, "af_bella(1)")).audio == bella.audio


async def test_own_voices_speak_with_their_file_and_blend(voices_server: ServerProcess) -> None:
    bella = await speak(voices_server, "af_bella")
    assert (await speak(voices_server, "af_copy")).audio == bella.audio
    blended = await speak(voices_server, "af_bella+af_sky")
    assert (await speak(voices_server, "af_copy+af_sky")).audio == blended.audio
    await speak(voices_server, "duet")
    warm = await speak(voices_server, "warm")
    assert warm.audio == (await speak(voices_server, "af_heart(4)+bf_emma(2)")).audio


async def test_a_bad_blend_is_refused_and_the_server_goes_on(voices_server: ServerProcess) -> None:
    host, port = voices_server.host, voices_server.port
    reply = await synthesize_reply(host, port, TEXT, voice="af_bella+af_nobody")
    assert reply.error is not None and reply.error.code == "bad-voice"
    assert reply.error.text == "voice 'af_bella+af_nobody': af_nobody is not a Kokoro voice"
    await speak(voices_server, "warm")


def test_a_bad_named_blend_stops_start_up(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("kokoro:\n  blends:\n    warm: af_heart(2)+bf_nobody\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wyoming_polytts",
            "--config",
            str(config),
            "--uri",
            "tcp://127.0.0.1:0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert (
        "config key 'kokoro.blends.warm': voice 'af_heart(2)+bf_nobody': "
        "bf_nobody is not a Kokoro voice"
    ) in done.stderr
