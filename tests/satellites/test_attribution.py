"""Which satellite a reply belongs to, in Home Assistant's own order of events.

For an announcement Home Assistant opens the TTS request first and sets the satellite to
`responding` just after; for a pipeline reply the satellite is active ~300 ms before. The
grace period runs on a clock the test controls: nothing here depends on timing.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from wyoming_polytts.config import Config
from wyoming_polytts.satellites.ha_channel import HomeAssistantChannel
from wyoming_polytts.satellites.settings import HomeAssistantSettings, SatelliteProfile
from wyoming_polytts.testing.client import Reply, synthesize_reply
from wyoming_polytts.testing.fake_engine import FakeEngine, loaded_fake
from wyoming_polytts.testing.ha_stand_in import TOKEN, FakeHomeAssistant, fake_home_assistant
from wyoming_polytts.testing.in_process import RunningServer
from wyoming_polytts.testing.waiting import wait_for

KITCHEN = "assist_satellite.kitchen"
OFFICE = "assist_satellite.office"
PROFILES = types.MappingProxyType(
    {
        "kitchen": SatelliteProfile(voice="bf_emma", speed=1.25, satellite_ids=(KITCHEN,)),
        "office": SatelliteProfile(satellite_ids=(OFFICE,)),
    }
)


class Grace:
    """The grace period's clock: it ends when the test says so."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()
        self.over = asyncio.Event()
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.waiting.set()
        await self.over.wait()


@asynccontextmanager
async def home_and_server(
    serve,
) -> AsyncIterator[tuple[FakeHomeAssistant, RunningServer, Grace, FakeEngine]]:
    engine = loaded_fake()
    async with fake_home_assistant() as home:
        home.states = {KITCHEN: "idle", OFFICE: "idle"}
        home.devices = {KITCHEN: "dev-kitchen", OFFICE: "dev-office"}
        side_channel = HomeAssistantSettings(enabled=True, url=home.url, token=TOKEN)
        config = Config(satellites=PROFILES, home_assistant=side_channel)
        async with serve([engine], config) as server:
            channel = server.service.satellites.channel
            assert channel is not None
            grace = Grace()
            channel.sleep = grace
            await asyncio.wait_for(channel.connected.wait(), 5)
            yield home, server, grace, engine


async def announce(server: RunningServer, grace: Grace, text: str) -> asyncio.Task[Reply]:
    """Home Assistant opens the TTS request (no voice named, no satellite in it); returns
    once the reply waits out the grace period."""
    pending = asyncio.create_task(synthesize_reply(server.host, server.port, text))
    await grace.waiting.wait()
    return pending


async def test_a_reply_of_a_satellite_already_replying_does_not_wait(serve) -> None:
    async with home_and_server(serve) as (home, server, grace, engine):
        home.add_run("r1", "2026-11-26T10:00:31+00:00", "dev-kitchen", "Is it warm?", "c1")
        await home.set_state(KITCHEN, "listening")
        await home.set_state(KITCHEN, "processing")
        await wait_for(lambda: server.service.satellites.channel.current() is not None)  # type: ignore[union-attr]
        await wait_for(lambda: server.service.satellites.channel.current().user_text is not None)  # type: ignore[union-attr]
        reply = await synthesize_reply(server.host, server.port, "It is warm.")
        turns = server.service.satellites.history.turns("kitchen")
    assert reply.error is None and grace.waits == []
    assert [(r.voice, r.speed) for r in engine.requests] == [("bf_emma", 1.25)]
    assert [(turn.user_text, turn.assistant_text) for turn in turns] == [
        ("Is it warm?", "It is warm.")
    ]


async def test_an_announcement_gets_its_satellite_when_it_turns_active_in_the_grace_period(
    serve,
) -> None:
    async with home_and_server(serve) as (home, server, grace, engine):
        pending = await announce(server, grace, "The washing machine is done.")
        assert engine.requests == []  # nothing is synthesized while the reply looks
        await home.set_state(KITCHEN, "responding")
        await wait_for(lambda: server.service.satellites.channel.current() is not None)  # type: ignore[union-attr]
        grace.over.set()
        reply = await pending
        kitchen = server.service.satellites.history.turns("kitchen")
        default = server.service.satellites.history.turns("default")
    assert reply.error is None and reply.audio
    assert [(r.voice, r.speed, r.conversation.key) for r in engine.requests] == [
        ("bf_emma", 1.25, "kitchen")
    ]
    assert [turn.assistant_text for turn in kitchen] == ["The washing machine is done."]
    assert default == ()


async def test_a_satellite_that_turns_active_after_the_grace_period_is_not_taken(serve) -> None:
    async with home_and_server(serve) as (home, server, grace, engine):
        pending = await announce(server, grace, "Dinner is ready.")
        grace.over.set()  # the grace period ends before Home Assistant says anything
        reply = await pending
        await home.set_state(KITCHEN, "responding")
        default = server.service.satellites.history.turns("default")
    assert reply.error is None
    assert [(r.voice, r.conversation.key) for r in engine.requests] == [("af_heart", "default")]
    assert [turn.assistant_text for turn in default] == ["Dinner is ready."]


def side_channel(server: RunningServer) -> HomeAssistantChannel:
    channel = server.service.satellites.channel
    assert channel is not None
    return channel


async def test_two_satellites_turning_active_in_the_grace_period_are_never_guessed(
    serve,
) -> None:
    async with home_and_server(serve) as (home, server, grace, engine):
        pending = await announce(server, grace, "Everyone, the door is open.")
        await home.set_state(KITCHEN, "responding")
        await home.set_state(OFFICE, "responding")
        channel = side_channel(server)
        await wait_for(lambda: channel.tracker.turned_active_since(0) is None)
        grace.over.set()
        reply = await pending
    assert reply.error is None
    assert [r.conversation.key for r in engine.requests] == ["default"]


def kitchen_turns(server: RunningServer) -> list[tuple[str | None, str]]:
    return [
        (t.user_text, t.assistant_text) for t in server.service.satellites.history.turns("kitchen")
    ]


async def test_a_voice_commands_question_in_home_assistants_own_order(serve) -> None:
    """The run is created, and its stt-start stamped, before the satellite leaves idle; it
    has ended by the time its reply's audio is asked for."""
    async with home_and_server(serve) as (home, server, _grace, engine):
        channel = side_channel(server)
        await home.voice_command(KITCHEN, "Is the oven on?", conversation="c7")
        await wait_for(lambda: channel.lookups == 1)
        reply = await synthesize_reply(server.host, server.port, "It is off.")
        await home.played(KITCHEN)
        turns = kitchen_turns(server)
    assert reply.error is None
    assert [(r.voice, r.conversation.key) for r in engine.requests] == [("bf_emma", "kitchen")]
    assert turns == [("Is the oven on?", "It is off.")]


async def test_an_ended_exchanges_question_is_never_attached_to_an_announcement(serve) -> None:
    async with home_and_server(serve) as (home, server, grace, _engine):
        channel = side_channel(server)
        await home.voice_command(KITCHEN, "Set a timer", conversation="c0")
        await wait_for(lambda: channel.lookups == 1)
        await synthesize_reply(server.host, server.port, "Timer set.")
        await home.played(KITCHEN)
        pending = await announce(server, grace, "Your timer is done.")
        await home.announce(KITCHEN)
        await wait_for(lambda: channel.lookups == 2)  # it looked, and found no run of its own
        grace.over.set()
        await pending
        await home.played(KITCHEN)
        turns = kitchen_turns(server)
    assert turns == [("Set a timer", "Timer set."), (None, "Your timer is done.")]


async def test_a_run_that_errors_gives_its_question_to_no_later_reply(serve) -> None:
    async with home_and_server(serve) as (home, server, grace, _engine):
        channel = side_channel(server)
        await home.voice_command(KITCHEN, "Unheard words", fails_at="intent")
        await wait_for(lambda: channel.lookups == 1)
        await wait_for(lambda: channel.current() is None)  # back to idle, no TTS
        pending = await announce(server, grace, "The door is open.")
        await home.announce(KITCHEN)
        await wait_for(lambda: channel.lookups == 2)
        grace.over.set()
        await pending
        await home.played(KITCHEN)
        await home.voice_command(KITCHEN, "Close it", conversation="c2")
        await wait_for(lambda: channel.lookups == 3)
        await synthesize_reply(server.host, server.port, "Closed.")
        turns = kitchen_turns(server)
    assert turns == [(None, "The door is open."), ("Close it", "Closed.")]


async def test_a_run_from_before_the_exchange_began_is_not_this_replys(serve) -> None:
    """A run still open in the debug view but older than the satellite's waking is not it."""
    async with home_and_server(serve) as (home, server, _grace, _engine):
        home.add_run("stale", "2026-11-26T09:59:00+00:00", "dev-kitchen", "Stale question", "c0")
        home.add_run("now", "2026-11-26T10:00:32+00:00", "dev-kitchen", "Fresh question", "c1")
        await home.set_state(KITCHEN, "listening")
        await home.set_state(KITCHEN, "processing")
        channel = side_channel(server)
        await wait_for(lambda: (channel.current() or None) and channel.current().user_text)  # type: ignore[union-attr]
        assert channel.current().user_text == "Fresh question"  # type: ignore[union-attr]
        home.runs.pop()  # only the stale run is left
        await home.set_state(KITCHEN, "idle")
        await home.set_state(KITCHEN, "listening")
        await home.set_state(KITCHEN, "processing")
        await wait_for(lambda: channel.lookups == 2)
        assert channel.current() is not None and channel.current().user_text is None  # type: ignore[union-attr]
