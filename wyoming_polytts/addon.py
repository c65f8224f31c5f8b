"""The Home Assistant add-on's entry: its options (/data/options.json) become the Config.

The Supervisor stores options as JSON in its own shape (lists of satellites, flat keys).
Every option is mapped here, validated like any config.yaml, and the server started with
the same start-up checks (an unknown voice stops it naming the option); the s6 `run`
script only execs `python3 -m wyoming_polytts.addon`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .app import run_server
from .config import Config
from .schema import ConfigError, build
from .startup_checks import KeyLabels

ADDON_URI = "tcp://0.0.0.0:10200"
PRIVATE_HISTORY = "history/context.npz"
"""Excluded from Home Assistant's backups (config.yaml's backup_exclude): it holds what
people said. `backup_history: true` keeps it at the top of /data, where backups take it."""
INGRESS_PORT = 10201
"""config.yaml's ingress_port: the page is served there on the add-on's own network, to the
Supervisor's ingress proxy only. The user may map it to a host port for the OpenAI API,
which answers there only with the api_key option set."""
INGRESS_PROXY = "172.30.32.2"


@dataclass(frozen=True)
class AddonPaths:
    options: Path = Path("/data/options.json")
    data: Path = Path("/data")
    """The add-on's own folder: models are fetched and the history saved there."""
    share: Path = Path("/share/polytts")
    """The user's files (map: share, read-only); skipped until the user creates it."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> AddonPaths:
        """The standard paths, each overridable by POLYTTS_OPTIONS/_DATA/_SHARE (tests)."""
        default = cls()
        return cls(
            Path(environ.get("POLYTTS_OPTIONS", default.options)),
            Path(environ.get("POLYTTS_DATA", default.data)),
            Path(environ.get("POLYTTS_SHARE", default.share)),
        )


PROFILE_OPTIONS = ("voice", "conversational_voice", "speed", "quality", "language", "satellite_ids")
REMOTE_OPTIONS = ("uri", "voices", "conversational", "home")


def config_from_options(options: Mapping[str, Any], paths: AddonPaths) -> dict[str, Any]:
    """config.yaml's shape of the add-on's options."""
    return {
        "server": {"uri": ADDON_URI},
        "models": {
            "data_dirs": [str(paths.data), str(paths.share)],
            "download_dir": str(paths.data),
        },
        "defaults": {"voice": options["voice"], "speed": options["speed"]},
        "kokoro": {"blends": {item["name"]: item["voices"] for item in options.get("blends", [])}},
        "cache": {"max_mb": options["cache_mb"]},
        "routing": {
            "quality": options["quality"],
            "conversational_voice": options.get("conversational_voice") or None,
        },
        "satellites": _named(options, "satellites", PROFILE_OPTIONS),
        "remotes": _named(options, "remotes", REMOTE_OPTIONS),
        # In the add-on the Supervisor's websocket proxy and token are found automatically
        "home_assistant": {"enabled": options["satellite_side_channel"]},
        "context": {
            "persist": True,
            "file": "context.npz" if options.get("backup_history") else PRIVATE_HISTORY,
        },
        # The page for the ingress proxy only; the OpenAI API also for whoever has the key
        "web": {
            "listen": f"0.0.0.0:{INGRESS_PORT}",
            "clients": [INGRESS_PROXY],
            "api_key": options.get("api_key") or None,
        },
        "debug": options["log_level"] == "debug",
    }


def _named(options: Mapping[str, Any], option: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """A list option of named items as config.yaml's mapping by name; unset keys left out."""
    items: dict[str, Any] = {}
    for item in options.get(option, []):
        if item["name"] in items:
            raise ConfigError(f"add-on option {option!r}: two are named {item['name']!r}")
        items[item["name"]] = {
            key: item[key] for key in keys if item.get(key) not in (None, "", [])
        }
    return items


def option_labels(config: Config) -> KeyLabels:
    """Each key the add-on sets from an option, as its Configuration tab names it, for
    start-up messages."""
    labels = {
        "defaults.voice": "add-on option 'voice'",
        "routing.conversational_voice": "add-on option 'conversational_voice'",
        "routing.quality": "add-on option 'quality'",
    }
    for name in config.satellites:
        for key in ("voice", "conversational_voice", "quality", "language"):
            labels[f"satellites.{name}.{key}"] = f"add-on option {key!r} of satellite {name!r}"
    for name in config.kokoro.blends:
        labels[f"kokoro.blends.{name}"] = f"add-on option 'blends' ({name!r})"
    return labels


def addon_config(paths: AddonPaths) -> Config:
    """The validated Config of the add-on's options; raises ConfigError naming the key."""
    options = json.loads(paths.options.read_text(encoding="utf-8"))
    return build(Config, config_from_options(options, paths))


def main() -> None:
    try:
        config = addon_config(AddonPaths.from_environ())
    except ConfigError as err:
        sys.exit(f"add-on options: {err}")
    run_server(config, option_labels(config))


if __name__ == "__main__":
    main()
