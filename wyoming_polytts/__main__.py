"""Command line: python -m wyoming_polytts (or wyoming-polytts)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .app import run_server
from .config import Config, load_config, with_overrides
from .schema import ConfigError


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
    parser.add_argument(
        "--web",
        metavar="HOST:PORT",
        help="Serve the status page, metrics and voice preview (PORT alone: on 127.0.0.1)",
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
            "web.listen": args.web,
            "debug": args.debug,
        },
    )


def run(argv: list[str] | None = None) -> None:
    try:
        config = configure(parse_args(argv))
    except ConfigError as err:
        sys.exit(f"wyoming-polytts: {err}")
    run_server(config)


if __name__ == "__main__":
    run()
