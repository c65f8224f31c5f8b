"""The web endpoints with aiohttp's test client, on the real service with a fake engine."""

from __future__ import annotations

import asyncio
import io
import threading
import wave
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from wyoming_polytts.app import build_parts
from wyoming_polytts.config import Config
from wyoming_polytts.engines.base import SAMPLE_RATE, Audio, EngineVoice, SynthesisRequest
from wyoming_polytts.engines.errors import BadVoice
from wyoming_polytts.reply.settings import ReplySettings
from wyoming_polytts.satellites.settings import SatelliteProfile
from wyoming_polytts.server.settings import ServerSettings
from wyoming_polytts.testing.client import stream_reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import SECONDS_PER_CHAR, FakeEngine, loaded_fake
from wyoming_polytts.text import TextSettings, split_text
from wyoming_polytts.web.endpoints import build_app
from wyoming_polytts.web.preview import PREVIEW_KEY
from wyoming_polytts.web.settings import WebSettings

SECRET_REPLY = "The code word is Zanzibar. Nobody else may hear it."
PREVIEW_TEXT = "Hello there. This is what the kitchen will sound like."
PROFILES = Config(satellites={"kitchen": SatelliteProfile(voice="bf_emma", speed=1.25)})


def speech_seconds(text: str, speed: float = 1.0) -> float:
    """How long the fake engine's reply to `text` lasts, pauses included."""
    segments = split_text(text, TextSettings(), "en-US")
    samples = sum(round(len(s.text) * SECONDS_PER_CHAR * SAMPLE_RATE / speed) for s in segments)
    pauses = sum(round(SAMPLE_RATE * TextSettings().pauses.after(s.pause)) for s in segments[:-1])
    return (samples + pauses) / SAMPLE_RATE


async def test_status_lists_engines_and_replies_but_never_their_text(serve_web) -> None:
    async with serve_web([loaded_fake()]) as both:
        server = both.wyoming
        reply = await stream_reply(server.host, server.port, SECRET_REPLY)
        response = await both.web.get("/api/status")
        body = await response.text()
        status = await response.json()
    assert response.status == 200
    assert "Zanzibar" not in body
    (engine,) = status["engines"]
    assert engine | {"load_seconds": None} == {
        "name": "kokoro",
        "state": "ready",
        "device": "cpu",
        "load_seconds": None,
        "workers": 1,
        "circuit": "closed",
        "queued_segments": 0,
        "replies_in_progress": 0,
        "voices": 2,
    }
    assert engine["load_seconds"] >= 0
    assert status["connections"]["total"] == 1
    assert status["replies"]["in_progress"] == []
    (recent,) = status["replies"]["recent"]
    assert (recent["engine"], recent["voice"], recent["satellite"]) == (
        "kokoro",
        "af_heart",
        "default",
    )
    assert (recent["outcome"], recent["fallbacks"], recent["underruns"]) == ("ok", [], 0)
    assert recent["audio_seconds"] == pytest.approx(reply.audio_seconds, abs=1e-3)
    assert 0 < recent["first_audio_seconds"] <= reply.total_seconds
    assert recent["real_time_factor"] == pytest.approx(
        recent["synthesis_seconds"] / recent["audio_seconds"]
    )
    assert status["satellites"][0]["key"] == "default"
    assert status["satellites"][0]["turns"] == 1
    assert status["cache"] is None  # the in-process server runs without it


async def test_a_reply_in_progress_is_listed_while_it_speaks(serve_web) -> None:
    engine = loaded_fake()
    engine.gate.clear()
    async with serve_web([engine]) as both:
        server = both.wyoming
        pending = asyncio.create_task(synthesize_reply(server.host, server.port, "Wait for it."))
        await asyncio.to_thread(engine.started.acquire, timeout=5)
        status = await (await both.web.get("/api/status")).json()
        engine.gate.set()
        await pending
    (live,) = status["replies"]["in_progress"]
    assert (live["outcome"], live["first_audio_seconds"]) == (None, None)
    assert status["engines"][0]["replies_in_progress"] == 1
    assert status["connections"]["open"] == 1


@pytest.mark.parametrize(
    ("voice", "spoken_by", "speed"),
    [(None, "af_heart", 1.0), ("bf_emma", "bf_emma", 1.0), ("kitchen", "bf_emma", 1.25)],
)
async def test_preview_is_a_wav_of_a_reply_like_any_other(
    serve_web, voice: str | None, spoken_by: str, speed: float
) -> None:
    engine = loaded_fake()
    async with serve_web([engine], PROFILES) as both:
        query = {"text": PREVIEW_TEXT} | ({"voice": voice} if voice else {})
        response = await both.web.get("/api/speak", params=query)
        wav = await response.read()
        status = await (await both.web.get("/api/status")).json()
        history = both.wyoming.service.satellites.history
        assert history.turns("kitchen") == () and history.turns("default") == ()
        assert len(history.turns(PREVIEW_KEY)) == 1
    assert response.status == 200
    assert response.content_type == "audio/wav"
    with wave.open(io.BytesIO(wav)) as file:
        assert (file.getframerate(), file.getnchannels(), file.getsampwidth()) == (
            SAMPLE_RATE,
            1,
            2,
        )
        assert file.getnframes() / SAMPLE_RATE == pytest.approx(
            speech_seconds(PREVIEW_TEXT, speed), abs=1e-3
        )
    assert {request.voice for request in engine.requests} == {spoken_by}
    (recent,) = status["replies"]["recent"]
    assert (recent["satellite"], recent["voice"], recent["outcome"]) == (
        PREVIEW_KEY,
        spoken_by,
        "ok",
    )


class HoldsTheRest(FakeEngine):
    """Speaks the first segment at once and the others once `rest` is set (or fails them)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rest = threading.Event()
        self.loaded.set()

    def synthesize(self, request: SynthesisRequest, cancel: threading.Event) -> Iterator[Audio]:
        if self.requests:
            self.rest.wait(timeout=30)
        return super().synthesize(request, cancel)


async def test_a_streamed_preview_starts_at_the_first_audio(serve_web) -> None:
    engine = HoldsTheRest()
    first, *_ = split_text(PREVIEW_TEXT, TextSettings(), "en-US")
    first_bytes = round(len(first.text) * SECONDS_PER_CHAR * SAMPLE_RATE) * 2
    async with serve_web([engine]) as both:
        params = {"text": PREVIEW_TEXT, "stream": "1"}
        async with both.web.get("/api/speak", params=params) as response:
            head = await response.content.readexactly(44 + first_bytes)
            # The first segment arrived while the rest is still being synthesized
            assert len(both.wyoming.service.recorder.snapshot().in_progress) == 1
            engine.rest.set()
            rest = await response.read()
    assert (response.status, response.content_type) == (200, "audio/wav")
    assert head[:4] == b"RIFF" and head[8:16] == b"WAVEfmt "
    assert head[4:8] == head[40:44] == b"\xff\xff\xff\xff"  # the length is left open
    samples = (len(head) - 44 + len(rest)) // 2
    assert samples / SAMPLE_RATE == pytest.approx(speech_seconds(PREVIEW_TEXT), abs=1e-3)


async def test_a_streamed_preview_that_fails_after_its_first_audio_ends_short(serve_web) -> None:
    engine = HoldsTheRest(fail_on="kitchen")
    engine.rest.set()
    async with serve_web([engine]) as both:
        response = await both.web.get("/api/speak", params={"text": PREVIEW_TEXT, "stream": "1"})
        body = await response.read()
        status = await (await both.web.get("/api/status")).json()
    assert response.status == 200
    assert 44 < len(body) < 44 + speech_seconds(PREVIEW_TEXT) * SAMPLE_RATE * 2
    assert status["replies"]["recent"][0]["outcome"] == "synthesis-failed"
    assert status["errors"] == {"synthesis-failed": 1}


class BlendingEngine(FakeEngine):
    """Understands `a+b` of its voices, as Kokoro does; a blend of an unknown voice is bad."""

    def find_voice(self, name: str) -> EngineVoice | None:
        parts = name.split("+")
        if len(parts) == 1:
            return super().find_voice(name)
        unknown = [part for part in parts if super(BlendingEngine, self).find_voice(part) is None]
        if unknown:
            raise BadVoice(f"blend {name}: no voice {unknown[0]}")
        return EngineVoice(name, ("en-US",), f"blend of {name}", self.name)


@pytest.mark.parametrize(("voice", "status"), [("af_heart+bf_emma", 200), ("af_heart+nobody", 400)])
async def test_preview_speaks_any_voice_an_engine_understands(
    serve_web, voice: str, status: int
) -> None:
    engine = BlendingEngine()
    engine.loaded.set()
    async with serve_web([engine]) as both:
        response = await both.web.get("/api/speak", params={"voice": voice, "text": "Mixed."})
        body = await response.read()
    assert response.status == status
    if status == 200:
        assert [request.voice for request in engine.requests] == [voice]
    else:
        assert b'"bad-voice"' in body and b"no voice nobody" in body


async def test_preview_reads_ssml_when_asked(serve_web) -> None:
    engine = loaded_fake()
    text = '<speak>Hello there. <break time="700ms"/> Are you <emphasis>there</emphasis>?</speak>'
    async with serve_web([engine]) as both:
        plain = await both.web.get("/api/speak", params={"text": text})
        ssml = await both.web.get("/api/speak", params={"text": text, "format": "ssml"})
        plain_bytes, ssml_bytes = len(await plain.read()), len(await ssml.read())
    assert plain.status == ssml.status == 200
    assert not any("<" in request.text for request in engine.requests)
    # The 700 ms break is heard (in place of the sentence's pause); markdown drops the tag
    assert ssml_bytes > plain_bytes + 0.2 * SAMPLE_RATE * 2


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"voice": "nobody", "text": "Hello."}, 400, "unknown-voice"),
        ({"text": "x" * 101}, 400, "text-too-long"),
        ({"voice": "nobody", "text": "Hello.", "stream": "1"}, 400, "unknown-voice"),
        ({"text": "  "}, 400, "protocol"),
        ({}, 400, "protocol"),
        ({"text": "Hello.", "quality": "best"}, 400, "protocol"),
        ({"text": "Hello.", "format": "html"}, 400, "protocol"),
    ],
)
async def test_preview_errors_are_json_with_wyoming_codes(
    serve_web, query: dict[str, str], status: int, code: str
) -> None:
    engine = loaded_fake()
    config = Config(server=ServerSettings(max_text_chars=100))
    async with serve_web([engine], config) as both:
        response = await both.web.get("/api/speak", params=query)
        body = await response.json()
        errors = (await (await both.web.get("/api/status")).json())["errors"]
    assert response.status == status
    assert body["code"] == code and body["message"]
    assert errors == {code: 1}
    assert engine.requests == []


async def test_preview_is_refused_while_the_engine_is_busy(serve_web) -> None:
    engine = loaded_fake()
    engine.gate.clear()
    config = Config(replies=ReplySettings(max_per_engine=1))
    async with serve_web([engine], config) as both:
        server = both.wyoming
        pending = asyncio.create_task(stream_reply(server.host, server.port, "Busy now."))
        await asyncio.to_thread(engine.started.acquire, timeout=5)
        response = await both.web.get("/api/speak", params={"text": "Me too."})
        body = await response.json()
        engine.gate.set()
        await pending
        # The slot is free again once the reply is over
        assert (await both.web.get("/api/speak", params={"text": "Now."})).status == 200
    assert (response.status, body["code"], response.headers["Retry-After"]) == (503, "busy", "1")


async def test_a_head_request_does_not_synthesize(serve_web) -> None:
    engine = loaded_fake()
    async with serve_web([engine]) as both:
        response = await both.web.head("/api/speak", params={"text": "Hello."})
    assert response.status == 405
    assert engine.requests == []


async def test_a_failed_preview_reports_the_reply_error(serve_web) -> None:
    async with serve_web([loaded_fake(fail_on="")]) as both:
        response = await both.web.get("/api/speak", params={"text": "Break."})
        body = await response.json()
        status = await (await both.web.get("/api/status")).json()
    assert (response.status, body["code"]) == (500, "synthesis-failed")
    assert status["errors"] == {"synthesis-failed": 1}  # counted once, by the reply
    assert status["replies"]["recent"][0]["outcome"] == "synthesis-failed"


async def test_voices_lists_engine_voices_and_profiles(serve_web) -> None:
    async with serve_web([loaded_fake()], PROFILES) as both:
        voices = await (await both.web.get("/api/voices")).json()
    by_name = {voice["name"]: voice for voice in voices}
    assert set(by_name) == {"af_heart", "bf_emma", "kitchen"}
    assert by_name["kitchen"]["profile"] and not by_name["af_heart"]["profile"]
    assert by_name["kitchen"]["languages"] == ["en-GB"]


@pytest.mark.parametrize(
    ("path", "headers", "allowed"),
    [
        ("/api/status", {}, True),  # curl, Prometheus
        ("/api/status", {"Sec-Fetch-Site": "same-origin"}, True),
        ("/api/speak?text=Hi", {"Sec-Fetch-Site": "none"}, True),  # typed in the address bar
        ("/api/status", {"Sec-Fetch-Site": "cross-site"}, False),
        ("/api/status", {"Sec-Fetch-Site": "same-site"}, False),
        ("/metrics", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, False),
        ("/api/speak?text=Hi", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "audio"}, False),
        # A link from elsewhere may open the page, but not start a preview
        (
            "/",
            {
                "Sec-Fetch-Site": "cross-site",
                "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "document",
            },
            True,
        ),
        (
            "/",
            {
                "Sec-Fetch-Site": "cross-site",
                "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "iframe",
            },
            False,
        ),
        (
            "/api/speak?text=Hi",
            {
                "Sec-Fetch-Site": "cross-site",
                "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "document",
            },
            False,
        ),
        # Browsers without Sec-Fetch-* say where they come from in Origin
        ("/api/status", {"Origin": "http://evil.example"}, False),
        ("/api/status", {"Origin": "null"}, False),
        ("/api/status", {"Origin": "http://{host}"}, True),
        # Behind a proxy (Home Assistant's ingress) the browser's host is the forwarded one
        (
            "/api/status",
            {"Origin": "http://ha.local:8123", "X-Forwarded-Host": "ha.local:8123"},
            True,
        ),
    ],
)
async def test_requests_from_other_sites_are_refused(
    serve_web, path: str, headers: dict[str, str], allowed: bool
) -> None:
    engine = loaded_fake()
    async with serve_web([engine]) as both:
        host = f"{both.web.host}:{both.web.port}"
        sent = {name: value.format(host=host) for name, value in headers.items()}
        response = await both.web.get(path, headers=sent)
        body = await response.read()
    if allowed:
        assert response.status == 200
    else:
        assert response.status == 403
        assert b'"forbidden"' in body
        assert engine.requests == []
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("ingress_path", "base"),
    [
        (None, "./"),
        ("/api/hassio_ingress/abc123_XYZ", "/api/hassio_ingress/abc123_XYZ/"),
        ("/api/hassio_ingress/abc123/", "/api/hassio_ingress/abc123/"),
        ('/x"><script>alert(1)</script>', "./"),
        ("https://elsewhere.example/", "./"),
    ],
)
async def test_page_links_resolve_below_the_ingress_path(
    serve_web, ingress_path: str | None, base: str
) -> None:
    async with serve_web([loaded_fake()]) as both:
        headers = {"X-Ingress-Path": ingress_path} if ingress_path else {}
        response = await both.web.get("/", headers=headers)
        html = await response.text()
    assert response.content_type == "text/html"
    assert f'<base href="{base}">' in html
    scripts = ('<script src="static/app.js" defer>', '<script src="static/preview.js" defer>')
    assert all(script in html for script in scripts)
    assert html.count("<script") == len(scripts)  # no inline script
    # Every link is relative, so it resolves below the base
    assert 'href="/' not in html.replace(f'href="{base}"', "") and 'src="/' not in html


ASSET_TYPES = {
    "/static/app.js": "javascript",
    "/static/preview.js": "javascript",
    "/static/style.css": "text/css",
    "/static/icon.svg": "image/svg+xml",
}


@pytest.mark.parametrize(("path", "content_type"), ASSET_TYPES.items())
async def test_the_page_assets_are_served(serve_web, path: str, content_type: str) -> None:
    async with serve_web([loaded_fake()]) as both:
        response = await both.web.get(path)
        body = await response.text()
    assert response.status == 200
    assert content_type in response.content_type
    # Nothing comes from the internet (an SVG names its XML namespace by URL)
    outside = body.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert body and "http:" not in outside and "https:" not in outside


@pytest.mark.parametrize(("clients", "allowed"), [(("10.1.2.3",), False), (("127.0.0.0/8",), True)])
async def test_only_the_configured_clients_may_connect(
    clients: tuple[str, ...], allowed: bool
) -> None:
    service = build_parts(Config(), [loaded_fake()]).service
    app = build_app(service, ServerSettings(), WebSettings(clients=clients).networks)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/api/status")
    assert response.status == (200 if allowed else 403)


async def test_once_the_server_is_stopping_new_replies_are_unavailable(serve_web) -> None:
    """Wyoming's and the page's alike: those in progress may finish, no new one starts."""
    engine = loaded_fake()
    async with serve_web([engine], Config()) as both:
        both.wyoming.service.stop_accepting()
        response = await both.web.get("/api/speak", params={"text": "Hello."})
        body = await response.json()
        reply = await synthesize_reply(both.wyoming.host, both.wyoming.port, "Hello.")
    assert (response.status, body["code"]) == (503, "unavailable")
    assert reply.error is not None and reply.error.code == "unavailable"
    assert engine.requests == []
