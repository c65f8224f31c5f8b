"""Fetch and verify the Kokoro model and voices: python -m wyoming_polytts.engines.kokoro"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from ...storage import ModelSettings
from .derive import with_derived_graph
from .files import ModelUnavailable, default_sources, ensure_kokoro
from .sources import Source


def main(
    argv: Sequence[str] | None = None,
    sources_for: Callable[[str], Sequence[Source]] = default_sources,
) -> None:
    parser = argparse.ArgumentParser(description="Fetch and verify the Kokoro model and voices")
    parser.add_argument(
        "--data-dir",
        action="append",
        default=[],
        help="Another place to look, before the default data dir (repeatable)",
    )
    parser.add_argument("--download-dir", help="Where to fetch to (first data dir)")
    parser.add_argument("--source", choices=("all", "upstream", "registry"), default="all")
    parser.add_argument(
        "--derive",
        action="store_true",
        help="Also derive and check the graph the server loads (kokoro.derived_graph)",
    )
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s")
    models = ModelSettings(ModelSettings().searching_first(args.data_dir), args.download_dir)
    try:
        files = ensure_kokoro(models.paths, models.download_path, sources_for(args.source))
    except ModelUnavailable as err:
        sys.exit(f"error: {err}")
    print(f"Kokoro model: {files.model}\nKokoro voices: {files.voices}")
    if args.derive:
        derived = with_derived_graph(files, models.download_path, search=models.paths)
        print(f"Kokoro graph loaded: {derived.model}")


if __name__ == "__main__":
    main()
