"""The languages Kokoro speaks, and how a voice name or a language code names one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KokoroLanguage:
    code: str
    """What Info advertises and the text pipeline reads (Home Assistant's style)."""
    espeak: str
    """What espeak-ng phonemizes with."""
    label: str


VOICE_PREFIXES = {
    "a": KokoroLanguage("en-US", "en-us", "American English"),
    "b": KokoroLanguage("en-GB", "en-gb", "British English"),
    "e": KokoroLanguage("es", "es", "Spanish"),
    "f": KokoroLanguage("fr", "fr-fr", "French"),
    "h": KokoroLanguage("hi", "hi", "Hindi"),
    "i": KokoroLanguage("it", "it", "Italian"),
    "j": KokoroLanguage("ja", "ja", "Japanese"),
    "p": KokoroLanguage("pt-BR", "pt-br", "Brazilian Portuguese"),
    "z": KokoroLanguage("zh-CN", "cmn", "Mandarin Chinese"),
}
"""Kokoro voice names start with a language letter and a gender letter (af_heart, bm_george)."""


def voice_language(voice: str) -> KokoroLanguage:
    """The language a Kokoro voice speaks, from its name's first letter."""
    try:
        return VOICE_PREFIXES[voice[0]]
    except (IndexError, KeyError) as err:
        raise ValueError(f"not a Kokoro voice name: {voice!r}") from err


def prefixed_language(name: str) -> KokoroLanguage | None:
    """The language of a name in Kokoro's style ("af_", "bm_"), or None for any other name."""
    if len(name) > 3 and name[1] in "fm" and name[2] == "_":
        return VOICE_PREFIXES.get(name[0])
    return None


def language_of_code(code: str) -> KokoroLanguage | None:
    """The Kokoro language a code names ("en-GB", "pt_br", "fr-FR", "en"), if Kokoro speaks it:
    the exact code first, else the first one of the same base language."""
    wanted = code.strip().replace("_", "-").lower()
    languages = VOICE_PREFIXES.values()
    exact = next((language for language in languages if language.code.lower() == wanted), None)
    base = wanted.split("-", 1)[0]
    return exact or next(
        (language for language in languages if language.code.lower().split("-")[0] == base), None
    )
