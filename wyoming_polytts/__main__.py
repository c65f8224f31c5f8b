"""Command line: python -m wyoming_polytts (or wyoming-polytts)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

from wyoming.server import AsyncServer

from . import __version__
from .backend import Backend
from .cache import PhraseCache
from .config import Config, load_config, with_overrides
from .engines import build_engines
from .engines.base import Engine
from .handler import TtsEventHandler
from .scheduler import Scheduler
from .service import TtsService
from .settings import ConfigError

_LOGGER = logging.getLogger(__name__)
_ANY_ADDRESS = ("0.0.0.0", "::", "")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wyoming-polytts", description=__doc__)
    parser.add_argument("--config", type=Path, help="YAML configuration file (config.yaml)")
    parser.add_argument("--uri", help="Where to serve (default tcp://0.0.0.0:10200)")
    parser.add_argument("--data-dir", action="append", help="Where models are found (repeatable)")
    parser.add_argument("--download-dir", help="Where missing models are fetched to")
    parser.add_argument("--voice", help="Default voice (default af_heart)")
    parser.add_argument("--speed", type=float, help="Default speed, 0.5 to 2.0")
    parser.add_argument(
        "--zeroconf",
        nargs="?",
        const="polytts",
        metavar="NAME",
        help="Advertise the server over zeroconf (tcp URIs only)",
    )
    parser.add_argument("--debug", action="store_true", default=None, help="Log at DEBUG level")
    parser.add_argument("--version", action="version", version=__version__)
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> Config:
    """config.yaml first, the command line over it."""
    config = load_config(args.config)
    return with_overrides(
        config,
        {
            "server.uri": args.uri,
            "server.zeroconf": args.zeroconf,
            "models.data_dirs": args.data_dir,
            "models.download_dir": args.download_dir,
            "defaults.voice": args.voice,
            "defaults.speed": args.speed,
            "debug": args.debug,
        },
    )


def build_service(config: Config, engines: Sequence[Engine] | None = None) -> TtsService:
    """The engines the configuration enables (or those given), each behind its scheduler."""
    cache = PhraseCache(config.cache.max_mb * 1024 * 1024) if config.cache.max_mb else None
    backends = [
        Backend(
            Scheduler(
                engine,
                workers=engine.concurrency,
                max_replies=config.server.max_replies,
                cache=cache,
            )
        )
        for engine in (build_engines(config) if engines is None else engines)
    ]
    return TtsService(config, backends)


async def serve(config: Config) -> None:
    service = build_service(config)
    server = AsyncServer.from_uri(config.server.uri)
    service.start()
    if config.server.zeroconf:
        await advertise(config.server.uri, config.server.zeroconf)
    _LOGGER.info("Serving Wyoming TTS on %s", config.server.uri)
    try:
        await server.run(partial(TtsEventHandler, service))
    finally:
        service.stop()


async def advertise(uri: str, name: str) -> None:
    """Announce `_wyoming._tcp.local.` so Home Assistant lists the server under Discovered."""
    from wyoming.zeroconf import HomeAssistantZeroconf

    parsed = urlparse(uri)
    if parsed.scheme != "tcp" or parsed.port is None:
        raise ConfigError(f"server.zeroconf: needs a tcp:// URI with a port, got {uri!r}")
    host = advertised_host(parsed.hostname)
    zeroconf = HomeAssistantZeroconf(port=parsed.port, name=name, host=host)
    await zeroconf.register_server()
    _LOGGER.info("Advertised %s on zeroconf at %s:%s", name, zeroconf.host, parsed.port)


def advertised_host(bind_host: str | None) -> str:
    """The address Home Assistant should connect to: the bound one, or the LAN address."""
    if bind_host and bind_host not in _ANY_ADDRESS:
        return bind_host
    # The address the system would send multicast from (no packet is sent)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("224.0.0.251", 5353))
            detected = str(probe.getsockname()[0])
        except OSError:
            detected = "0.0.0.0"
    if detected in _ANY_ADDRESS:
        raise ConfigError(
            "server.zeroconf: found no network address to advertise; "
            "serve on a specific address with --uri tcp://ADDRESS:PORT"
        )
    return detected


def run(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        config = configure(args)
    except ConfigError as err:
        sys.exit(f"wyoming-polytts: {err}")
    logging.basicConfig(
        level=logging.DEBUG if config.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(config))
    except ConfigError as err:  # found while starting, e.g. no address to advertise
        sys.exit(f"wyoming-polytts: {err}")


if __name__ == "__main__":
    run()
