"""Replies of varied lengths about a home, nearly all different, for soaks and memory benchmarks."""

from __future__ import annotations

import random

ROOMS = ("kitchen", "living room", "bedroom", "office", "hallway", "garage", "bathroom", "porch")
DEVICES = ("lights", "fan", "heater", "blinds", "speaker", "lamp", "dehumidifier", "TV")
SENTENCES = (
    "Turned on the {room} {device}.",
    "The {room} is at {n} degrees and the humidity is {m} percent.",
    "Your timer for {n} minutes has started.",
    "I've set the {room} {device} to {m} percent.",
    "The {device} in the {room} has been on for {n} minutes, and it used {m} watt hours.",
    "Tomorrow looks sunny, with a high of {n} degrees and a low of {m}.",
    "Okay.",
    "Sure!",
    "The washing machine finished {n} minutes ago, and the dryer needs about {m} more.",
    "There are {n} lights on right now, and the {room} {device} is the brightest at {m} percent.",
    "Done! The front door is locked, the garage door is closed, and the alarm arms itself in "
    "{n} minutes, unless somebody in the {room} opens a window before then.",
)


def replies(count: int, seed: int) -> list[str]:
    """`count` replies of one to three sentences, nearly all different."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        sentences = [
            rng.choice(SENTENCES).format(
                room=rng.choice(ROOMS),
                device=rng.choice(DEVICES),
                n=rng.randint(2, 99),
                m=rng.randint(2, 99),
            )
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))
        ]
        texts.append(" ".join(sentences))
    return texts
