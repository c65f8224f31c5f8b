"""What the text path hands on: a piece of a reply, how to deliver it, and the pause after it."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field


class Pause(enum.Enum):
    """The kind of break after a segment; `Pauses` says how long each is."""

    PHRASE = "phrase"
    """Where a sentence too long to be ready in time was cut between phrases."""
    CLAUSE = "clause"
    SENTENCE = "sentence"
    ITEM = "item"
    """After a list item, table row or heading."""
    PARAGRAPH = "paragraph"


@dataclass(frozen=True)
class Delivery:
    """How a segment is spoken where the reply's markup says so (SSML); the defaults change
    nothing."""

    speed: float = 1.0
    """Relative to the reply's speed."""
    voice: str | None = None
    """Another voice of the reply's engine."""
    language: str | None = None
    """Another language than the reply's."""


@dataclass(frozen=True)
class Segment:
    """A cut of a reply: raw markup while it is being cut, speakable text once normalized."""

    text: str
    pause: Pause
    pause_seconds: float | None = None
    """An exact pause (an SSML break) in place of `pause`'s length."""
    delivery: Delivery = field(default_factory=Delivery)

    def joined(self, after: Segment) -> Segment | None:
        """This segment and the one `after` it as one (spoken together, with the pause of
        the second); None when they may not be: another delivery, or an explicit break."""
        if self.delivery != after.delivery or self.pause_seconds is not None:
            return None
        return dataclasses.replace(after, text=f"{self.text} {after.text}")
