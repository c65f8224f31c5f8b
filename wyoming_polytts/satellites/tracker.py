"""What the Home Assistant side channel knows about satellites; no I/O.

`SatelliteTracker` follows `assist_satellite.*` states and says which satellite a reply
that starts now belongs to: the only one in an active state, never a guess between two.
`run_facts` reads the user's words and conversation id from a pipeline run's events
(as `assist_pipeline/pipeline_debug/get` returns them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DOMAIN_PREFIX = "assist_satellite."


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
        self._lock = threading.Lock()

    def update(self, entity_id: str, state: str | None) -> bool:
        """Record a state; True when the satellite just became active (a new run replies)."""
        if not entity_id.startswith(DOMAIN_PREFIX):
            return False
        with self._lock:
            was_active = self._states.get(entity_id) in self._active_states
            if state is None:
                self._states.pop(entity_id, None)
            else:
                self._states[entity_id] = state
            active = state in self._active_states
            if not active or not was_active:
                self._facts.pop(entity_id, None)  # facts belong to one run
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

    def active(self) -> SatelliteActivity | None:
        """The satellite replying now, if exactly one is; None when none or several are."""
        with self._lock:
            active = [e for e, state in self._states.items() if state in self._active_states]
            if len(active) != 1:
                return None
            (entity_id,) = active
            facts = self._facts.get(entity_id, RunFacts(None, None))
        return SatelliteActivity(entity_id, facts.conversation_id, facts.user_text)


def run_facts(
    events: Iterable[Mapping[str, Any]], device_id: str | None, entity_id: str
) -> RunFacts | None:
    """The user's words and conversation id of a run, if the run is this satellite's."""
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
