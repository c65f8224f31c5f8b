"""Satellite tracking and pipeline run facts, without a connection."""

from __future__ import annotations

from datetime import UTC, datetime

from wyoming_polytts.satellites.tracker import RunFacts, SatelliteTracker, run_facts

KITCHEN = "assist_satellite.kitchen"
OFFICE = "assist_satellite.office"


def tracker() -> SatelliteTracker:
    return SatelliteTracker(("processing", "responding"))


def test_only_satellites_count_and_a_new_run_is_reported_once() -> None:
    satellites = tracker()
    assert not satellites.update("light.kitchen", "responding")
    assert satellites.active() is None
    assert satellites.update(KITCHEN, "processing")
    assert not satellites.update(KITCHEN, "responding")  # the same run goes on
    assert satellites.active().entity_id == KITCHEN  # type: ignore[union-attr]


def test_facts_belong_to_one_run() -> None:
    satellites = tracker()
    satellites.set_facts(KITCHEN, RunFacts("ignored", "c0"))  # not replying: ignored
    satellites.update(KITCHEN, "processing")
    assert satellites.active().user_text is None  # type: ignore[union-attr]
    satellites.set_facts(KITCHEN, RunFacts("Lights?", "c1"))
    assert satellites.active().user_text == "Lights?"  # type: ignore[union-attr]
    satellites.update(KITCHEN, "idle")
    satellites.update(KITCHEN, "processing")
    assert satellites.active().user_text is None  # type: ignore[union-attr]


def test_two_active_or_a_lost_connection_mean_unknown() -> None:
    satellites = tracker()
    satellites.update(KITCHEN, "responding")
    satellites.update(OFFICE, "responding")
    assert satellites.active() is None
    satellites.update(OFFICE, None)  # entity removed
    assert satellites.active().entity_id == KITCHEN  # type: ignore[union-attr]
    satellites.clear()
    assert satellites.active() is None


def run(**intent: object) -> list[dict]:
    return [
        {"type": "run-start", "data": {"pipeline": "p1"}},
        {"type": "stt-end", "data": {"stt_output": {"text": "Turn on the light"}}},
        {"type": "intent-start", "data": {"intent_input": "Turn on the light", **intent}},
        {"type": "intent-end", "data": {"intent_output": {"conversation_id": "from-end"}}},
    ]


def test_run_facts_of_this_satellite() -> None:
    facts = run_facts(run(device_id="dev-1", conversation_id="c1"), "dev-1", KITCHEN)
    assert facts == RunFacts("Turn on the light", "c1")
    # Matched by satellite id when the device is unknown; conversation id from intent-end
    assert run_facts(run(satellite_id=KITCHEN), None, KITCHEN) == RunFacts(
        "Turn on the light", "from-end"
    )


def test_run_facts_of_another_satellite_or_a_text_run() -> None:
    assert run_facts(run(device_id="dev-2"), "dev-1", KITCHEN) is None
    assert run_facts(run(), None, KITCHEN) is None
    assert run_facts([{"type": "broken"}, "nonsense"], "dev-1", KITCHEN) is None  # type: ignore[list-item]


def test_an_exchange_starts_at_home_assistants_time_or_is_unknown() -> None:
    satellites = tracker()
    satellites.update(KITCHEN, "processing", "2026-02-20T10:00:00+00:00")
    assert satellites.woke(KITCHEN) is None  # first seen busy: began before we looked
    satellites.update(KITCHEN, "idle", "2026-02-20T10:00:04+00:00")
    satellites.update(KITCHEN, "listening", "2026-02-20T10:00:05.250+00:00")
    assert satellites.woke(KITCHEN) == datetime(2026, 2, 20, 10, 0, 5, 250000, tzinfo=UTC)
    satellites.update(KITCHEN, "idle")
    satellites.update(KITCHEN, "listening")  # no time given: never this machine's clock
    assert satellites.woke(KITCHEN) is None
