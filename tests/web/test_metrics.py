"""/metrics, parsed with the Prometheus client's own parser, after real replies."""

from __future__ import annotations

import io
import wave

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from wyoming_polytts.app import build_parts
from wyoming_polytts.config import Config
from wyoming_polytts.reply.settings import CircuitSettings, RoutingSettings
from wyoming_polytts.server.settings import ServerSettings
from wyoming_polytts.testing.client import stream_reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake
from wyoming_polytts.testing.waiting import wait_for
from wyoming_polytts.text import TextSettings, split_text
from wyoming_polytts.web.endpoints import build_app

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
REPLY = "Sure! The kitchen lights are on now. Anything else?"


async def scrape(client: TestClient) -> tuple[str, Samples]:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


async def test_metrics_count_real_replies(serve_web) -> None:
    async with serve_web([loaded_fake()]) as both:
        server = both.wyoming
        streamed = await stream_reply(server.host, server.port, REPLY)
        one_shot = await synthesize_reply(server.host, server.port, "Done.")
        refused = await synthesize_reply(server.host, server.port, "Hi.", voice="nobody")
        preview = await both.web.get("/api/speak", params={"text": "A preview."})
        with wave.open(io.BytesIO(await preview.read())) as file:
            preview_seconds = file.getnframes() / file.getframerate()
        await both.web.get("/api/speak", params={"text": "Hi.", "voice": "nobody"})
        await wait_for(lambda: server.service.recorder.snapshot().connections == 0)
        text, samples = await scrape(both.web)
    assert refused.error is not None and refused.error.code == "unknown-voice"
    kokoro = {"engine": "kokoro"}
    assert value(samples, "polytts_replies_total", outcome="ok", **kokoro) == 3
    assert value(samples, "polytts_errors_total", code="unknown-voice") == 2
    assert value(samples, "polytts_first_audio_seconds_count", **kokoro) == 3
    assert value(samples, "polytts_first_audio_seconds_sum", **kokoro) > 0
    buckets = [
        (float(dict(labels)["le"]), count)
        for (name, labels), count in samples.items()
        if name == "polytts_first_audio_seconds_bucket"
    ]
    counts = [count for _, count in sorted(buckets)]
    assert counts == sorted(counts) and counts[-1] == 3
    audio = streamed.audio_seconds + one_shot.audio_seconds + preview_seconds
    assert value(samples, "polytts_audio_seconds_total", **kokoro) == pytest.approx(audio, abs=1e-3)
    assert value(samples, "polytts_synthesis_seconds_total", **kokoro) > 0
    assert ("polytts_underruns_total", frozenset(kokoro.items())) in samples
    assert value(samples, "polytts_replies_in_progress", **kokoro) == 0
    assert value(samples, "polytts_queued_segments", **kokoro) == 0
    assert value(samples, "polytts_engine_state", state="ready", **kokoro) == 1
    assert value(samples, "polytts_engine_state", state="loading", **kokoro) == 0
    assert value(samples, "polytts_circuit_state", state="closed", **kokoro) == 1
    assert value(samples, "polytts_engine_workers", **kokoro) == 1
    assert value(samples, "polytts_connections_total") == 3
    assert value(samples, "polytts_open_connections") == 0
    assert value(samples, "polytts_build_info", version="0.1.0") == 1
    assert ("process_resident_memory_bytes", frozenset()) in samples
    assert "kitchen lights" not in text and "preview" not in text


async def test_metrics_show_a_fallback_and_the_open_circuit(serve_web) -> None:
    csm = FakeEngine(name="csm", voice_names=("csm_0",), fail_on="")
    csm.cacheable = False
    csm.loaded.set()
    routing = RoutingSettings(circuit=CircuitSettings(failures=1))
    async with serve_web([csm, loaded_fake()], Config(routing=routing)) as both:
        server = both.wyoming
        reply = await stream_reply(server.host, server.port, "Hello there.", voice="csm_0")
        _, samples = await scrape(both.web)
    assert reply.error is None
    assert value(samples, "polytts_fallbacks_total", engine="csm", to="kokoro") == 1
    assert value(samples, "polytts_replies_total", engine="kokoro", outcome="ok") == 1
    assert value(samples, "polytts_circuit_state", engine="csm", state="open") == 1
    assert value(samples, "polytts_engine_state", engine="csm", state="open") == 1
    assert value(samples, "polytts_first_audio_seconds_count", engine="csm") == 0
    assert value(samples, "polytts_first_audio_seconds_count", engine="kokoro") == 1


async def test_metrics_count_phrase_cache_hits_and_misses() -> None:
    """The preview goes through the scheduler's phrase cache like any reply."""
    parts = build_parts(Config(), [loaded_fake()])
    parts.start()
    try:
        async with TestClient(TestServer(build_app(parts.service, ServerSettings()))) as client:
            for _ in range(2):
                response = await client.get("/api/speak", params={"text": REPLY})
                assert response.status == 200
            _, samples = await scrape(client)
            cache = (await (await client.get("/api/status")).json())["cache"]
    finally:
        parts.stop()
    segments = len(split_text(REPLY, TextSettings(), "en-US"))
    assert segments > 1
    assert value(samples, "polytts_cache_misses_total") == segments
    assert value(samples, "polytts_cache_hits_total") == segments
    assert 0 < value(samples, "polytts_cache_bytes") <= value(samples, "polytts_cache_max_bytes")
    assert (cache["hits"], cache["misses"], cache["hit_rate"]) == (segments, segments, 0.5)
