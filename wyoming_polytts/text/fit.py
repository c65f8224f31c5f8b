"""Cutting a segment so that its first part is ready in time, where a person would pause.

A reply's first words play while the next segment is synthesized: when that segment is a
long sentence, it is cut so that its first part is spoken before the audio in hand runs
out. The cut goes where a speaker would breathe: at clause punctuation, else before a
conjunction or preposition that starts a phrase, else between words as the last resort.
"""

from __future__ import annotations

import dataclasses
import re

from .locale import Locale
from .segment import Pause, Segment
from .sentences import clause_ends

MIN_WORDS = 3
"""Neither part is shorter: a lone word sounds worse than a short gap."""
_PHRASE_STARTS = {
    "en": "and but or so because while when which who that then with without for to from "
    "after before until if since although though as at in on by about into than",
    "es": "y e pero o u porque mientras cuando que con sin para por desde hasta si aunque como",
    "fr": "et mais ou donc car parce lorsque quand que qui avec sans pour par depuis jusqu si "
    "comme dans sur",
    "it": "e ma o perché mentre quando che con senza per da fino se anche come in su",
    "pt": "e mas ou porque enquanto quando que com sem para por desde até se embora como em",
}
"""Words before which a phrase begins, per language."""
_LEANING = {
    "en": "a an the to of my your his her its our their this that these those is are was were "
    "be been has have had will would can could should do does did not on in at for with from "
    "by into about",
    "es": "el la los las un una de del al mi su tu",
    "fr": "le la les un une de du des au aux mon ma mes son sa ses",
    "it": "il lo la i gli le un una di del della al mio mia suo sua",
    "pt": "o a os as um uma de do da no na meu minha seu sua",
}
"""Words that belong with the word after them: never the last of a first part."""
SLACK = 1.5
"""How much longer than its budget a first part may be to end at a clause or phrase."""


def fit(
    segment: Segment,
    max_chars: int,
    locale: Locale,
    min_chars: int = 0,
    *,
    between_words: bool = True,
) -> tuple[Segment, Segment | None]:
    """`segment` whole when it has at most `max_chars` characters, else its first part (as
    long as fits, at the best pause, and at least `min_chars` long) and the rest;
    (segment, None) when no cut keeps both parts MIN_WORDS long (`between_words`: cuts
    between words are allowed, as the last resort)."""
    text = segment.text
    if len(text) <= max_chars:
        return segment, None
    cut = _best_cut(text, max_chars, locale, min_chars, between_words)
    if cut is None:
        return segment, None
    end, pause = cut
    head = dataclasses.replace(segment, text=text[:end].rstrip(), pause=pause, pause_seconds=None)
    tail = dataclasses.replace(segment, text=text[end:].lstrip())
    return head, tail


def shortest_part(segment: Segment, locale: Locale, min_chars: int = 0) -> int:
    """The characters of the shortest first part `fit` may cut `segment` to (at least
    `min_chars`, MIN_WORDS words each side); the whole segment's when no cut does."""
    text = segment.text
    usable = [end for ends in _cuts(text, locale, min_chars) for end in ends]
    return len(text[: min(usable)].rstrip()) if usable else len(text)


def _cuts(text: str, locale: Locale, min_chars: int) -> tuple[list[int], list[int], list[int]]:
    """The usable cuts at clause punctuation, before phrases and between words."""
    return (
        _usable(text, clause_ends(text), min_chars),
        _usable(text, _phrase_starts(text, locale), min_chars),
        _usable(text, _word_breaks(text, locale), min_chars),
    )


def _best_cut(
    text: str, max_chars: int, locale: Locale, min_chars: int, between_words: bool
) -> tuple[int, Pause] | None:
    """The latest cut of the best kind within `max_chars`; a phrase a little longer rather
    than words torn apart; when nothing fits, the earliest phrase (the reply is late)."""
    clauses, phrases, words = _cuts(text, locale, min_chars)
    if not between_words:
        words = []
    choices = [
        (max_chars, [(clauses, Pause.CLAUSE), (phrases, Pause.PHRASE)]),
        (int(max_chars * SLACK), [(clauses, Pause.CLAUSE), (phrases, Pause.PHRASE)]),
        (max_chars, [(words, Pause.PHRASE)]),
    ]
    for limit, kinds in choices:
        for ends, pause in kinds:
            fitting = [end for end in ends if end <= limit]
            if fitting:
                return fitting[-1], pause
    # The reply is late: the shortest first part that still ends a phrase, else a word
    for kinds in ([(clauses, Pause.CLAUSE), (phrases, Pause.PHRASE)], [(words, Pause.PHRASE)]):
        earliest = [(end, pause) for ends, pause in kinds for end in ends]
        if earliest:
            return min(earliest, key=lambda cut: cut[0])
    return None


def _usable(text: str, ends: list[int], min_chars: int) -> list[int]:
    """The cuts that leave both parts MIN_WORDS long, the first at least `min_chars`."""
    return [
        end
        for end in ends
        if end >= min_chars and _words(text[:end]) >= MIN_WORDS <= _words(text[end:])
    ]


def _word_breaks(text: str, locale: Locale) -> list[int]:
    """Spaces not right after a word that leans on the next one ("the", "to", "my")."""
    leaning = set(_LEANING.get(locale.base, "").split())
    breaks = []
    for match in re.finditer(r"\s", text):
        before = text[: match.start()].split()
        if before and before[-1].lower() not in leaning:
            breaks.append(match.start())
    return breaks


def _phrase_starts(text: str, locale: Locale) -> list[int]:
    words = _PHRASE_STARTS.get(locale.base)
    if not words:
        return []
    pattern = rf"\s(?=(?:{'|'.join(map(re.escape, words.split()))})\b)"
    return [match.start() for match in re.finditer(pattern, text, re.IGNORECASE)]


def _words(text: str) -> int:
    return len(text.split())
