"""What the text path hands on: a piece of a reply and the pause that follows it."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Pause(enum.Enum):
    """The kind of break after a segment; `Pauses` says how long each is."""

    CLAUSE = "clause"
    SENTENCE = "sentence"
    ITEM = "item"
    """After a list item, table row or heading."""
    PARAGRAPH = "paragraph"


@dataclass(frozen=True)
class Segment:
    """A cut of a reply: raw markdown while it is being cut, speakable text once normalized."""

    text: str
    pause: Pause
