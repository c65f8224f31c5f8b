"""The real server on a CSM model saved to a folder (the tiny CSM on the CPU), over TCP.

The model votes for codes its codec lacks, as CSM-1B's random weights do: before the frame
loop masked them, such a reply failed with "audio code outside the codec".
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wyoming_polytts.testing.csm_server import save_model, start_csm_server
from wyoming_polytts.testing.csm_tiny import (
    CODEBOOK_SIZE,
    build_tiny_csm,
    prefer_codes_the_codec_lacks,
)
from wyoming_polytts.testing.replay import stream_replies

pytestmark = pytest.mark.e2e

REPLY = "Sure! The kitchen lights are on, and the front door is locked."


def test_replies_of_several_rooms_at_once_from_a_saved_model(tmp_path: Path) -> None:
    model, processor = build_tiny_csm(vocab_size=CODEBOOK_SIZE + 3)
    prefer_codes_the_codec_lacks(model)
    save_model(model, processor, tmp_path / "csm")
    server, ready = start_csm_server(tmp_path, tmp_path / "csm", "cpu")
    try:
        contexts = [{"satellite_id": room} for room in ("kitchen", "office", "bedroom")]
        replies = asyncio.run(
            stream_replies(server.host, server.port, REPLY, 3, voice="csm_0", contexts=contexts)
        )
    finally:
        server.stop()
    assert ready.startswith("on cpu in ")
    for reply in replies:
        assert reply.error is None, reply.error
        assert reply.types[-2:] == ["audio-stop", "synthesize-stopped"]
        assert reply.rate == 24000
        assert reply.audio_seconds > 1.0
    assert " ERROR " not in server.log.read_text()
