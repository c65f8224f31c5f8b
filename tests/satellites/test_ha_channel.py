"""The Home Assistant side channel against a local server that speaks HA's websocket API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import types
from collections.abc import AsyncIterator

import pytest

from wyoming_polytts.config import Config
from wyoming_polytts.satellites.ha_channel import (
    HomeAssistantChannel,
    channel_endpoint,
    exposes_token,
)
from wyoming_polytts.satellites.settings import (
    SUPERVISOR_URL,
    HomeAssistantSettings,
    SatelliteProfile,
)
from wyoming_polytts.testing.client import stream_reply
from wyoming_polytts.testing.fake_engine import loaded_fake
from wyoming_polytts.testing.ha_stand_in import TOKEN, FakeHomeAssistant, fake_home_assistant
from wyoming_polytts.testing.waiting import wait_for

KITCHEN = "assist_satellite.kitchen_pe"
OFFICE = "assist_satellite.office_pe"


def settings(fake: FakeHomeAssistant, token: str = TOKEN) -> HomeAssistantSettings:
    return HomeAssistantSettings(
        enabled=True, url=fake.url, token=token, reconnect_min=0.05, reconnect_max=0.2
    )


@contextlib.asynccontextmanager
async def running(channel: HomeAssistantChannel) -> AsyncIterator[HomeAssistantChannel]:
    task = asyncio.create_task(channel.run())
    try:
        yield channel
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def following(home: FakeHomeAssistant) -> AsyncIterator[HomeAssistantChannel]:
    """A channel to `home` that has connected and read the states."""
    channel = HomeAssistantChannel(settings(home), home.url, TOKEN)
    async with running(channel):
        await asyncio.wait_for(channel.connected.wait(), 5)
        yield channel


@pytest.fixture(name="home")
async def home_fixture() -> AsyncIterator[FakeHomeAssistant]:
    async with fake_home_assistant() as fake:
        fake.states = {KITCHEN: "idle", OFFICE: "idle", "light.kitchen": "on"}
        fake.devices = {KITCHEN: "dev-kitchen", OFFICE: "dev-office"}
        yield fake


def question(channel: HomeAssistantChannel) -> str | None:
    activity = channel.current()
    return activity.user_text if activity else None


async def test_the_one_replying_satellite_with_its_question(home) -> None:
    home.add_run("r1", "2026-11-26T10:00:00", "dev-office", "Old question", "conv-old")
    home.add_run("r2", "2026-11-26T10:01:00", "dev-kitchen", "Is the oven on?", "conv-7")
    async with following(home) as channel:
        assert channel.current() is None  # all idle
        await home.set_state(KITCHEN, "listening")
        await asyncio.sleep(0.05)
        assert channel.current() is None  # not replying yet
        await home.set_state(KITCHEN, "processing")
        await wait_for(lambda: question(channel))
        activity = channel.current()
        assert activity is not None
        assert (activity.entity_id, activity.user_text, activity.conversation_id) == (
            KITCHEN,
            "Is the oven on?",
            "conv-7",
        )
        await home.set_state(KITCHEN, "responding")
        await asyncio.sleep(0.05)
        assert channel.current() == activity  # the same run goes on
        await home.set_state(KITCHEN, "idle")
        await wait_for(lambda: channel.current() is None)


async def test_two_replying_satellites_are_never_guessed(home) -> None:
    async with following(home) as channel:
        await home.set_state(KITCHEN, "responding")
        await wait_for(lambda: channel.current() is not None)
        await home.set_state(OFFICE, "processing")
        await wait_for(lambda: channel.current() is None)
        await home.set_state(KITCHEN, "idle")
        await wait_for(lambda: channel.current() is not None)
        assert channel.current().entity_id == OFFICE  # type: ignore[union-attr]


async def test_states_at_connection_time_count(home) -> None:
    home.states[OFFICE] = "responding"
    async with following(home) as channel:
        assert channel.current().entity_id == OFFICE  # type: ignore[union-attr]
    assert home.commands[:2] == ["subscribe_events", "get_states"]


async def test_reconnects_after_the_connection_drops(home) -> None:
    async with following(home) as channel:
        await home.set_state(KITCHEN, "responding")
        await wait_for(lambda: channel.current() is not None)
        home.states[KITCHEN] = "idle"  # changes while disconnected are not seen as events
        await home.drop_connections()
        await wait_for(lambda: home.connections == 2)
        await asyncio.wait_for(channel.connected.wait(), 5)
        assert channel.current() is None  # states read again on reconnection


async def test_a_refused_token_is_retried_and_never_logged(home, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    channel = HomeAssistantChannel(settings(home, token="wrong"), home.url, "wrong-" + TOKEN)
    async with running(channel):
        await wait_for(lambda: home.connections >= 2)
        assert not channel.connected.is_set()
    assert "refused the access token" in caplog.text
    assert TOKEN not in caplog.text
    good = HomeAssistantChannel(settings(home), home.url, TOKEN)
    async with running(good):
        await asyncio.wait_for(good.connected.wait(), 5)
        await home.set_state(KITCHEN, "processing")
        await wait_for(lambda: good.current() is not None)
    assert TOKEN not in caplog.text


async def test_without_admin_rights_the_satellite_is_still_known(home, caplog) -> None:
    home.admin = False
    home.add_run("r1", "2026-11-26T10:00:00", "dev-kitchen", "Hello?", "conv-1")
    caplog.set_level(logging.INFO)
    async with following(home) as channel:
        await home.set_state(KITCHEN, "processing")
        await wait_for(lambda: "Cannot read Home Assistant's pipeline runs" in caplog.text)
        activity = channel.current()
    assert activity is not None and activity.entity_id == KITCHEN
    assert activity.user_text is None


async def test_an_unreachable_home_assistant_is_retried(caplog) -> None:
    async with fake_home_assistant() as fake:
        url = fake.url
    # The fake is gone: nothing listens on its port any more
    channel = HomeAssistantChannel(
        HomeAssistantSettings(enabled=True, reconnect_min=0.05, reconnect_max=0.1), url, TOKEN
    )
    caplog.set_level(logging.INFO)
    async with running(channel):
        await wait_for(lambda: caplog.text.count("Reconnecting to Home Assistant") >= 2)
    assert channel.current() is None


def test_endpoint_from_settings_or_the_supervisor() -> None:
    off = HomeAssistantSettings(enabled=True)
    assert channel_endpoint(off, {}) is None
    assert channel_endpoint(off, {"SUPERVISOR_TOKEN": "s"}) == (SUPERVISOR_URL, "s")
    own = HomeAssistantSettings(enabled=True, url="ws://ha:8123/api/websocket", token="t")
    assert channel_endpoint(own, {"SUPERVISOR_TOKEN": "s"}) == ("ws://ha:8123/api/websocket", "t")
    assert channel_endpoint(HomeAssistantSettings(url="ws://ha/api/websocket"), {}) is None


async def test_server_attributes_replies_to_the_replying_satellite(serve, home) -> None:
    home.add_run("r1", "2026-11-26T10:01:00", "dev-kitchen", "What time is it?", "conv-9")
    engine = loaded_fake()
    config = Config(
        home_assistant=settings(home),
        satellites=types.MappingProxyType(
            {"kitchen": SatelliteProfile(voice="bf_emma", satellite_ids=(KITCHEN,))}
        ),
    )
    async with serve([engine], config) as server:
        channel = server.service.satellites.channel
        assert channel is not None
        await asyncio.wait_for(channel.connected.wait(), 5)
        await home.set_state(KITCHEN, "processing")
        await wait_for(lambda: question(channel))
        await stream_reply(server.host, server.port, "It is ten past nine.")
        await home.set_state(OFFICE, "responding")  # two at once: no guess
        await wait_for(lambda: channel.current() is None)
        await stream_reply(server.host, server.port, "Unattributed.")
        (turn,) = server.service.satellites.history.turns("kitchen")
        default_turns = server.service.satellites.history.turns("default")
    assert (turn.user_text, turn.assistant_text) == ("What time is it?", "It is ten past nine.")
    assert [(r.voice, r.conversation.key) for r in engine.requests] == [
        ("bf_emma", "kitchen"),
        ("af_heart", "default"),
    ]
    assert [t.assistant_text for t in default_turns] == ["Unattributed."]


@pytest.mark.parametrize(
    "message",
    [
        {"type": "event", "event": ["not", "a", "mapping"]},
        {"type": "event", "event": {"event_type": "state_changed", "data": "nothing"}},
        {
            "type": "event",
            "event": {
                "event_type": "state_changed",
                "data": {"entity_id": ["assist_satellite.office"], "new_state": {"state": 3}},
            },
        },
        {"type": "result", "id": ["unhashable"], "success": True},
        ["a", "list", "of", "strings"],
        "a bare string",
    ],
)
async def test_unexpected_messages_change_nothing_and_the_channel_goes_on(
    home: FakeHomeAssistant, message: object
) -> None:
    async with following(home) as channel:
        await home.set_state(KITCHEN, "responding")
        await wait_for(lambda: channel.current() is not None)
        await home.send_raw(message)
        await home.set_state(KITCHEN, "idle")
        await wait_for(lambda: channel.current() is None)
        assert home.connections == 1  # no reconnection needed


async def test_a_connection_lost_mid_reply_forgets_the_satellite(home: FakeHomeAssistant) -> None:
    """Garbage that breaks the connection: the channel reconnects and knows nothing stale."""
    async with following(home) as channel:
        await home.set_state(KITCHEN, "responding")
        await wait_for(lambda: channel.current() is not None)
        home.states[KITCHEN] = "idle"
        await home.drop_connections()
        await wait_for(lambda: channel.current() is None)
        await wait_for(lambda: home.connections == 2)


@pytest.mark.parametrize(
    ("url", "exposed"),
    [
        ("ws://supervisor/core/websocket", False),
        ("ws://homeassistant.local:8123/api/websocket", False),
        ("ws://192.168.1.20:8123/api/websocket", False),
        ("ws://127.0.0.1:8123/api/websocket", False),
        ("wss://ha.example.com/api/websocket", False),
        ("ws://ha.example.com/api/websocket", True),
        ("ws://93.184.216.34:8123/api/websocket", True),
    ],
)
def test_a_token_sent_in_clear_beyond_the_home_is_recognized(url: str, exposed: bool) -> None:
    assert exposes_token(url) is exposed


def test_the_token_is_never_in_a_repr() -> None:
    settings = HomeAssistantSettings(enabled=True, url="ws://x/api/websocket", token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in repr(Config(home_assistant=settings))


async def test_a_restart_of_home_assistant_is_followed_quietly(home, caplog) -> None:
    """Its websocket closes, its port refuses for a while, then it is back: the states are read
    again and the next voice command's question is found; nothing above INFO is logged."""
    caplog.set_level(logging.DEBUG)
    async with following(home) as channel:
        await home.voice_command(KITCHEN, "Before the restart")
        await wait_for(lambda: channel.lookups == 1)
        await home.stop()
        await wait_for(lambda: not channel.connected.is_set())
        await wait_for(lambda: caplog.text.count("Reconnecting to Home Assistant") >= 3)
        assert channel.current() is None  # nothing stale while it is away
        await home.start()
        await asyncio.wait_for(channel.connected.wait(), 5)
        assert home.commands.count("get_states") == 2
        await home.voice_command(KITCHEN, "After the restart", conversation="conv-2")
        await wait_for(lambda: channel.lookups == 2)
        activity = channel.current()
    assert activity is not None
    assert (activity.user_text, activity.conversation_id) == ("After the restart", "conv-2")
    loud = [r for r in caplog.records if r.levelno > logging.INFO and r.name.startswith("wyoming")]
    assert loud == []


async def test_a_side_channel_that_never_worked_warns(caplog) -> None:
    async with fake_home_assistant() as fake:
        await fake.stop()
        channel = HomeAssistantChannel(settings(fake), fake.url, TOKEN)
        caplog.set_level(logging.INFO)
        async with running(channel):
            await wait_for(lambda: "Reconnecting to Home Assistant" in caplog.text)
    assert any(r.levelno == logging.WARNING for r in caplog.records)


async def test_a_run_gone_between_listing_and_reading_is_skipped_not_fatal(home) -> None:
    """Home Assistant answers not_found for a run it evicted meanwhile: that lookup finds no
    question, and the next exchange's lookup still runs."""
    async with following(home) as channel:
        home.evicted.add("run-1")
        await home.voice_command(KITCHEN, "Lost question")
        await wait_for(lambda: channel.lookups == 1)
        assert channel.current().user_text is None  # type: ignore[union-attr]
        await home.played(KITCHEN)
        await home.voice_command(KITCHEN, "Found question")
        await wait_for(lambda: channel.lookups == 2)
        assert channel.current().user_text == "Found question"  # type: ignore[union-attr]
