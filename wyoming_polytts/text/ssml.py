"""What SSML means for speech: words with how to deliver them, and the pauses between them.

Supported: speak, p, s, break (time, strength), sub (alias), say-as, prosody rate, voice name,
lang; emphasis, prosody pitch and volume are accepted and ignored (there is nothing in the
engines to map them to). Other elements are dropped and their text spoken. Markup is never
spoken. From the first place the markup is not well-formed on, the rest of the reply is
spoken as its text with the tags removed, and a warning is logged: a streamed reply cannot
take back what it already said, and a whole one is read the same way.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .locale import Locale
from .say_as import say_as
from .segment import Delivery, Pause
from .settings import Pauses
from .ssml_tokens import Broken, SsmlTokenizer, Tag, Text, Token

_LOGGER = logging.getLogger(__name__)

VoiceLanguage = Callable[[str], str | None]
"""The language of a voice the reply may switch to; None: it may not (unknown, or another
engine's)."""

MAX_BREAK_SECONDS = 10.0
MAX_DEPTH = 64
"""Elements open at once; deeper nesting is no reply's (and would cost every token more)."""
RATES = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
_TIME = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", re.IGNORECASE)
_RATE = re.compile(r"\s*([+-]?)(\d+(?:\.\d+)?)\s*(%?)\s*")
_STRUCTURE = {"p": Pause.PARAGRAPH, "paragraph": Pause.PARAGRAPH}
_STRUCTURE |= {"s": Pause.SENTENCE, "sentence": Pause.SENTENCE}
_IGNORED = frozenset({"emphasis", "audio", "phoneme", "mark", "w", "token"})
"""Accepted, their text spoken as it is."""
_SILENT = frozenset({"desc", "metadata", "lexicon"})
"""Elements whose content is not speech."""


def opens_as_ssml(text: str) -> bool | None:
    """Whether a reply's start is SSML (`<speak`, `<?xml`); None: too little has arrived."""
    start = text.lstrip()
    for opening in ("<speak", "<?xml"):
        if start.startswith(opening):
            return True
        if opening.startswith(start):
            return None if len(start) < len(opening) else False
    return False


@dataclass(frozen=True)
class Words:
    text: str
    delivery: Delivery


@dataclass(frozen=True)
class Boundary:
    """The end of a sentence or paragraph, or a break."""

    pause: Pause
    seconds: float | None = None
    """A break's length; None: a structural end, as long as `pause` says. A break is not a
    sentence's end: its words are not made to end like one."""


Piece = Words | Boundary


@dataclass
class _Element:
    name: str
    delivery: Delivery
    """Inside the element."""
    ends: Pause | None = None
    """The boundary its end makes (p, s)."""
    said_as: Callable[[str], str] | None = None
    """Turns its text into what is said (sub, say-as); its text is collected until its end."""
    collected: list[str] = field(default_factory=list)


class SsmlReader:
    """Feed SSML fragments; take the words and boundaries they complete."""

    def __init__(self, locale: Locale, pauses: Pauses, voice_language: VoiceLanguage) -> None:
        self._locale = locale
        self._pauses = pauses
        self._voice_language = voice_language
        self._tokens = SsmlTokenizer()
        self._open: list[_Element] = []
        self._broken = False

    def feed(self, chunk: str) -> list[Piece]:
        return self._read(self._tokens.feed(chunk))

    def finish(self) -> list[Piece]:
        pieces = self._read(self._tokens.finish())
        if self._open and not self._broken:
            names = ", ".join(element.name for element in self._open)
            pieces += self._break_down(f"elements never closed ({names})")
        return pieces

    @property
    def _delivery(self) -> Delivery:
        return self._open[-1].delivery if self._open else Delivery()

    @property
    def _collecting(self) -> _Element | None:
        return next((element for element in self._open if element.said_as), None)

    def _read(self, tokens: list[Token]) -> list[Piece]:
        pieces: list[Piece] = []
        for token in tokens:
            if self._broken:
                # Tags are removed; a space keeps the words on either side apart
                text = token.text if isinstance(token, Text | Broken) else " "
                pieces.append(Words(text, Delivery()))
            elif isinstance(token, Broken):
                pieces += self._break_down(token.reason, token.text)
            elif isinstance(token, Text):
                collecting = self._collecting
                if collecting is not None:
                    collecting.collected.append(token.text)
                elif not self._silent():
                    pieces.append(Words(token.text, self._delivery))
            elif token.closing:
                pieces += self._close(token.name)
            else:
                pieces += self._start(token)
        return pieces

    def _silent(self) -> bool:
        return any(element.name in _SILENT for element in self._open)

    def _break_down(self, reason: str, text: str = "") -> list[Piece]:
        _LOGGER.warning("Malformed SSML (%s): the rest is spoken without its markup", reason)
        self._broken = True
        collecting = self._collecting
        unsaid = "".join(collecting.collected) if collecting else ""
        self._open.clear()
        return [Words(unsaid + text, Delivery())] if unsaid + text else []

    def _close(self, name: str) -> list[Piece]:
        if not self._open or self._open[-1].name != name:
            expected = f"</{self._open[-1].name}>" if self._open else "no end tag"
            return self._break_down(f"</{name}> where {expected} was expected")
        element = self._open.pop()
        pieces: list[Piece] = []
        if element.said_as is not None and self._collecting is None:
            pieces.append(Words(element.said_as("".join(element.collected)), self._delivery))
        if element.ends is not None:
            pieces.append(Boundary(element.ends))
        return pieces

    def _start(self, tag: Tag) -> list[Piece]:
        if len(self._open) >= MAX_DEPTH:
            return self._break_down(f"elements nested deeper than {MAX_DEPTH}")
        element = _Element(tag.name, self._delivery)
        pieces: list[Piece] = []
        if self._collecting is None:
            pieces = self._meaning(tag, element)
        if not tag.empty:
            self._open.append(element)
        elif element.said_as is not None:
            pieces.append(Words(element.said_as(""), self._delivery))
        return pieces

    def _meaning(self, tag: Tag, element: _Element) -> list[Piece]:
        """Applies what `tag` means to `element` (its delivery, what it says and ends with);
        returns the pieces it makes at once."""
        name, attributes = tag.name, tag.attributes
        language = attributes.get("xml:lang")
        if name in ("speak", "lang") and language:
            element.delivery = self._language(element.delivery, language)
        elif name in _STRUCTURE:
            element.ends = _STRUCTURE[name]
            return [Boundary(element.ends)]
        elif name == "break":
            found = self._break(attributes.get("time"), attributes.get("strength"))
            return [found] if found else []
        elif name == "sub":
            alias = attributes.get("alias")
            if alias is not None:
                element.said_as = lambda _written: alias
        elif name == "say-as":
            kind, form = attributes.get("interpret-as", ""), attributes.get("format")
            element.said_as = lambda written: say_as(kind, written, form, self._locale)
        elif name == "prosody":
            element.delivery = self._prosody(element.delivery, attributes)
        elif name == "voice":
            element.delivery = self._voice(element.delivery, attributes.get("name"))
        elif name in _IGNORED or name in _SILENT or name in ("speak", "lang"):
            _LOGGER.debug("SSML <%s> is accepted and ignored", name)
        else:
            _LOGGER.debug("SSML <%s> is not supported: its text is spoken", name)
        return []

    def _language(self, delivery: Delivery, language: str) -> Delivery:
        """`delivery` in `language`; unchanged if it speaks that language already."""
        current = Locale.of(delivery.language) if delivery.language else self._locale
        if Locale.of(language) == current:
            return delivery
        return dataclasses.replace(delivery, language=language)

    def _break(self, time: str | None, strength: str | None) -> Boundary | None:
        """The pause a break makes; None for strength "none", which keeps words together."""
        pauses = self._pauses
        match = _TIME.fullmatch(time) if time else None
        if match is not None:
            seconds = float(match[1]) / (1000 if match[2].lower() == "ms" else 1)
            return Boundary(Pause.SENTENCE, min(seconds, MAX_BREAK_SECONDS))
        written = (strength or "medium").strip().lower()
        if written == "none":
            return None
        strengths = {
            "x-weak": pauses.clause / 2,
            "weak": pauses.clause,
            "medium": pauses.sentence,
            "strong": pauses.paragraph,
            "x-strong": 2 * pauses.paragraph,
        }
        return Boundary(Pause.SENTENCE, strengths.get(written, pauses.sentence))

    def _prosody(self, delivery: Delivery, attributes: Mapping[str, str]) -> Delivery:
        rate = attributes.get("rate")
        others = sorted(set(attributes) - {"rate"})
        if others:
            _LOGGER.debug("SSML prosody %s accepted and ignored", ", ".join(others))
        factor = _rate(rate) if rate else 1.0
        if factor is None:
            _LOGGER.debug("SSML prosody rate %r is not a rate; ignored", rate)
            return delivery
        return dataclasses.replace(delivery, speed=delivery.speed * factor)

    def _voice(self, delivery: Delivery, name: str | None) -> Delivery:
        language = self._voice_language(name) if name else None
        if name and language is None:
            _LOGGER.warning(
                "SSML voice %s is not a voice of this reply's engine; keeping the reply's", name
            )
        if not name or language is None:
            return delivery
        return dataclasses.replace(delivery, voice=name, language=language)


def _rate(written: str) -> float | None:
    """A prosody rate as a factor: a keyword, "80%" of normal, "+20%", "-10%", or "1.2"."""
    keyword = RATES.get(written.strip().lower())
    if keyword is not None:
        return keyword
    match = _RATE.fullmatch(written)
    if match is None:
        return None
    sign, number, percent = match[1], float(match[2]), match[3]
    if sign:
        change = number / 100 if percent else number
        factor = 1 + change if sign == "+" else 1 - change
    else:
        factor = number / 100 if percent else number
    return factor if factor > 0 else None
