"""One reply's text path: streamed markdown or SSML in, speakable segments with pauses out."""

from __future__ import annotations

from typing import Protocol

from .locale import Locale
from .markdown import render_inline
from .normalize import Normalizer
from .segment import Pause, Segment
from .segmenter import Segmenter
from .settings import TextSettings
from .ssml import VoiceLanguage, opens_as_ssml
from .ssml_segmenter import SsmlSegmenter

SSML = "ssml"
"""The `text_format` of SSML requests (Wyoming's name)."""


class _Cutter(Protocol):
    def feed(self, chunk: str) -> list[Segment]: ...
    def finish(self) -> list[Segment]: ...


def _no_other_voices(_name: str) -> str | None:
    return None


class TextPipeline:
    """Feed the reply's fragments as they arrive; take the speakable segments they complete
    (normalized plain text, never empty)."""

    def __init__(
        self,
        settings: TextSettings,
        language: str,
        text_format: str | None = None,
        voice_language: VoiceLanguage = _no_other_voices,
    ) -> None:
        """`text_format`: "ssml", or markdown (anything else); when absent, a reply that opens
        with <speak> is SSML if `settings.detect_ssml`. `voice_language`: the language of a
        voice SSML may switch to, None where it may not."""
        self._settings = settings
        self._locale = locale = Locale.of(language)
        self._voice_language = voice_language
        self._language = language
        self._normalizers = {language: (locale, Normalizer(settings, locale))}
        """Per language: a segment may be in another language than the reply (SSML)."""
        self._cutter: _Cutter | None = None
        self._ssml = False
        self._opening = ""
        """The start of a reply whose format is still being told."""
        if text_format == SSML:
            self._use(ssml=True)
        elif text_format is not None or not settings.detect_ssml:
            self._use(ssml=False)

    def _use(self, *, ssml: bool) -> _Cutter:
        self._ssml = ssml
        self._cutter = (
            SsmlSegmenter(self._settings, self._locale, self._voice_language)
            if ssml
            else Segmenter(self._settings, self._locale)
        )
        return self._cutter

    def feed(self, chunk: str) -> list[Segment]:
        cutter = self._cutter
        if cutter is None:
            self._opening += chunk
            ssml = opens_as_ssml(self._opening)
            if ssml is None:
                return []
            cutter, chunk, self._opening = self._use(ssml=ssml), self._opening, ""
        return self._speakable(cutter.feed(chunk))

    def finish(self) -> list[Segment]:
        if self._cutter is None:  # too short to tell: not SSML
            cutter = self._use(ssml=False)
            return self._speakable(cutter.feed(self._opening) + cutter.finish())
        return self._speakable(self._cutter.finish())

    def pause_after(self, segment: Segment) -> float:
        """Seconds of silence after `segment`."""
        if segment.pause_seconds is not None:
            return segment.pause_seconds
        return self._settings.pauses.after(segment.pause)

    def _normalizer(self, language: str | None) -> tuple[Locale, Normalizer]:
        language = language or self._language
        if language not in self._normalizers:
            locale = Locale.of(language)
            self._normalizers[language] = (locale, Normalizer(self._settings, locale))
        return self._normalizers[language]

    def _speakable(self, cuts: list[Segment]) -> list[Segment]:
        segments = []
        for cut in cuts:
            locale, normalize = self._normalizer(cut.delivery.language)
            text = normalize(cut.text if self._ssml else render_inline(cut.text))
            if text and cut.pause in (Pause.ITEM, Pause.PARAGRAPH) and text[-1].isalnum():
                # A list item or heading ends like a sentence, not mid-thought
                text += "。" if locale.cjk else "."
            if text:
                segments.append(Segment(text, cut.pause, cut.pause_seconds, cut.delivery))
        return segments


def split_text(
    text: str, settings: TextSettings, language: str, text_format: str | None = None
) -> list[Segment]:
    """The segments of a whole text at once."""
    pipeline = TextPipeline(settings, language, text_format)
    return pipeline.feed(text) + pipeline.finish()
