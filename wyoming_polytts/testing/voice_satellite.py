"""A Wyoming voice satellite and speech recognizer for a real Home Assistant, on loopback.

Home Assistant's `wyoming` integration connects to a satellite (it is the client), makes it an
`assist_satellite` entity and runs a pipeline when the satellite asks (`run-pipeline`), with
the satellite's audio as the speech to recognize; its own code then drives the entity's
states. `ScriptedSatellite.speak` is that exchange, started when a test says (the satellite
on the package index, wyoming-satellite 1.0.0, pins an old `wyoming` and starts exchanges
from a microphone). `ScriptedAsr` is the pipeline's speech-to-text: it hears `question`
whatever audio comes. Both answer `describe` and `ping` as Home Assistant expects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypedDict

from wyoming.asr import Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.info import AsrModel, AsrProgram, Attribution, Describe, Info, Satellite
from wyoming.ping import Ping, Pong
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.satellite import RunSatellite
from wyoming.server import AsyncEventHandler, AsyncServer
from wyoming.snd import Played


class _Artifact(TypedDict):
    attribution: Attribution
    installed: bool
    version: str


ARTIFACT: _Artifact = {
    "attribution": Attribution(name="wyoming_polytts tests", url=""),
    "installed": True,
    "version": "1.0",
}
"""What every program and model of these peers says of itself."""
RATE = 16000
"""What Home Assistant's pipeline takes: 16 kHz, 16-bit mono."""


@dataclass
class Exchange:
    """What the satellite got back for one voice command."""

    transcript: str | None = None
    audio_bytes: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


class ScriptedSatellite:
    """A satellite Home Assistant connects to; `speak` runs one voice command."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.connected = asyncio.Event()
        self._handler: _SatelliteHandler | None = None

    def info(self) -> Info:
        satellite = Satellite(name=self.name, description=f"{self.name} satellite", **ARTIFACT)
        return Info(satellite=satellite)

    def attach(self, handler: _SatelliteHandler) -> None:
        """Home Assistant runs the satellite over this connection."""
        self._handler = handler
        self.connected.set()

    def detach(self, handler: _SatelliteHandler) -> None:
        """A connection closed: if it was Home Assistant's, it is gone."""
        if self._handler is handler:
            self._handler = None
            self.connected.clear()

    async def speak(self, seconds: float = 0.5) -> Exchange:
        """Ask Home Assistant to run the pipeline and send `seconds` of (silent) speech;
        returns at once: the exchange's `done` is set when the reply has played."""
        handler = self._handler
        if handler is None:
            raise ConnectionError(f"Home Assistant is not connected to {self.name}")
        exchange = handler.exchange = Exchange()
        await handler.write_event(
            RunPipeline(start_stage=PipelineStage.ASR, end_stage=PipelineStage.TTS).event()
        )
        chunk = AudioChunk(rate=RATE, width=2, channels=1, audio=bytes(RATE // 10 * 2))
        await handler.write_event(AudioStart(rate=RATE, width=2, channels=1).event())
        for _ in range(round(seconds * 10)):
            await handler.write_event(chunk.event())
        await handler.write_event(AudioStop().event())
        return exchange


class _SatelliteHandler(AsyncEventHandler):
    def __init__(self, satellite: ScriptedSatellite, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.satellite = satellite
        self.exchange: Exchange | None = None

    async def handle_event(self, event: Event) -> bool:
        exchange = self.exchange
        if Describe.is_type(event.type):
            await self.write_event(self.satellite.info().event())
        elif Ping.is_type(event.type):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif RunSatellite.is_type(event.type):
            self.satellite.attach(self)
        elif Transcript.is_type(event.type) and exchange is not None:
            exchange.transcript = Transcript.from_event(event).text
        elif AudioChunk.is_type(event.type) and exchange is not None:
            exchange.audio_bytes += len(AudioChunk.from_event(event).audio)
        elif AudioStop.is_type(event.type) and exchange is not None:
            await self.write_event(Played().event())  # back to idle in Home Assistant
            exchange.done.set()
        return True

    async def disconnect(self) -> None:
        self.satellite.detach(self)


class ScriptedAsr:
    """Speech-to-text that hears `question` in whatever audio it gets."""

    def __init__(self, question: str) -> None:
        self.question = question
        self.heard = 0

    def info(self) -> Info:
        model = AsrModel(
            name="scripted", description="the test's words", languages=["en"], **ARTIFACT
        )
        program = AsrProgram(
            name="scripted-asr", description="scripted speech-to-text", models=[model], **ARTIFACT
        )
        return Info(asr=[program])


class _AsrHandler(AsyncEventHandler):
    def __init__(self, asr: ScriptedAsr, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.asr = asr

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(self.asr.info().event())
        elif AudioStop.is_type(event.type):
            self.asr.heard += 1
            await self.write_event(Transcript(text=self.asr.question).event())
            return False
        return True


@asynccontextmanager
async def serving(peer: ScriptedSatellite | ScriptedAsr, port: int) -> AsyncIterator[str]:
    """Serve `peer` on 127.0.0.1:`port`; yields its URI."""
    uri = f"tcp://127.0.0.1:{port}"
    server = AsyncServer.from_uri(uri)
    handler = _SatelliteHandler if isinstance(peer, ScriptedSatellite) else _AsrHandler
    await server.start(lambda *args: handler(peer, *args))  # type: ignore[arg-type]
    try:
        yield uri
    finally:
        await server.stop()
