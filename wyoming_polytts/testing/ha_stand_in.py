"""A local stand-in for Home Assistant's websocket API (127.0.0.1 only).

It speaks the documented messages: auth_required / auth / auth_ok or auth_invalid,
commands with ids answered by `result`, `subscribe_events` followed by `event`
messages, `get_states`, `config/entity_registry/get`, `assist_pipeline/pipeline/list`
and `assist_pipeline/pipeline_debug/list|get` with pipeline run events.

`voice_command`, `announce` and `restart` do what Home Assistant core 2026.2.3 does, in
its order, as read in its source:
- `components/assist_pipeline/pipeline.py`: a `PipelineRun` is created (its debug entry and
  `timestamp` taken in `__post_init__`) before `PipelineInput.execute` emits `run-start`;
  every `PipelineEvent` is stamped when made, handed to the satellite's callback, then
  recorded for `pipeline_debug`; `execute` always ends with `run-end` (after an `error`
  too), right after `tts-end`, while the satellite is still speaking.
- `components/assist_satellite/entity.py` (`_internal_on_pipeline_event`): `stt-start`
  sets `listening`, `intent-start` `processing`, `tts-start` `responding`; `run-end`
  sets `idle` only for a run without TTS; otherwise `idle` comes when the satellite has
  played the reply (`tts_response_finished`). `async_internal_announce` sets `responding`
  with no run, and `idle` when done.
- `components/wyoming/assist_satellite.py`: the TTS audio is read (so this server is
  asked) after `tts-end`, or at `intent-progress` when the reply streams.
- `components/websocket_api/`: a stopping Home Assistant closes its websockets; the states
  are read again after a restart, when the debug view of pipeline runs starts empty.
Its clock (`now`) is far from this machine's: the side channel must compare only Home
Assistant's times.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import WSMsgType, web

TOKEN = "long-lived-token-that-must-never-be-logged"


@dataclass
class FakeHomeAssistant:
    states: dict[str, str] = field(default_factory=dict)
    devices: dict[str, str] = field(default_factory=dict)
    """entity_id -> device_id"""
    runs: list[tuple[str, str, list[dict[str, Any]]]] = field(default_factory=list)
    """(timestamp, run id, events) of pipeline "p1"."""
    admin: bool = True
    evicted: set[str] = field(default_factory=set)
    """Run ids listed but gone when asked for (Home Assistant keeps 10 runs per pipeline)."""
    connections: int = 0
    commands: list[str] = field(default_factory=list)
    url: str = ""
    now: datetime = datetime(2026, 11, 26, 10, 0, 30, tzinfo=UTC)
    """Its clock: state changes are stamped with it."""
    changed: dict[str, str] = field(default_factory=dict)
    """entity_id -> when its state last changed"""
    _sockets: list[tuple[web.WebSocketResponse, int]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _site: web.TCPSite | None = None
    _address: tuple[str, int] = ("127.0.0.1", 0)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.connections += 1
        await socket.send_json({"type": "auth_required", "ha_version": "2026.2.3"})
        auth = await socket.receive_json()
        if auth.get("type") != "auth" or auth.get("access_token") != TOKEN:
            await socket.send_json({"type": "auth_invalid", "message": "Invalid access token"})
            await socket.close()
            return socket
        await socket.send_json({"type": "auth_ok", "ha_version": "2026.2.3"})
        async for message in socket:
            if message.type is WSMsgType.TEXT:
                await self._command(socket, message.json())
        return socket

    async def _command(self, socket: web.WebSocketResponse, command: dict[str, Any]) -> None:
        kind, ident = command["type"], command["id"]
        self.commands.append(kind)
        if kind == "subscribe_events":
            self._sockets.append((socket, ident))
            result: Any = None
        elif kind == "get_states":
            result = [
                {
                    "entity_id": entity,
                    "state": state,
                    "attributes": {},
                    "last_changed": self.changed.get(entity, "2026-11-26T09:00:00+00:00"),
                }
                for entity, state in self.states.items()
            ]
        elif kind == "config/entity_registry/get":
            result = {
                "entity_id": command["entity_id"],
                "device_id": self.devices.get(command["entity_id"]),
            }
        elif kind == "assist_pipeline/pipeline/list":
            result = {"pipelines": [{"id": "p1", "name": "Assist"}], "preferred_pipeline": "p1"}
        elif kind.startswith("assist_pipeline/pipeline_debug/") and not self.admin:
            await _refuse(socket, ident, "unauthorized", "Unauthorized")
            return
        elif kind == "assist_pipeline/pipeline_debug/list":
            result = {
                "pipeline_runs": [
                    {"pipeline_run_id": run_id, "timestamp": stamp}
                    for stamp, run_id, _ in self.runs
                ]
            }
        elif kind == "assist_pipeline/pipeline_debug/get":
            found = [e for _, run_id, e in self.runs if run_id == command["pipeline_run_id"]]
            if not found or command["pipeline_run_id"] in self.evicted:
                run_id = command["pipeline_run_id"]
                await _refuse(socket, ident, "not_found", f"pipeline_run_id {run_id} not found")
                return
            result = {"events": found[0]}
        else:
            await _refuse(socket, ident, "unknown_command", "Unknown command.")
            return
        await socket.send_json({"id": ident, "type": "result", "success": True, "result": result})

    def tick(self) -> str:
        """Home Assistant's clock, one second on at every stamp (its ISO form)."""
        self.now += timedelta(seconds=1)
        return self.now.isoformat()

    async def set_state(self, entity_id: str, state: str) -> None:
        """Change a state and send state_changed to the subscribers."""
        old = self.states.get(entity_id)
        self.states[entity_id] = state
        changed = self.changed[entity_id] = self.tick()
        for socket, ident in list(self._sockets):
            if socket.closed:
                continue
            await socket.send_json(
                {
                    "id": ident,
                    "type": "event",
                    "event": {
                        "event_type": "state_changed",
                        "data": {
                            "entity_id": entity_id,
                            "old_state": {"entity_id": entity_id, "state": old},
                            "new_state": {
                                "entity_id": entity_id,
                                "state": state,
                                "last_changed": changed,
                            },
                        },
                        "origin": "LOCAL",
                        "time_fired": changed,
                    },
                }
            )

    async def send_raw(self, message: object) -> None:
        """Anything at all, to every subscriber (what a future or broken Home Assistant might)."""
        for socket, _ident in self._sockets:
            await socket.send_json(message)

    def add_run(
        self,
        run_id: str,
        stamp: str,
        device_id: str,
        question: str,
        conversation: str,
        *,
        ended: bool = False,
    ) -> None:
        """A pipeline run made up by a test (all stamped `stamp`); one that `ended` has its
        run-end event. `voice_command` makes them as Home Assistant does."""
        end = [{"type": "run-end", "data": None, "timestamp": stamp}] if ended else []
        self.runs.append(
            (
                stamp,
                run_id,
                [
                    {"type": "run-start", "data": {"pipeline": "p1", "language": "en"}},
                    {"type": "stt-end", "data": {"stt_output": {"text": question}}},
                    {
                        "type": "intent-start",
                        "data": {
                            "engine": "conversation.llm",
                            "intent_input": question,
                            "conversation_id": conversation,
                            "device_id": device_id,
                        },
                    },
                    *end,
                ],
            )
        )

    async def voice_command(
        self,
        entity_id: str,
        question: str,
        *,
        conversation: str = "conv-1",
        fails_at: str | None = None,
    ) -> list[dict[str, Any]]:
        """A satellite's voice command, run as Home Assistant runs it, until the reply's audio
        is asked for (the satellite `responding`, the run already ended); `played` ends it.
        `fails_at` ("stt" or "intent"): that stage's error ends the run, the satellite goes
        back to idle. Returns the run's events (as pipeline_debug/get shows them)."""
        events: list[dict[str, Any]] = []
        self.runs.append((self.tick(), f"run-{len(self.runs) + 1}", events))
        steps = _run_events(entity_id, question, conversation, self.devices.get(entity_id))
        for kind, data in steps:
            if fails_at is not None and kind.startswith(fails_at) and kind.endswith("-end"):
                events.append(
                    self._event("error", {"code": f"{fails_at}-failed", "message": "failed"})
                )
                break
            events.append(self._event(kind, data))
            if kind in SATELLITE_STATES:
                await self.set_state(entity_id, SATELLITE_STATES[kind])
        events.append(self._event("run-end", None))
        if fails_at is not None:
            await self.set_state(entity_id, "idle")  # run-end of a run without TTS
        return events

    async def played(self, entity_id: str) -> None:
        """The satellite has played the reply: back to idle."""
        await self.set_state(entity_id, "idle")

    async def announce(self, entity_id: str) -> None:
        """assist_satellite.announce: `responding` with no pipeline run (then `played`)."""
        await self.set_state(entity_id, "responding")

    def _event(self, kind: str, data: dict[str, Any] | None) -> dict[str, Any]:
        return {"type": kind, "data": data, "timestamp": self.tick()}

    async def open(self) -> None:
        """Listen on a free loopback port (`url`)."""
        app = web.Application()
        app.router.add_get("/api/websocket", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        host, port = self._runner.addresses[0][:2]
        self._address = (host, port)
        self.url = f"ws://{host}:{port}/api/websocket"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def stop(self) -> None:
        """Home Assistant stops: its websockets close, its port refuses connections."""
        await self.drop_connections()
        if self._site is not None:
            await self._site.stop()

    async def start(self) -> None:
        """Home Assistant (re)starts on the same port: states read afresh, satellites idle,
        no pipeline run in its debug view."""
        self.runs.clear()
        for entity in self.states:
            if entity.startswith("assist_satellite."):
                self.states[entity] = "idle"
                self.changed[entity] = self.tick()
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, *self._address)
        await self._site.start()

    async def drop_connections(self) -> None:
        for socket, _ in self._sockets:
            await socket.close()
        self._sockets.clear()


SATELLITE_STATES = {
    "stt-start": "listening",
    "intent-start": "processing",
    "tts-start": "responding",
}
"""The state each event sets (`assist_satellite/entity.py`, `_internal_on_pipeline_event`)."""


def _run_events(
    entity_id: str, question: str, conversation: str, device_id: str | None
) -> list[tuple[str, dict[str, Any] | None]]:
    """A voice command's events until its reply's audio is asked for, with their data."""
    return [
        (
            "run-start",
            {
                "pipeline": "p1",
                "language": "en",
                "conversation_id": conversation,
                "satellite_id": entity_id,
            },
        ),
        ("stt-start", {"engine": "stt.faster_whisper", "metadata": {"language": "en"}}),
        ("stt-end", {"stt_output": {"text": question}}),
        (
            "intent-start",
            {
                "engine": "conversation.home_assistant",
                "language": "en",
                "intent_input": question,
                "conversation_id": conversation,
                "device_id": device_id,
                "satellite_id": entity_id,
                "prefer_local_intents": False,
            },
        ),
        (
            "intent-end",
            {
                "processed_locally": True,
                "intent_output": {"conversation_id": conversation, "response": {"speech": {}}},
            },
        ),
        (
            "tts-start",
            {"engine": "tts.polytts", "language": "en", "voice": None, "tts_input": "A reply."},
        ),
        ("tts-end", {"tts_output": {"media_id": "media-source://tts/-stream-/x"}}),
    ]


async def _refuse(socket: web.WebSocketResponse, ident: int, code: str, message: str) -> None:
    """A command's result with success: false, as Home Assistant answers it."""
    error = {"code": code, "message": message}
    await socket.send_json({"id": ident, "type": "result", "success": False, "error": error})


@asynccontextmanager
async def fake_home_assistant() -> AsyncIterator[FakeHomeAssistant]:
    fake = FakeHomeAssistant()
    await fake.open()
    try:
        yield fake
    finally:
        await fake.drop_connections()
        await fake.close()
