"""Against a real Home Assistant core (the version `ha_core_install` pins, installed by
scripts/setup_home_assistant): its own `wyoming` integration adds this server, lists its
voices and gets the audio of a satellite's pipeline reply; the side channel attaches the
run's question to that satellite's history, and still does after Home Assistant restarts.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from wyoming_polytts.satellites.history import HistoryStore, Turn
from wyoming_polytts.satellites.history_file import HistoryFile
from wyoming_polytts.satellites.settings import ContextSettings
from wyoming_polytts.storage import default_data_dir
from wyoming_polytts.testing.ha_core import HomeAssistantCore
from wyoming_polytts.testing.ha_core_install import installed, version
from wyoming_polytts.testing.launcher import ServerProcess, free_port, start_server
from wyoming_polytts.testing.voice_satellite import ScriptedAsr, ScriptedSatellite, serving

QUESTION = "What time is it?"
AFTER_RESTART = "What is the date?"
"""Another answer: Home Assistant would serve a repeated one-shot reply from its TTS cache."""
TIMEOUT = 120.0


def port_of(uri: str) -> int:
    port = urlparse(uri).port
    assert port is not None
    return port


async def entity_of(core: HomeAssistantCore, domain: str) -> str:
    """The one entity of `domain` Home Assistant has, once it has it."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            states = await core.call({"type": "get_states"})
            found = [s["entity_id"] for s in states if s["entity_id"].startswith(f"{domain}.")]
            if found:
                (entity,) = found
                return str(entity)
            await asyncio.sleep(0.5)


def load_history(path: Path) -> HistoryStore:
    history = HistoryStore(ContextSettings())
    HistoryFile(history, path, delay=0).load()
    return history


def saved_turns(path: Path, key: str, before: tuple[Turn, ...] = ()) -> tuple[Turn, ...]:
    """The turns of `key` in the server's history file, once they differ from `before`."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        turns = load_history(path).turns(key)
        if turns != before or time.monotonic() > deadline:
            return turns
        time.sleep(0.2)


async def start_polytts(tmp_path: Path, core: HomeAssistantCore) -> ServerProcess:
    """This server, following Home Assistant with the administrator's token."""
    config = tmp_path / "config.yaml"
    settings: dict[str, Any] = {
        "models": {"data_dirs": [str(default_data_dir())], "download_dir": str(tmp_path)},
        "context": {"persist": True, "save_delay": 0},
        "home_assistant": {
            "enabled": True,
            "url": core.websocket_url,
            "token": core.token,
            "reconnect_max": 2,
        },
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    server = await asyncio.to_thread(start_server, tmp_path, "--config", str(config))
    await asyncio.to_thread(server.wait_for_log, "Following assist satellites", TIMEOUT)
    return server


async def make_pipeline(core: HomeAssistantCore) -> tuple[str, list[str]]:
    """An Assist pipeline (preferred) whose TTS is this server with no voice named; returns
    its TTS entity and the voices Home Assistant lists for it."""
    tts = await entity_of(core, "tts")
    stt = await entity_of(core, "stt")
    engine = await core.call({"type": "tts/engine/get", "engine_id": tts})
    languages = engine["provider"]["supported_languages"]
    (language,) = [x for x in languages if x.replace("_", "-").lower() == "en-us"]
    listed = await core.call({"type": "tts/engine/voices", "engine_id": tts, "language": language})
    pipeline = await core.call(
        {
            "type": "assist_pipeline/pipeline/create",
            "name": "Kitchen",
            "language": "en",
            "conversation_engine": "conversation.home_assistant",
            "conversation_language": "en",
            "stt_engine": stt,
            "stt_language": "en",
            "tts_engine": tts,
            "tts_language": language,
            "tts_voice": None,
            "wake_word_entity": None,
            "wake_word_id": None,
        }
    )
    await core.call(
        {"type": "assist_pipeline/pipeline/set_preferred", "pipeline_id": pipeline["id"]}
    )
    return tts, [voice["voice_id"] for voice in listed["voices"]]


async def until_detached(satellite: ScriptedSatellite) -> None:
    while satellite.connected.is_set():
        await asyncio.sleep(0.2)


async def following(server: ServerProcess, times: int) -> None:
    """Until the server's side channel has connected (and read the states) `times` times."""
    while server.log.read_text(errors="replace").count("Following assist satellites") < times:
        await asyncio.sleep(0.2)


async def ask(satellite: ScriptedSatellite) -> tuple[str | None, int]:
    """A voice command on the satellite: (what Home Assistant heard, bytes of reply audio)."""
    await asyncio.wait_for(satellite.connected.wait(), TIMEOUT)
    exchange = await satellite.speak()
    await asyncio.wait_for(exchange.done.wait(), TIMEOUT)
    return exchange.transcript, exchange.audio_bytes


async def test_a_satellites_pipeline_reply_gets_its_question_across_a_restart(
    tmp_path: Path,
) -> None:
    assert installed(), f"Home Assistant {version()} missing: run scripts/setup_home_assistant"
    (tmp_path / "home-assistant").mkdir()
    core = HomeAssistantCore(tmp_path / "home-assistant")
    core.write_configuration()
    satellite = ScriptedSatellite("Kitchen")
    asr = ScriptedAsr(QUESTION)
    server: ServerProcess | None = None
    async with (
        serving(asr, free_port()) as asr_uri,
        serving(satellite, free_port()) as satellite_uri,
    ):
        try:
            await core.start()
            await core.onboard()
            await core.add_wyoming("127.0.0.1", port_of(asr_uri))
            await core.add_wyoming("127.0.0.1", port_of(satellite_uri))
            kitchen = await entity_of(core, "assist_satellite")
            server = await start_polytts(tmp_path, core)
            await core.add_wyoming(server.host, server.port)
            _tts, voices = await make_pipeline(core)

            first = await ask(satellite)
            turns = await asyncio.to_thread(saved_turns, tmp_path / "context.npz", kitchen)

            await core.stop()  # a restart, while this server runs
            await asyncio.wait_for(until_detached(satellite), TIMEOUT)
            await core.start()
            await asyncio.wait_for(following(server, 2), TIMEOUT)  # states read again
            asr.question = AFTER_RESTART
            second = await ask(satellite)
            after = await asyncio.to_thread(saved_turns, tmp_path / "context.npz", kitchen, turns)
        finally:
            if server is not None:
                server.stop()
            await core.stop()
    log = server.log.read_text(errors="replace")
    assert load_history(tmp_path / "context.npz").keys() == (kitchen,)  # none by default
    assert "af_heart" in voices
    assert first[0] == QUESTION and first[1] > 0, core.log_text()
    assert [turn.user_text for turn in turns] == [QUESTION], log
    assert second[0] == AFTER_RESTART and second[1] > 0
    # Home Assistant restarted: a new conversation (its id changed), the old turns forgotten
    assert [turn.user_text for turn in after] == [AFTER_RESTART], log
    assert log.count("Following assist satellites") == 2
    loud = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert loud == []
