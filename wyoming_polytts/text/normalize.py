"""Plain text to what a voice should say, per language: no emoji, short URLs, spoken numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from num2words import num2words

from .english import normalize_english
from .settings import TextSettings

_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U0001fc00-\U0001ffff\u2600-\u27bf\u2b00-\u2bff\u2190-\u21ff"
    "\u2300-\u23ff\ufe0e\ufe0f\u200d\u20e3\U000e0020-\U000e007f]"
)
_URL = re.compile(r"\b(?:https?://|www\.)(?:www\.)?([\w-]+(?:\.[\w-]+)+)[^\s)\]>,]*", re.IGNORECASE)
_EMAIL = re.compile(r"\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b")
_STRAY = re.compile(r"[*#|<>^\\{}\[\]•→←]")
_SPACES = re.compile(r"\s+")
_SPEAKABLE = re.compile(r"\w")


@dataclass(frozen=True)
class LanguageWords:
    num2words: str | None
    """num2words' code, or None to leave digits to the phonemizer."""
    dot: str
    comma: str
    """How a decimal comma is read."""
    at: str
    percent: str
    degrees: str


_LANGUAGES: Mapping[str, LanguageWords] = {
    "es": LanguageWords("es", "punto", "coma", "arroba", "por ciento", "grados"),
    "fr": LanguageWords("fr", "point", "virgule", "arobase", "pour cent", "degrés"),
    "it": LanguageWords("it", "punto", "virgola", "chiocciola", "per cento", "gradi"),
    "pt": LanguageWords("pt_BR", "ponto", "vírgula", "arroba", "por cento", "graus"),
    "ja": LanguageWords("ja", "ドット", "点", "アット", "パーセント", "度"),
    "hi": LanguageWords(None, "डॉट", "दशमलव", "एट", "प्रतिशत", "डिग्री"),
    "zh": LanguageWords(None, "点", "点", "艾特", "百分之", "度"),
}
_ENGLISH = LanguageWords("en", "dot", "point", "at", "percent", "degrees")
_UNKNOWN = LanguageWords(None, "dot", "point", "at", "%", "°")
"""A language without rules here: symbols and digits are left to the phonemizer."""


def words_for(language: str) -> LanguageWords:
    base = language.replace("_", "-").split("-", maxsplit=1)[0].lower()
    return _ENGLISH if base == "en" else _LANGUAGES.get(base, _UNKNOWN)


def normalize(text: str, language: str, settings: TextSettings) -> str:
    """Speakable text, or '' when nothing in it can be said."""
    words = words_for(language)
    text = _apply_lexicon(text, settings.lexicon)
    text = _EMOJI.sub(" ", text)
    text = _EMAIL.sub(
        lambda m: f"{_spell_dots(m.group(1), words)} {words.at} {_spell_dots(m.group(2), words)}",
        text,
    )
    text = _URL.sub(
        lambda m: "" if settings.urls == "skip" else _spell_dots(m.group(1), words), text
    )
    text = normalize_english(text) if words is _ENGLISH else _other_language(text, words)
    text = _SPACES.sub(" ", _STRAY.sub(" ", text)).strip()
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    return text if _SPEAKABLE.search(text) else ""


def _spell_dots(name: str, words: LanguageWords) -> str:
    return f" {words.dot} ".join(name.split("."))


def _apply_lexicon(text: str, lexicon: Mapping[str, str]) -> str:
    for word, replacement in lexicon.items():
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", replacement, text, flags=re.IGNORECASE)
    return text


def _other_language(text: str, words: LanguageWords) -> str:
    """Symbols in the voice's language; numbers by num2words where it knows the language."""
    text = re.sub(r"\s?°\s?C\b", f" {words.degrees} Celsius", text)
    text = re.sub(r"\s?°", f" {words.degrees}", text)
    text = re.sub(r"\s?%", f" {words.percent}", text)
    if words.num2words is None:
        return text
    code = words.num2words

    def spoken(match: re.Match[str]) -> str:
        whole, separator, fraction = _decimal_parts(match.group(0))
        said = str(num2words(int(whole), lang=code)).replace(",", "")
        if fraction:
            point = words.comma if separator == "," else words.dot
            said += f" {point} " + " ".join(num2words(int(d), lang=code) for d in fraction)
        return said

    # Decimal comma or point, never a thousands separator of three digits
    return re.sub(r"(?<![0-9A-Za-z.,])\d+(?:[.,](?!\d{3}\b)\d+)?", spoken, text)


def _decimal_parts(number: str) -> tuple[str, str, str]:
    for separator in ".,":
        whole, found, fraction = number.partition(separator)
        if found:
            return whole, separator, fraction
    return number, "", ""
