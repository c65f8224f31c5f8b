"""One reply's text path: streamed markdown in, speakable segments with pauses out."""

from __future__ import annotations

from .locale import Locale
from .markdown import render_inline
from .normalize import Normalizer
from .segment import Pause, Segment
from .segmenter import Segmenter
from .settings import TextSettings


class TextPipeline:
    """Feed the reply's fragments as they arrive; take the speakable segments they complete
    (normalized plain text, never empty)."""

    def __init__(self, settings: TextSettings, language: str) -> None:
        self._settings = settings
        self._locale = locale = Locale.of(language)
        self._segmenter = Segmenter(settings, locale)
        self._normalize = Normalizer(settings, locale)

    def feed(self, chunk: str) -> list[Segment]:
        return self._speakable(self._segmenter.feed(chunk))

    def finish(self) -> list[Segment]:
        return self._speakable(self._segmenter.finish())

    def pause_after(self, segment: Segment) -> float:
        """Seconds of silence after `segment`."""
        return self._settings.pauses.after(segment.pause)

    def _speakable(self, cuts: list[Segment]) -> list[Segment]:
        segments = []
        for cut in cuts:
            text = self._normalize(render_inline(cut.text))
            if text and cut.pause in (Pause.ITEM, Pause.PARAGRAPH) and text[-1].isalnum():
                # A list item or heading ends like a sentence, not mid-thought
                text += "。" if self._locale.cjk else "."
            if text:
                segments.append(Segment(text, cut.pause))
        return segments


def split_text(text: str, settings: TextSettings, language: str) -> list[Segment]:
    """The segments of a whole text at once."""
    pipeline = TextPipeline(settings, language)
    return pipeline.feed(text) + pipeline.finish()
