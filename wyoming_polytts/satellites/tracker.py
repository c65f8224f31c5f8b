"""What the Home Assistant side channel knows about satellites; no I/O.

`SatelliteTracker` follows `assist_satellite.*` states. It says which satellite replies now
(the only one in an active state, never a guess between two) and which turned active
since a moment (`mark`): Home Assistant opens the TTS request of an announcement before it
sets the satellite to `responding`, so a reply may have to look a little after its start.
`run_facts` reads the user's words and conversation id from a pipeline run's events (as
`assist_pipeline/pipeline_debug/get` returns them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DOMAIN_PREFIX = "assist_satellite."
IDLE_STATES = (None, "idle", "unavailable", "unknown")
"""States between two of a satellite's exchanges."""


@dataclass(frozen=True)
class SatelliteActivity:
    """What the side channel saw: the only satellite replying, and its pipeline run."""

    entity_id: str
    conversation_id: str | None = None
    user_text: str | None = None


@dataclass(frozen=True)
class RunFacts:
    user_text: str | None
    conversation_id: str | None


class SatelliteTracker:
    """Satellite states and their current run's facts; thread-safe."""

    def __init__(self, active_states: Iterable[str]) -> None:
        self._active_states = frozenset(active_states)
        self._states: dict[str, str] = {}
        self._facts: dict[str, RunFacts] = {}
        self._activations = 0
        self._activated: dict[str, int] = {}
        """When each satellite last turned active, counted in activations."""
        self._woke: dict[str, datetime] = {}
        """When each satellite last left idle (Home Assistant's clock): its exchange's start."""
        self._lock = threading.Lock()

    def update(self, entity_id: str, state: str | None, changed: str | None = None) -> bool:
        """Record a state (changed at `changed`, Home Assistant's ISO time); True when the
        satellite just turned active (a new run replies)."""
        if not entity_id.startswith(DOMAIN_PREFIX):
            return False
        with self._lock:
            previous = self._states.get(entity_id)
            was_active = previous in self._active_states
            if state is None:
                self._states.pop(entity_id, None)
            else:
                self._states[entity_id] = state
            if previous in IDLE_STATES and state not in IDLE_STATES:
                # Home Assistant's time, never this server's clock; unknown for a satellite
                # first seen busy (its exchange began before the connection)
                woke = parse_time(changed) if previous is not None else None
                if woke is None:
                    self._woke.pop(entity_id, None)
                else:
                    self._woke[entity_id] = woke
            active = state in self._active_states
            if not active or not was_active:
                self._facts.pop(entity_id, None)  # facts belong to one run
            if active and not was_active:
                self._activations += 1
                self._activated[entity_id] = self._activations
            return active and not was_active

    def set_facts(self, entity_id: str, facts: RunFacts) -> None:
        with self._lock:
            if self._states.get(entity_id) in self._active_states:
                self._facts[entity_id] = facts

    def clear(self) -> None:
        """The connection is gone: nothing is known any more."""
        with self._lock:
            self._states.clear()
            self._facts.clear()
            self._woke.clear()

    def woke(self, entity_id: str) -> datetime | None:
        """When the satellite's current exchange began (it left idle), if known."""
        with self._lock:
            return self._woke.get(entity_id)

    def active(self) -> SatelliteActivity | None:
        """The satellite replying now, if exactly one is; None when none or several are."""
        with self._lock:
            active = [e for e, state in self._states.items() if state in self._active_states]
            return self._activity(active[0]) if len(active) == 1 else None

    def mark(self) -> int:
        """A moment, to ask later which satellites turned active after it."""
        with self._lock:
            return self._activations

    def turned_active_since(self, mark: int) -> SatelliteActivity | None:
        """The satellite that turned active after `mark`, if exactly one did."""
        with self._lock:
            turned = [e for e, count in self._activated.items() if count > mark]
            return self._activity(turned[0]) if len(turned) == 1 else None

    def _activity(self, entity_id: str) -> SatelliteActivity:
        facts = self._facts.get(entity_id, RunFacts(None, None))
        return SatelliteActivity(entity_id, facts.conversation_id, facts.user_text)


def parse_time(value: object) -> datetime | None:
    """Home Assistant's ISO times; a time without a zone is UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run_facts(
    events: Iterable[Mapping[str, Any]], device_id: str | None, entity_id: str
) -> RunFacts | None:
    """The user's words and conversation id of a run, if the run is this satellite's
    (whether it is the current exchange's is `pipeline_runs.in_exchange`)."""
    by_type: dict[str, Mapping[str, Any]] = {}
    for event in events:
        if isinstance(event, Mapping) and isinstance(event.get("data"), Mapping):
            by_type.setdefault(str(event.get("type")), event["data"])
    intent = by_type.get("intent-start", {})
    ours = (device_id is not None and intent.get("device_id") == device_id) or intent.get(
        "satellite_id"
    ) == entity_id
    if not ours:
        return None
    stt_output = by_type.get("stt-end", {}).get("stt_output")
    user_text = stt_output.get("text") if isinstance(stt_output, Mapping) else None
    intent_output = by_type.get("intent-end", {}).get("intent_output")
    conversation_id = intent.get("conversation_id") or (
        intent_output.get("conversation_id") if isinstance(intent_output, Mapping) else None
    )
    return RunFacts(_text(user_text) or _text(intent.get("intent_input")), _text(conversation_id))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
