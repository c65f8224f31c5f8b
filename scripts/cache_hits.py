"""The phrase cache's hit rate by size, on a simulated month of a home's replies.

A home asks `--per-day` times a day. Most requests are Home Assistant's own intents, whose
replies repeat ("Turned on the kitchen lights.", "Timer set for 5 minutes."), the entities
and intents drawn by popularity (Zipf: a few are asked for all the time); the rest go to an
LLM, whose replies open with a common word ("Sure!") and go on with sentences that never
repeat. Each reply is cut into segments as the server cuts them, and each segment's 16-bit
audio is as long as Kokoro's speaking rate makes it; the real PhraseCache takes them. Prints
a markdown table: segments and audio seconds served from the cache, by size. Never asserts.
"""

from __future__ import annotations

import argparse
import random

import numpy as np

from wyoming_polytts.engines.base import SAMPLE_RATE
from wyoming_polytts.engines.kokoro.engine import KokoroEngine
from wyoming_polytts.reply.cache import PhraseCache
from wyoming_polytts.testing.varied_replies import replies
from wyoming_polytts.text import TextSettings, split_text

ENTITIES = (
    "kitchen lights",
    "living room lights",
    "bedroom lamp",
    "garage door",
    "front door",
    "hallway lights",
    "office fan",
    "porch light",
    "bathroom heater",
    "TV",
    "blinds",
    "dining room lights",
    "back door",
    "kids' room lamp",
    "coffee maker",
    "dehumidifier",
)
INTENTS = (
    "Turned on the {entity}.",
    "Turned off the {entity}.",
    "Opened the {entity}.",
    "Closed the {entity}.",
    "Locked the {entity}.",
    "Timer set for {minutes} minutes.",
    "The {entity} is on.",
    "It is {degrees} degrees in the {entity}.",
)
MINUTES = (1, 2, 3, 5, 10, 15, 20, 30, 45, 60)
OPENERS = ("Sure!", "Okay.", "Done!", "Of course.", "Got it.", "You're welcome!", "Hmm,")
MB = 1024 * 1024


def zipf(rng: random.Random, items: tuple[str, ...] | tuple[int, ...], skew: float) -> object:
    weights = [1 / (rank + 1) ** skew for rank in range(len(items))]
    return rng.choices(items, weights)[0]


def month(days: int, per_day: int, intent_share: float, seed: int) -> list[str]:
    """The replies of `days` days, in order."""
    rng = random.Random(seed)
    llm = iter(replies(days * per_day, seed))
    texts = []
    for _ in range(days * per_day):
        if rng.random() < intent_share:
            template = str(zipf(rng, INTENTS, 1.0))
            texts.append(
                template.format(
                    entity=zipf(rng, ENTITIES, 1.0),
                    minutes=zipf(rng, MINUTES, 1.0),
                    degrees=rng.randint(18, 24),
                )
            )
        else:
            texts.append(f"{zipf(rng, OPENERS, 1.0)} {next(llm)}")
    return texts


def hit_rates(segments: list[str], max_mb: float) -> tuple[float, float, float]:
    """Of the segments: the share answered from a cache of `max_mb`, the share of their audio,
    and the MB it held at the end."""
    cache = PhraseCache(round(max_mb * MB))
    seconds_per_char = 1 / KokoroEngine.chars_per_second
    served = total = 0.0
    for text in segments:
        seconds = len(text) * seconds_per_char
        total += seconds
        if cache.get(text) is not None:
            served += seconds
        else:
            cache.put(text, np.zeros(round(seconds * SAMPLE_RATE), dtype="<i2"))
    return cache.hits / len(segments), served / total, cache.size_bytes / MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=40)
    parser.add_argument("--intent-share", type=float, default=0.6)
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 4, 8, 16, 32, 64, 1e6])
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()
    texts = month(args.days, args.per_day, args.intent_share, args.seed)
    segments = [
        segment.text for text in texts for segment in split_text(text, TextSettings(), "en-US")
    ]
    print(
        f"{args.days} days x {args.per_day} replies ({args.intent_share:.0%} intents), "
        f"{len(segments)} segments, {len(set(segments))} different, seed {args.seed}\n"
    )
    print("| cache MB | segments from the cache | audio from the cache | MB held at the end |")
    print("|---|---|---|---|")
    for size in args.sizes:
        segments_hit, audio_hit, held = hit_rates(segments, size)
        label = "unbounded" if size >= 1e6 else f"{size:g}"
        print(f"| {label} | {segments_hit:.1%} | {audio_hit:.1%} | {held:.1f} |")


if __name__ == "__main__":
    main()
