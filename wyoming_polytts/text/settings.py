"""The `text:` section of config.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..schema import bounded, choice
from .segment import Pause


@dataclass(frozen=True)
class Pauses:
    """Seconds of silence after each kind of segment."""

    phrase: float = bounded(0.05, 0.0, 3.0)
    """Where a long sentence was cut so that it is ready in time (at a conjunction, say)."""
    clause: float = bounded(0.15, 0.0, 3.0)
    sentence: float = bounded(0.3, 0.0, 3.0)
    item: float = bounded(0.35, 0.0, 3.0)
    """After a list item, table row or heading."""
    paragraph: float = bounded(0.5, 0.0, 3.0)

    def after(self, pause: Pause) -> float:
        seconds: float = getattr(self, pause.value)
        return seconds


@dataclass(frozen=True)
class TextSettings:
    first_clause: bool = True
    """Speak the first clause on its own, so audio starts before the first sentence ends."""
    first_clause_min_words: int = bounded(3, 1, 20)
    """Words a first clause needs to be cut alone here; the reply's pace may cut shorter (an
    interjection) where the machine affords it."""
    min_segment_chars: int = bounded(40, 0, 400)
    """Later sentences shorter than this are merged with the next one."""
    max_segment_chars: int = bounded(300, 40, 1000)
    """Longer sentences are split at a clause (Kokoro takes at most 510 phonemes)."""
    code_blocks: str = choice("skip", "skip", "announce")
    code_block_text: str = "There is a code block here, which I will skip."
    """Said in place of a code block when code_blocks is announce."""
    urls: str = choice("domain", "domain", "skip")
    pauses: Pauses = field(default_factory=Pauses)
    detect_ssml: bool = False
    """Read a reply that names no text_format but opens with <speak> as SSML."""
    lexicon: dict[str, str] = field(default_factory=dict)
    """Whole words to replace before speaking, e.g. {"Nguyen": "Win"}. A word in lower case
    matches any case (the replacement takes its capital); one with capitals ("HA") only itself."""
