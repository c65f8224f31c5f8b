"""Where a block's text may be cut: clause and sentence ends that the following text proves."""

from __future__ import annotations

import re

from .locale import Locale
from .segment import Pause, Segment
from .settings import TextSettings

_SENTENCE_END = r"[.!?…]+[\"'”’»)\]*_]*(?=\s)|[。！？]+|।"
_CLAUSE_END = r"[,;:](?=\s)|\s[-–—](?=\s)|[、，；：]|(?<=\w)\n"
_BOUNDARY = re.compile(rf"(?P<sentence>{_SENTENCE_END})|(?P<clause>{_CLAUSE_END})")
_CLAUSE = re.compile(_CLAUSE_END)
_NEVER_ENDS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "st", "mt", "vs", "e.g", "i.e", "approx", "cf", "ca"}
)
"""Abbreviations (before the full stop, lower case) that no sentence ends with."""
_BEFORE_NUMBER = frozenset(
    {
        "no",
        "nr",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    }
)
"""Abbreviations that end no sentence when a number follows ("No. 5", "Nov. 23")."""
_ENDS_BEFORE_CAPITAL = frozenset({"etc", "inc", "ltd", "jr", "sr", "co"})
_INITIALISM = re.compile(r"(?:[a-z]\.)*[a-z]")
_LAST_WORD = re.compile(r"(\S+)$")


class SentenceSplitter:
    """Finds the next cut in a block's text, given how much of it has arrived."""

    def __init__(self, settings: TextSettings, locale: Locale) -> None:
        self._settings = settings
        own = locale.words.abbreviations if locale.words else {}
        # "Sra. López", "p. ej. esto": the word before the full stop, as the splitter sees it
        self._never_ends = _NEVER_ENDS | {
            word.rsplit(" ", 1)[-1][:-1].lower() for word in own if word.endswith(".")
        }

    def next_cut(self, text: str, complete: bool, spoken_words: int) -> Segment | None:
        """The first cut in `text` that the text decides, if any: the text before it, as is.

        `complete`: the block ends where `text` ends; `spoken_words`: words of the reply cut
        before it. The first sentence goes alone however short; while the words before are
        fewer than a first clause's (none, or an interjection such as "Sure!"), a clause
        may go alone too: the piece after an interjection is needed while it plays, not once
        its whole sentence has arrived. A text that ends the block needs no cut: its end is
        one.
        """
        settings = self._settings
        first = not spoken_words
        clause_alone = settings.first_clause and spoken_words < settings.first_clause_min_words
        last_sentence = None
        for match in _BOUNDARY.finditer(text):
            end = match.end()
            if end > settings.max_segment_chars:
                break
            following = text[end:].lstrip()
            if not following:
                if complete:
                    break
                return None  # the next word decides
            if match.group("clause"):
                if not _may_split(text, match):
                    continue
                if clause_alone and len(text[:end].split()) >= settings.first_clause_min_words:
                    return Segment(text[:end], Pause.CLAUSE)
                continue
            if not self._ends_sentence(text[: match.start() + 1], following[0]):
                continue
            if first or len(text[:end].strip()) >= settings.min_segment_chars:
                return Segment(text[:end], Pause.SENTENCE)
            last_sentence = end
        if len(text) <= settings.max_segment_chars:
            return None  # more text, or the block's end, decides
        if last_sentence is not None:
            return Segment(text[:last_sentence], Pause.SENTENCE)
        return self._forced_cut(text)

    def _ends_sentence(self, before: str, next_char: str) -> bool:
        """Whether the punctuation ending `before` ends a sentence, given the next character."""
        if not before.endswith("."):
            return True
        word = _LAST_WORD.search(before[:-1])
        token = word.group(1).lower().lstrip("(\"'*_¿¡«") if word else ""
        if token in self._never_ends:
            return False
        if token in _BEFORE_NUMBER and next_char.isdigit():
            return False
        if token in _ENDS_BEFORE_CAPITAL or (_INITIALISM.fullmatch(token) and len(token) <= 5):
            return next_char.isupper()
        return True

    def _forced_cut(self, text: str) -> Segment:
        """No sentence end within the limit: split at the last clause, else at a space."""
        window = text[: self._settings.max_segment_chars]
        clauses = clause_ends(window)
        if clauses:
            return Segment(window[: clauses[-1]], Pause.CLAUSE)
        space = window.rfind(" ")
        return Segment(window[: space if space > 0 else len(window)], Pause.CLAUSE)


def clause_ends(text: str) -> list[int]:
    """Where a clause mark in `text` may end a first part, in order."""
    return [match.end() for match in _CLAUSE.finditer(text) if _may_split(text, match)]


def _may_split(text: str, match: re.Match[str]) -> bool:
    """Whether a clause mark may split here: not "November 23, 2026" or "1, 2, 3"."""
    before = text[match.start() - 1 : match.start()]
    return not (before.isdigit() and text[match.end() :].lstrip()[:1].isdigit())
