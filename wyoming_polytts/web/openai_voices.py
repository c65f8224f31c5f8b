"""OpenAI's voice names as Kokoro voices, as Kokoro-FastAPI maps them.

Kokoro-FastAPI maps OpenAI's first nine names to Kokoro voices of a like character (some
of them Kokoro 0.19 voices, here their Kokoro 1.0 successors); the names OpenAI added later
have Kokoro voices chosen here. A voice or profile of the same name wins over the alias.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from ..engines.base import EngineVoice
from ..engines.errors import BadVoice

OPENAI_VOICES: Mapping[str, str] = {
    "alloy": "am_adam",
    "ash": "af_nicole",
    "coral": "bf_emma",
    "echo": "af_bella",
    "fable": "af_sarah",
    "onyx": "bm_george",
    "nova": "bf_isabella",
    "sage": "am_michael",
    "shimmer": "af_sky",
    "ballad": "bm_lewis",
    "verse": "am_puck",
    "marin": "af_heart",
    "cedar": "am_liam",
}


def voice_for(
    name: str, profiles: Collection[str], find_voice: Callable[[str], EngineVoice | None]
) -> str:
    """The voice a request's name means: a profile, a voice an engine speaks, else the Kokoro
    voice of an OpenAI name (an unknown name is left for the reply to refuse)."""
    if name in profiles:
        return name
    try:
        if find_voice(name) is not None:
            return name
    except BadVoice:
        return name  # the reply says what is wrong with it
    return OPENAI_VOICES.get(name.lower(), name)


def offered_aliases(offered: Collection[str]) -> dict[str, str]:
    """The OpenAI names whose Kokoro voice is offered (and which no voice hides)."""
    return {
        alias: voice
        for alias, voice in OPENAI_VOICES.items()
        if voice in offered and alias not in offered
    }
