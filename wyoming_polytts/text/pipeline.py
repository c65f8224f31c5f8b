"""One reply's text path: streamed markdown in, speakable segments with pauses out."""

from __future__ import annotations

from dataclasses import dataclass

from .markdown import render_inline
from .normalize import Normalizer
from .segmenter import Piece, Segmenter
from .settings import TextSettings


@dataclass(frozen=True)
class Segment:
    text: str
    """Normalized, speakable plain text; never empty."""
    pause_after: float
    """Seconds of silence after it."""


class TextPipeline:
    """Feed the reply's fragments as they arrive; take the segments they complete."""

    def __init__(self, settings: TextSettings, language: str) -> None:
        self._settings = settings
        self._segmenter = Segmenter(settings, language)
        self._normalize = Normalizer(settings, language)
        self._cjk = language.lower().startswith(("ja", "zh"))

    def feed(self, chunk: str) -> list[Segment]:
        return self._speakable(self._segmenter.feed(chunk))

    def finish(self) -> list[Segment]:
        return self._speakable(self._segmenter.finish())

    def _speakable(self, pieces: list[Piece]) -> list[Segment]:
        segments = []
        for piece in pieces:
            text = self._normalize(render_inline(piece.text))
            if text and piece.pause in ("item", "paragraph") and text[-1].isalnum():
                # A list item or heading ends like a sentence, not mid-thought
                text += "。" if self._cjk else "."
            if text:
                segments.append(Segment(text, getattr(self._settings.pauses, piece.pause)))
        return segments


def split_text(text: str, settings: TextSettings, language: str) -> list[Segment]:
    """The segments of a whole text at once."""
    pipeline = TextPipeline(settings, language)
    return pipeline.feed(text) + pipeline.finish()
