"""The JSON the page reads: the server's status and the voices a preview may use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from ..engines.base import EngineVoice
from ..reply.activity import ReplySummary
from ..reply.status import ServerStatus
from ..satellites.front_door import SatelliteReport

PAGE_TEXT_CHARS = 2000
"""Longest text the page sends: the preview's URL must pass proxies (Home Assistant's too)."""


def status_json(status: ServerStatus, max_text_chars: int) -> dict[str, Any]:
    activity = status.activity
    cache = status.cache
    return {
        "version": status.version,
        "started_at": activity.started_at,
        "uptime_seconds": activity.uptime,
        "connections": {"open": activity.connections, "total": activity.connections_total},
        "engines": [
            {
                "name": engine.name,
                "state": engine.state,
                "device": engine.device,
                "load_seconds": engine.load_seconds,
                "workers": engine.workers,
                "circuit": engine.circuit,
                "queued_segments": engine.queued_segments,
                "replies_in_progress": activity.replies_in_progress(engine.name),
                "voices": engine.voices,
            }
            for engine in status.engines
        ],
        "cache": None if cache is None else {**asdict(cache), "hit_rate": cache.hit_rate},
        "errors": dict(activity.errors),
        "replies": {
            "in_progress": [_reply(reply) for reply in activity.in_progress],
            "recent": [_reply(reply) for reply in activity.recent],
        },
        "satellites": [_satellite(satellite) for satellite in status.satellites],
        "limits": {"max_text_chars": min(max_text_chars, PAGE_TEXT_CHARS)},
    }


def voices_json(voices: Iterable[EngineVoice], profiles: Iterable[str]) -> list[dict[str, Any]]:
    profile_names = set(profiles)
    return [
        {
            "name": voice.name,
            "languages": list(voice.languages),
            "engine": voice.engine,
            "description": voice.description,
            "profile": voice.name in profile_names,
        }
        for voice in voices
    ]


def _reply(reply: ReplySummary) -> dict[str, Any]:
    return {
        "id": reply.id,
        "started_at": reply.started_at,
        "satellite": reply.satellite,
        "engine": reply.engine,
        "voice": reply.voice,
        "first_audio_seconds": reply.first_audio,
        "audio_seconds": reply.audio_seconds,
        "synthesis_seconds": reply.synthesis_seconds,
        "real_time_factor": reply.real_time_factor,
        "underruns": reply.underruns,
        "fallbacks": list(reply.fallbacks),
        "outcome": reply.outcome,
        "duration_seconds": reply.duration,
    }


def _satellite(satellite: SatelliteReport) -> dict[str, Any]:
    profile = satellite.profile
    return {
        "key": satellite.key,
        "profile": None if profile is None else asdict(profile),
        "turns": satellite.turns,
        "history_bytes": satellite.history_bytes,
        "idle_seconds": satellite.idle_seconds,
    }
