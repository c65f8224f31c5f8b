"""Plain text to what a voice should say: lexicon, no emoji, short web addresses, the
numbers and symbols of the voice's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .english import normalize_english
from .language_rules import LanguageRules
from .locale import Locale
from .settings import TextSettings

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U0001fc00-\U0001ffff\u2600-\u27bf\u2b00-\u2bff\u2190-\u21ff"
    "\u2300-\u23ff\ufe0e\ufe0f\u200d\u20e3\U000e0020-\U000e007f\u00a9\u00ae\u2122]"
)
_URL = re.compile(
    r"\b(?:https?://|www\.)(?:www\.)?(?P<domain>[\w-]+(?:\.[\w-]+)+)(?::\d+)?"
    r"(?:[/?#]\S*?)?(?P<end>[.,;:!?)\]'\"]*(?:\s|$))",
    re.IGNORECASE,
)
"""The path is not said; punctuation after the address is kept."""
_BARE_DOMAIN = re.compile(r"\b(?P<domain>[\w-]+\.(?:com|org|net|io|dev|app|co\.uk|de|fr|es|it))\b")
_EMAIL = re.compile(r"\b(?P<user>[\w.+-]+)@(?P<domain>[\w-]+(?:\.[\w-]+)+)\b")
_SPACES = {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2212": "-"}
_STRAY = re.compile(r"[*#|¦<>^\\{}\[\]•→←_]|(?<!\w)/|/(?!\w)")
_SPACE_RUNS = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.!?;:。、，！？])")
_SPEAKABLE = re.compile(r"\w")


class Normalizer:
    """What one voice should say for a piece of plain text; built once per reply."""

    def __init__(self, settings: TextSettings, locale: Locale) -> None:
        self._settings = settings
        self._lexicon = _lexicon(settings.lexicon)
        self._numbers: Callable[[str], str]
        if locale.english:
            british = locale.british
            self._numbers = lambda text: normalize_english(text, british)
            self._dot, self._at = "dot", "at"
        elif locale.words is not None:
            rules = LanguageRules(locale.words)
            self._numbers = rules
            self._dot, self._at = rules.language.dot, rules.language.at
        else:
            # No rules for this language: its phonemizer reads digits and symbols itself
            self._numbers = lambda text: text
            self._dot, self._at = ".", "@"

    def __call__(self, text: str) -> str:
        """Speakable text, or '' when nothing in it can be said."""
        text = self._lexicon(text)
        for written, spoken in _SPACES.items():
            text = text.replace(written, spoken)
        text = _EMOJI.sub(" ", text)
        text = _EMAIL.sub(self._email, text)
        text = _URL.sub(self._url, text)
        text = _BARE_DOMAIN.sub(self._url, text)
        text = self._numbers(text)
        text = _SPACE_RUNS.sub(" ", _STRAY.sub(" ", text)).strip()
        text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
        return text if _SPEAKABLE.search(text) else ""

    def _spelled(self, name: str) -> str:
        return f" {self._dot} ".join(name.split(".")) if self._dot != "." else name

    def _email(self, match: re.Match[str]) -> str:
        return f"{self._spelled(match['user'])} {self._at} {self._spelled(match['domain'])}"

    def _url(self, match: re.Match[str]) -> str:
        spoken = "" if self._settings.urls == "skip" else self._spelled(match["domain"])
        return spoken + match.groupdict("").get("end", "")


def _lexicon(entries: Mapping[str, str]) -> Callable[[str], str]:
    """Whole-word replacements. An all-lower-case word matches any case and the replacement
    follows its capital; a word with capitals ("HA") matches only as written."""
    if not entries:
        return lambda text: text
    exact = {word: spoken for word, spoken in entries.items() if word != word.lower()}
    folded = {word: spoken for word, spoken in entries.items() if word == word.lower()}
    words = sorted(entries, key=len, reverse=True)
    pattern = re.compile(
        "|".join(
            rf"(?<!\w){re.escape(word) if word in exact else '(?i:' + re.escape(word) + ')'}(?!\w)"
            for word in words
        )
    )

    def replace(match: re.Match[str]) -> str:
        written = match[0]
        if written in exact:
            return exact[written]
        spoken = folded[written.lower()]
        return spoken[:1].upper() + spoken[1:] if written[:1].isupper() else spoken

    return lambda text: pattern.sub(replace, text)
