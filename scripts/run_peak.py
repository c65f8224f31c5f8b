"""How one Kokoro call's peak memory grows with its text: the engine as the server loads it.

Loads the real engine (the graph the server loads, its memory settings, the server's heap
settings) in this process, then speaks one text of each length, longest last, and prints a
markdown table: the audio's length, the resident memory before the call and its high-water
mark during it (reset before each call through /proc/self/clear_refs, Linux). Never asserts
anything.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from wyoming_polytts.engines.base import SynthesisRequest
from wyoming_polytts.engines.kokoro.derive import with_derived_graph
from wyoming_polytts.engines.kokoro.engine import KokoroEngine
from wyoming_polytts.engines.kokoro.files import KokoroFiles, find_kokoro
from wyoming_polytts.engines.kokoro.settings import KokoroSettings
from wyoming_polytts.server.heap import tune_heap
from wyoming_polytts.storage import default_data_dir

TEXT = (
    "The washing machine finished twelve minutes ago, and the dryer needs about forty more, "
    "so the laundry in the hallway will be ready before dinner, unless somebody in the kitchen "
    "starts the dishwasher first, which would slow everything down, because the water heater "
    "is small and the old pipes in the basement take a long while to warm up again afterwards, "
    "as you know from last winter."
)


def memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not reported")


def text_of(chars: int) -> str:
    """The first words of TEXT, at most `chars` characters, as a sentence."""
    return TEXT[:chars].rsplit(" ", 1)[0].rstrip(",") + "."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chars", type=int, nargs="+", default=[50, 100, 150, 200, 300])
    parser.add_argument("--max-phonemes", type=int, default=KokoroSettings().max_phonemes_per_run)
    args = parser.parse_args()
    tune_heap()
    found = find_kokoro([default_data_dir()])
    if found is None:
        sys.exit("The Kokoro model is missing: run scripts/setup first")
    files = with_derived_graph(found, default_data_dir(), search=[default_data_dir()])

    def locate(closing: threading.Event) -> KokoroFiles:
        return files

    engine = KokoroEngine(KokoroSettings(max_phonemes_per_run=args.max_phonemes), locate)
    engine.load()
    print(f"{files.model.name}, runs of at most {args.max_phonemes} phonemes\n")
    print("| characters | audio s | RSS before MB | peak during MB | peak - before MB |")
    print("|---:|---:|---:|---:|---:|")
    for chars in sorted(args.chars):
        text = text_of(chars)
        before = memory_mb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again
        blocks = list(engine.synthesize(SynthesisRequest(text, "af_heart"), threading.Event()))
        peak = memory_mb("VmHWM")
        seconds = sum(len(block) for block in blocks) / 24000
        print(f"| {len(text)} | {seconds:.1f} | {before:.0f} | {peak:.0f} | {peak - before:.0f} |")
    engine.close()


if __name__ == "__main__":
    main()
