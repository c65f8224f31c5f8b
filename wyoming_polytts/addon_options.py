"""Turn the Home Assistant add-on's options (/data/options.json) into the server's config.yaml.

The Supervisor stores options as JSON in its own shape (lists of satellites, flat keys);
the server reads config.yaml. The result is validated like any config.yaml before it is
written, so a bad option stops the add-on with a message naming the key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .config import Config
from .settings import ConfigError, build


def config_from_options(options: dict[str, Any]) -> dict[str, Any]:
    satellites = {
        item["name"]: {
            key: value
            for key, value in (
                ("voice", item.get("voice")),
                ("speed", item.get("speed")),
                ("satellite_ids", item.get("satellite_ids")),
            )
            if value not in (None, "", [])
        }
        for item in options.get("satellites", [])
    }
    return {
        "cache": {"max_mb": options["cache_mb"]},
        "routing": {"quality": options["quality"]},
        "satellites": satellites,
        # In the add-on the Supervisor's websocket proxy and token are found automatically
        "home_assistant": {"enabled": options["satellite_side_channel"]},
        "context": {"persist": True},
    }


def main(argv: list[str] | None = None) -> None:
    options_path, config_path = map(Path, (argv or sys.argv[1:]))
    config = config_from_options(json.loads(options_path.read_text(encoding="utf-8")))
    try:
        build(Config, config)
    except ConfigError as err:
        sys.exit(f"add-on options: {err}")
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main()
