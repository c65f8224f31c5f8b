"""Two servers over TCP: an in-process front server speaks through the real server process."""

from __future__ import annotations

import numpy as np
import pytest

from wyoming_polytts.engines.remote.engine import WyomingRemoteEngine
from wyoming_polytts.engines.remote.settings import RemoteSettings
from wyoming_polytts.testing.client import stream_reply
from wyoming_polytts.testing.fake_engine import loaded_fake
from wyoming_polytts.testing.launcher import ServerProcess
from wyoming_polytts.testing.waiting import wait_for

pytestmark = pytest.mark.e2e


async def test_front_server_speaks_with_the_remote_kokoro(
    serve, kokoro_server: ServerProcess
) -> None:
    box = WyomingRemoteEngine(
        "box", RemoteSettings(uri=f"tcp://{kokoro_server.host}:{kokoro_server.port}")
    )
    fallback = loaded_fake(name="local", voice_names=("local_voice",))
    async with serve([box, fallback]) as front:
        # Home Assistant only asks for voices it has seen in Info: wait for the remote's
        await wait_for(lambda: "box.bm_george" in front.service.voices.voices(), timeout=30)
        reply = await stream_reply(
            front.host,
            front.port,
            "The remote server speaks this. Then a second sentence follows it.",
            voice="box.bm_george",
        )
    assert reply.error is None, reply.error
    assert reply.types.count("audio-start") == 1 and reply.rate == 24000
    assert not fallback.requests
    samples = np.frombuffer(bytes(reply.audio), dtype="<i2").astype(np.float32)
    # Speech, about as long as a person takes to say it (8 to 25 characters a second)
    assert 64 / 25 <= len(samples) / 24000 <= 64 / 8 + 1.0
    assert np.sqrt(np.mean(samples**2)) > 300
