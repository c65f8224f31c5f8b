"""The composition root: from a Config to engines, the reply service, the satellites and the
Wyoming server. The only place that sees the whole Config: each part gets the sections it
reads."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from .config import Config
from .engines.base import Engine
from .engines.registry import EngineSections, build_engines, dormant_voices
from .reply.backend import Backend, Backends
from .reply.cache import PhraseCache
from .reply.circuit import HealthBoard
from .reply.mute import NoEngineCanSpeak, until_stopped
from .reply.scheduler import Scheduler
from .reply.service import ReplySections, TtsService
from .reply.voices import VoiceCatalogue
from .satellites.front_door import Satellites
from .satellites.settings import SatelliteSections
from .schema import ConfigError
from .server.heap import tune_heap
from .server.listener import Listener
from .server.served_uri import record_served_uri
from .server.zeroconf import advertise
from .startup_checks import CONFIG_KEYS, KeyLabels, check_configuration, relabelled
from .web.server import serve_web

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parts:
    """The server's parts, built from one Config."""

    service: TtsService
    backends: Backends
    satellites: Satellites
    voices: VoiceCatalogue

    def start(self) -> None:
        """Load the engines in the background, read the history, connect to Home Assistant."""
        self.backends.start_loading()
        self.satellites.start()
        self.voices.warn_about_profiles()

    def stop(self, timeout: float = 0.0) -> bool:
        """Save the history and stop the engines (waiting up to `timeout` s for workers);
        whether every engine has stopped working."""
        self.satellites.stop()
        return self.backends.stop(timeout)


def engine_sections(config: Config) -> EngineSections:
    return EngineSections(
        kokoro=config.kokoro, csm=config.csm, remotes=config.remotes, models=config.models
    )


def build_parts(config: Config, engines: Sequence[Engine] | None = None) -> Parts:
    """The engines the configuration enables (or those given), each behind its scheduler,
    and the parts around them."""
    engines_read = engine_sections(config)
    cache = PhraseCache(config.cache.max_mb * 1024 * 1024) if config.cache.max_mb else None
    backends = Backends(
        (
            Backend(
                Scheduler(
                    engine,
                    workers=engine.concurrency,
                    max_replies=config.replies.max_per_engine,
                    cache=cache,
                )
            )
            for engine in (build_engines(engines_read) if engines is None else engines)
        ),
        HealthBoard(config.routing.circuit),
    )
    voices = VoiceCatalogue(
        backends, config.satellites, config.defaults.voice, dormant_voices(engines_read)
    )
    satellites = Satellites(
        SatelliteSections(config.satellites, config.context, config.home_assistant),
        config.download_dir / config.context.file,
    )
    replies_read = ReplySections(config.defaults, config.routing, config.replies, config.text)
    service = TtsService(backends, voices, satellites, replies_read)
    return Parts(service, backends, satellites, voices)


WORKER_JOIN_SECONDS = 1.0
"""How long the engines' workers may take to end their current segment at shutdown."""


async def serve(config: Config, labels: KeyLabels = CONFIG_KEYS) -> bool:
    """Check the configuration against the engines, serve until SIGTERM or SIGINT, then stop
    gracefully (see `shut_down`); whether every engine stopped working in time. `labels`: how
    the user wrote the keys that did not come from config.yaml (for error messages)."""
    parts = build_parts(config)
    check_configuration(config, parts.voices, labels)
    service = parts.service
    listener = Listener(service, config.server, max_id_chars=config.context.max_key_chars)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    recorded = None
    try:
        await listener.start()  # before the engines load: a port in use stops nothing half-started
        parts.start()
        # The web side's address may fail to bind: before the server is announced as serving
        async with serve_web(service, config.web, config.server):
            if config.server.zeroconf:
                await advertise(config.server.uri, config.server.zeroconf)
            _LOGGER.info("Serving Wyoming TTS on %s", config.server.uri)
            recorded = record_served_uri(config.server.uri)  # for the images' health check
            mute = await until_stopped(stopping, parts.backends.values())
            _LOGGER.info(
                "Stopping: replies in progress have %.0f s to finish",
                config.server.shutdown_grace,
            )
            await shut_down(parts, listener, config.server.shutdown_grace)
            if mute is not None:
                raise NoEngineCanSpeak(mute)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        stopped = parts.stop(WORKER_JOIN_SECONDS)
        if recorded is not None:
            recorded.unlink(missing_ok=True)
    return stopped


async def shut_down(parts: Parts, listener: Listener, grace: float) -> None:
    """Stop accepting, save the history, let replies finish within `grace`, end the rest.

    The history is saved first too, so a kill during the grace period loses nothing that
    was spoken before it; `Parts.stop` saves it again with the replies that finished."""
    parts.service.stop_accepting()
    await asyncio.to_thread(parts.satellites.save)
    await listener.shut_down(grace)


def run_server(config: Config, labels: KeyLabels = CONFIG_KEYS) -> None:
    """Log as configured and serve until interrupted; a configuration error exits with it."""
    logging.basicConfig(
        level=logging.DEBUG if config.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    tune_heap()
    try:
        stopped = asyncio.run(serve(config, labels))
    except (ConfigError, NoEngineCanSpeak) as err:  # found while starting, e.g. a port in use
        sys.exit(f"wyoming-polytts: {relabelled(str(err), labels)}")
    if not stopped:
        # An engine is still inside native code (a segment, a model load): tearing the
        # interpreter down around it would abort. Everything is saved: leave at once.
        _LOGGER.info("Leaving an engine's last segment or load unfinished")
        logging.shutdown()
        os._exit(0)
