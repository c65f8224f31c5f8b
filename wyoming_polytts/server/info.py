"""The Info event Home Assistant reads on every Describe (every 30 s), from the engines' voices."""

from __future__ import annotations

from collections.abc import Iterable

from wyoming.info import Attribution, Info, TtsProgram, TtsVoice

from .. import __version__
from ..engines.base import EngineVoice

PROGRAM_NAME = "polytts"
ATTRIBUTION = Attribution(
    name="wyoming_polytts", url="https://github.com/wyoming-polytts/wyoming_polytts"
)


def build_info(voices: Iterable[EngineVoice]) -> Info:
    """One TtsProgram that streams, listing every voice with its languages; never a satellite."""
    return Info(
        tts=[
            TtsProgram(
                name=PROGRAM_NAME,
                description="Streaming text to speech with per-satellite voices",
                attribution=ATTRIBUTION,
                installed=True,
                version=__version__,
                supports_synthesize_streaming=True,
                voices=[
                    TtsVoice(
                        name=voice.name,
                        description=voice.description,
                        attribution=_attribution(voice),
                        installed=True,
                        version=None,
                        languages=list(voice.languages),
                    )
                    for voice in voices
                ],
            )
        ]
    )


def _attribution(voice: EngineVoice) -> Attribution:
    if voice.credit is None:
        return ATTRIBUTION
    return Attribution(name=voice.credit.name, url=voice.credit.url)
