"""Cut streamed SSML into speakable segments: sentences within each stretch of one delivery.

A change of delivery (rate, voice, language) ends a segment; so do sentence and paragraph
ends and breaks, whose pause the segment takes. The last segment before such an end is held
back until words follow it, so that a break right after a sentence's end lengthens that
sentence's pause rather than being lost.
"""

from __future__ import annotations

import dataclasses
import re

from .locale import Locale
from .segment import Delivery, Pause, Segment
from .sentences import SentenceSplitter
from .settings import TextSettings
from .ssml import Boundary, Piece, SsmlReader, VoiceLanguage, Words

_SPACES = re.compile(r"\s+")
_MARKS = re.compile(r"\W*")
"""Punctuation (and spaces) before a text's first word."""
_STRENGTH = list(Pause)
"""Pauses from the shortest kind to the longest."""
_DELIVERY_CHANGE = Boundary(Pause.CLAUSE)
_END = Boundary(Pause.PARAGRAPH)


class SsmlSegmenter:
    """Feed SSML fragments; get the segments they complete (plain text, not yet normalized)."""

    def __init__(self, settings: TextSettings, locale: Locale, voice_language: VoiceLanguage):
        self._reader = SsmlReader(locale, settings.pauses, voice_language)
        self._splitter = SentenceSplitter(settings, locale)
        self._run = ""
        """Text not yet cut, all of `_delivery`."""
        self._delivery = Delivery()
        self._held: Segment | None = None
        self._spoken_words = 0

    def feed(self, chunk: str) -> list[Segment]:
        return self._segments(self._reader.feed(chunk))

    def finish(self) -> list[Segment]:
        return self._segments([*self._reader.finish(), _END]) + self._release()

    def _segments(self, pieces: list[Piece]) -> list[Segment]:
        segments: list[Segment] = []
        for piece in pieces:
            if isinstance(piece, Words):
                segments += self._words(piece)
            else:
                segments += self._close(piece)
        return segments

    def _words(self, words: Words) -> list[Segment]:
        text = _SPACES.sub(" ", words.text)
        found = _MARKS.match(text)
        marks = _SPACES.sub("", found[0]) if found else ""
        if found and marks and (words.delivery != self._delivery or self._held is not None):
            # In "</prosody>, and" the comma ends the words before the element
            text = text[found.end() :]
            if self._run:
                self._run = self._run.rstrip() + marks
            elif self._held is not None:
                self._held = dataclasses.replace(self._held, text=self._held.text + marks)
        segments: list[Segment] = []
        if text.strip():
            if words.delivery != self._delivery:
                if self._run.strip():
                    segments += self._close(_DELIVERY_CHANGE)
                self._delivery = words.delivery
            segments += self._release()
        if not self._run or self._run.endswith(" "):
            # However the text was chunked, a run starts with a word and has single spaces
            text = text.lstrip()
        self._run += text
        return segments + self._cuts(complete=False)

    def _cuts(self, complete: bool) -> list[Segment]:
        segments: list[Segment] = []
        while cut := self._splitter.next_cut(self._run, complete, self._spoken_words):
            self._run = self._run[len(cut.text) :]
            segments += self._segment(cut.text, cut.pause)
        return segments

    def _segment(self, text: str, pause: Pause, seconds: float | None = None) -> list[Segment]:
        if not text.strip():
            return []
        self._spoken_words += len(text.split())
        return [Segment(text.strip(), pause, seconds, self._delivery)]

    def _close(self, boundary: Boundary) -> list[Segment]:
        """End the run of text at `boundary`; its last segment is held with that pause."""
        segments = self._cuts(complete=True)
        rest, self._run = self._run, ""
        if rest.strip():
            (self._held,) = self._segment(rest, boundary.pause, boundary.seconds)
        elif self._held is not None:
            self._held = _lengthened(self._held, boundary)
        return segments

    def _release(self) -> list[Segment]:
        held, self._held = self._held, None
        return [held] if held else []


def _lengthened(segment: Segment, boundary: Boundary) -> Segment:
    """The pause after `segment` once `boundary` follows: the stronger kind; breaks add up."""
    pause = max(segment.pause, boundary.pause, key=_STRENGTH.index)
    seconds = segment.pause_seconds
    if boundary.seconds is not None:
        seconds = boundary.seconds + (seconds or 0.0)
    return dataclasses.replace(segment, pause=pause, pause_seconds=seconds)
