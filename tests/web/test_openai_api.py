"""OpenAI's speech API in-process: the `openai` client on the real service with a fake engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import openai
import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.web.test_api import PROFILES, HoldsTheRest, speech_seconds
from wyoming_polytts.app import build_parts
from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import SAMPLE_RATE
from wyoming_polytts.reply.settings import ReplySettings
from wyoming_polytts.satellites.settings import SatelliteProfile
from wyoming_polytts.server.settings import ServerSettings
from wyoming_polytts.testing.decoding import decode, loudness, seconds
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake
from wyoming_polytts.testing.openai_client import speech_client, streamed_speech
from wyoming_polytts.web.encoding import FORMATS
from wyoming_polytts.web.endpoints import build_app
from wyoming_polytts.web.openai_api import API_KEY
from wyoming_polytts.web.settings import WebSettings

TEXT = "Hello there. This is the kitchen speaking."
CODEC_PADDING = 0.1
"""Seconds an encoder may add (MP3's and AAC's priming and last frame)."""


def api_client(web: TestClient, api_key: str = "none") -> openai.AsyncOpenAI:
    return speech_client(str(web.make_url("/v1")), api_key)


@asynccontextmanager
async def api_app(
    engine: FakeEngine, config: Config | None = None, **settings: object
) -> AsyncIterator[TestClient]:
    web_settings = WebSettings(**settings)  # type: ignore[arg-type]
    config = config or Config()
    parts = build_parts(config, [engine])
    parts.start()
    try:
        app = build_app(parts.service, config.server, web_settings.networks, web_settings.api_key)
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        parts.stop(timeout=5)


@pytest.mark.parametrize("format_name", list(FORMATS))
async def test_every_format_decodes_to_the_whole_reply(serve_web, format_name: str) -> None:
    engine = loaded_fake()
    async with serve_web([engine]) as both:
        client = api_client(both.web)
        whole = await client.audio.speech.create(
            model="tts-1", voice="af_heart", input=TEXT, response_format=format_name
        )
        streamed, content_type = await streamed_speech(client, TEXT, "af_heart", format_name)
        history = both.wyoming.service.satellites.history
        assert len(history.turns(API_KEY)) == 2
    assert content_type == FORMATS[format_name].content_type
    for data in (whole.content, streamed):
        pcm, rate = decode(data, format_name)
        expected = speech_seconds(TEXT)
        assert expected <= seconds(pcm, rate) + 0.01 <= expected + CODEC_PADDING
        assert loudness(pcm) > 0.2  # the fake's tone, at 0.5 amplitude
    assert {request.voice for request in engine.requests} == {"af_heart"}


@pytest.mark.parametrize("format_name", ["mp3", "opus"])
async def test_a_streamed_reply_sends_its_first_audio_before_the_rest_is_spoken(
    serve_web, format_name: str
) -> None:
    engine = HoldsTheRest()
    async with serve_web([engine]) as both:
        body = {
            "model": "tts-1",
            "voice": "af_heart",
            "input": TEXT,
            "response_format": format_name,
            "stream_format": "audio",
        }
        async with both.web.post("/v1/audio/speech", json=body) as response:
            first = await response.content.readany()
            # Bytes arrived while the second segment is still held back
            assert len(engine.requests) == 1
            engine.rest.set()
            rest = await response.read()
    pcm, rate = decode(first + rest, format_name)
    assert seconds(pcm, rate) == pytest.approx(speech_seconds(TEXT), abs=CODEC_PADDING)


async def test_a_client_that_leaves_mid_stream_frees_its_slot(serve_web) -> None:
    engine = HoldsTheRest()
    config = Config(replies=ReplySettings(max_per_engine=1))
    async with serve_web([engine], config) as both:
        body = {"model": "tts-1", "voice": "af_heart", "input": TEXT, "stream_format": "audio"}
        response = await both.web.post("/v1/audio/speech", json=body)
        await response.content.readany()
        response.close()  # gone mid-stream, the second segment never taken
        service = both.wyoming.service
        for _ in range(100):
            if not service.recorder.snapshot().in_progress:
                break
            await asyncio.sleep(0.05)
        engine.rest.set()
        again = await both.web.post("/v1/audio/speech", json=body | {"input": "Again."})
        await again.read()
        recent = (await (await both.web.get("/api/status")).json())["replies"]["recent"]
    assert again.status == 200
    assert [reply["outcome"] for reply in recent] == ["ok", "cancelled"]


@pytest.mark.parametrize(
    ("body", "status", "param", "code"),
    [
        ({"model": "tts-1", "voice": "af_heart"}, 400, "input", "protocol"),
        ({"model": "tts-1", "voice": "af_heart", "input": "  "}, 400, "input", "protocol"),
        ({"model": "tts-1", "voice": "af_heart", "input": "x" * 100_000}, 400, "input", None),
        ({"model": "tts-1", "voice": "nobody", "input": "Hi."}, 400, "voice", "unknown-voice"),
        ({"model": "tts-1", "input": "Hi."}, 400, "voice", "protocol"),
        ({"model": "dall-e-3", "voice": "af_heart", "input": "Hi."}, 400, "model", "protocol"),
        ({"voice": "af_heart", "input": "Hi."}, 400, "model", "protocol"),
        (
            {"model": "tts-1", "voice": "af_heart", "input": "Hi.", "response_format": "ogg"},
            400,
            "response_format",
            "protocol",
        ),
        (
            {"model": "tts-1", "voice": "af_heart", "input": "Hi.", "response_format": ["mp3"]},
            400,
            "response_format",
            "protocol",
        ),
        ({"model": ["tts-1"], "voice": "af_heart", "input": "Hi."}, 400, "model", "protocol"),
        ({"model": "tts-1", "voice": {"id": 7}, "input": "Hi."}, 400, "voice", "protocol"),
        ({"model": "tts-1", "voice": "af_heart", "input": "Hi.", "speed": 5}, 400, "speed", None),
        ({"model": "tts-1", "voice": "af_heart", "input": "Hi.", "speed": 0.2}, 400, "speed", None),
        ({"model": "tts-1", "voice": "af_heart", "input": "Hi.", "speed": "1"}, 400, "speed", None),
        (
            {"model": "tts-1", "voice": "af_heart", "input": "Hi.", "stream_format": "sse"},
            400,
            "stream_format",
            "protocol",
        ),
        ("not json", 400, None, "protocol"),
        ("[" * 100_000, 400, None, "protocol"),
        (b"\xff\xfe{}", 400, None, "protocol"),
        ([1, 2], 400, None, "protocol"),
    ],
)
async def test_bad_requests_get_openai_errors(
    serve_web, body: object, status: int, param: str | None, code: str | None
) -> None:
    engine = loaded_fake()
    config = Config(server=ServerSettings(max_text_chars=4096))
    async with serve_web([engine], config) as both:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        response = await both.web.post("/v1/audio/speech", data=data)
        error = (await response.json())["error"]
    assert response.status == status
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert error["code"] == (code or ("text-too-long" if param == "input" else "protocol"))
    assert error["message"] and "Traceback" not in error["message"]
    assert engine.requests == []


async def test_a_body_over_the_size_limit_is_refused_as_too_large(serve_web) -> None:
    async with serve_web([loaded_fake()]) as both:
        body = json.dumps({"model": "tts-1", "voice": "af_heart", "input": "x" * 2_000_000})
        response = await both.web.post("/v1/audio/speech", data=body)
        error = (await response.json())["error"]
    assert (response.status, error["param"]) == (413, "input")


async def test_the_openai_client_raises_the_error_it_reads(serve_web) -> None:
    async with serve_web([loaded_fake()]) as both:
        with pytest.raises(openai.BadRequestError) as raised:
            await api_client(both.web).audio.speech.create(
                model="tts-1", voice="nobody", input="Hi."
            )
    assert raised.value.code == "unknown-voice" and raised.value.param == "voice"
    assert "af_heart" in raised.value.message  # the closest voices are suggested


async def test_a_busy_engine_answers_503_with_retry_after(serve_web) -> None:
    engine = loaded_fake()
    engine.gate.clear()
    config = Config(replies=ReplySettings(max_per_engine=1))
    async with serve_web([engine], config) as both:
        body = {"model": "tts-1", "voice": "af_heart", "input": "Busy."}
        pending = asyncio.create_task(both.web.post("/v1/audio/speech", json=body))
        await asyncio.to_thread(engine.started.acquire, timeout=5)
        response = await both.web.post("/v1/audio/speech", json=body)
        error = (await response.json())["error"]
        engine.gate.set()
        assert (await pending).status == 200
    assert (response.status, response.headers["Retry-After"]) == (503, "1")
    assert (error["type"], error["code"]) == ("server_error", "busy")


@pytest.mark.parametrize(
    ("speed", "spoken", "headers"),
    [
        (None, 1.0, {}),
        (1.5, 1.5, {"X-Speed": "1.5"}),
        (4.0, 2.0, {"X-Speed": "2", "X-Speed-Requested": "4"}),
        (0.25, 0.5, {"X-Speed": "0.5", "X-Speed-Requested": "0.25"}),
    ],
)
async def test_speed_is_clamped_to_the_engines_and_said_so(
    serve_web, speed: float | None, spoken: float, headers: dict[str, str]
) -> None:
    engine = loaded_fake()
    async with serve_web([engine]) as both:
        body = {"model": "tts-1", "voice": "af_heart", "input": "Hi.", "response_format": "pcm"}
        response = await both.web.post("/v1/audio/speech", json=body | {"speed": speed})
        pcm = await response.read()
    assert response.status == 200
    assert {request.speed for request in engine.requests} == {spoken}
    assert {key: response.headers[key] for key in headers} == headers
    assert "X-Speed" in response.headers or not headers
    assert seconds(pcm, SAMPLE_RATE) == pytest.approx(speech_seconds("Hi.", spoken), abs=1e-3)


@pytest.mark.parametrize(
    ("voice", "spoken_by", "history_key"),
    [
        ("marin", "af_heart", API_KEY),  # OpenAI's names speak with Kokoro voices
        ("coral", "bf_emma", API_KEY),
        ({"id": "bf_emma"}, "bf_emma", API_KEY),  # OpenAI's custom voice object
        ("kitchen", "bf_emma", "kitchen"),  # a profile: its voice, speed and conversation
    ],
)
async def test_voices_are_kokoro_voices_openai_names_and_profiles(
    serve_web, voice: object, spoken_by: str, history_key: str
) -> None:
    engine = loaded_fake()
    async with serve_web([engine], PROFILES) as both:
        body = {"model": "tts-1", "voice": voice, "input": "Hi.", "instructions": "Whisper."}
        response = await both.web.post("/v1/audio/speech", json=body)
        await response.read()
        history = both.wyoming.service.satellites.history
        assert len(history.turns(history_key)) == 1
    assert response.status == 200
    assert {request.voice for request in engine.requests} == {spoken_by}
    assert all("Whisper" not in request.text for request in engine.requests)


async def test_a_profile_speed_gives_way_to_the_requested_one(serve_web) -> None:
    engine = loaded_fake()
    config = Config(satellites={"kitchen": SatelliteProfile(voice="bf_emma", speed=1.25)})
    async with serve_web([engine], config) as both:
        for speed in (None, 0.75):
            body = {"model": "tts-1", "voice": "kitchen", "input": "Hi.", "speed": speed}
            await (await both.web.post("/v1/audio/speech", json=body)).read()
    assert [request.speed for request in engine.requests] == [1.25, 0.75]


@pytest.mark.parametrize(
    ("model", "quality"),
    [("tts-1", "fast"), ("tts-1-hd", "conversational"), ("gpt-4o-mini-tts-2025-12-15", "auto")],
)
async def test_the_model_picks_the_quality_mode(serve_web, model: str, quality: str) -> None:
    engine = loaded_fake()
    async with serve_web([engine]) as both:
        service = both.wyoming.service
        opened: list[object] = []
        open_reply = service.open_reply

        def spy(name, context, sink, **kwargs):  # type: ignore[no-untyped-def]
            opened.append(context["quality"])
            return open_reply(name, context, sink, **kwargs)

        service.open_reply = spy  # type: ignore[method-assign]
        body = {"model": model, "voice": "af_heart", "input": "Hi."}
        assert (await both.web.post("/v1/audio/speech", json=body)).status == 200
    assert opened == [quality]


async def test_ssml_input_is_read_as_ssml(serve_web) -> None:
    engine = loaded_fake()
    text = '<speak>Hello there. <break time="700ms"/> Are you there?</speak>'
    async with serve_web([engine]) as both:
        body = {"model": "tts-1", "voice": "af_heart", "input": text, "response_format": "pcm"}
        pcm = await (await both.web.post("/v1/audio/speech", json=body)).read()
    assert not any("<" in request.text for request in engine.requests)
    assert seconds(pcm, SAMPLE_RATE) > speech_seconds("Hello there. Are you there?") + 0.2


async def test_models_and_voices_are_listed(serve_web) -> None:
    async with serve_web([loaded_fake()], PROFILES) as both:
        models = [model.id async for model in api_client(both.web).models.list()]
        voices = await (await both.web.get("/v1/audio/voices")).json()
    assert {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "fast", "auto"} <= set(models)
    assert voices["voices"] == ["af_heart", "bf_emma", "kitchen"]
    # Only the OpenAI names whose Kokoro voice is here
    assert voices["openai_voices"] == {"coral": "bf_emma", "marin": "af_heart"}


@pytest.mark.parametrize(
    ("key", "status"), [("sesame", 200), ("wrong", 401), ("sesame2", 401), ("", 401)]
)
async def test_with_an_api_key_every_api_request_needs_it(key: str, status: int) -> None:
    # web.clients lets no one in: the key opens the API (not the page) to any address
    async with api_app(loaded_fake(), api_key="sesame", clients=("10.1.2.3",)) as web:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        body = {"model": "tts-1", "voice": "af_heart", "input": "Hi."}
        speech = await web.post("/v1/audio/speech", json=body, headers=headers)
        models = await web.get("/v1/models", headers=headers)
        page = await web.get("/api/status", headers=headers)
        if status == 401:
            error = (await speech.json())["error"]
            assert (error["type"], error["code"]) == ("invalid_request_error", "invalid_api_key")
    assert (speech.status, models.status, page.status) == (status, status, 403)


async def test_the_openai_client_sends_the_key() -> None:
    async with api_app(loaded_fake(), api_key="sesame") as web:
        with pytest.raises(openai.AuthenticationError):
            await api_client(web, "wrong").models.list()
        models = [model.id async for model in api_client(web, "sesame").models.list()]
    assert "tts-1" in models


async def test_without_a_key_the_api_answers_where_the_page_does() -> None:
    async with api_app(loaded_fake(), clients=("10.1.2.3",)) as web:
        response = await web.get("/v1/models")
        error = (await response.json())["error"]
        cross_site = await web.get("/v1/models", headers={"Sec-Fetch-Site": "cross-site"})
    assert (response.status, error["code"]) == (403, "forbidden")
    assert cross_site.status == 403


def test_the_key_stays_out_of_the_settings_repr() -> None:
    assert "sesame" not in repr(WebSettings(listen="8080", api_key="sesame"))
