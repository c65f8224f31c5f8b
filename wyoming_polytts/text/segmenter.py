"""Cut streamed markdown into speakable pieces as early as the text allows.

The first piece is the first clause, later pieces are whole sentences (short ones merged,
long ones split at a clause). A cut is only made once the text after it proves it right
(the next word is there to tell "Dr. Smith" from "done. Smith"), so the same text gives
the same pieces however it was chunked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .markdown import LineKind, classify, table_row_text
from .settings import TextSettings

_BOUNDARY = re.compile(
    r"(?P<sentence>[.!?…]+[\"'”’)\]*_]*(?=\s)|[。！？]+)|(?P<clause>[,;:](?=\s)|\s[-–—](?=\s)|[、，；：])"
)
_NEVER_ENDS = frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "mt", "e.g", "i.e", "vs", "approx"})
_ENDS_BEFORE_CAPITAL = frozenset({"etc", "inc", "ltd", "jr", "sr", "co"})
_INITIALISM = re.compile(r"(?:[a-z]\.)*[a-z]")
_LAST_WORD = re.compile(r"(\S+)$")


@dataclass(frozen=True)
class Piece:
    """A cut of the raw text, before inline markup and normalization."""

    text: str
    pause: str
    """clause, sentence, item or paragraph."""


class Segmenter:
    """Feed text fragments; get the pieces they complete."""

    def __init__(self, settings: TextSettings) -> None:
        self._settings = settings
        self._buffer = ""
        self._line: LineKind | None = None
        """Kind of the line being read; None at the start of a line."""
        self._in_fence = False
        self._spoke = False

    def feed(self, text: str) -> list[Piece]:
        self._buffer += text.replace("\r", "")
        return self._cut(final=False)

    def finish(self) -> list[Piece]:
        pieces = self._cut(final=True)
        self._buffer = ""
        return pieces

    def _cut(self, final: bool) -> list[Piece]:
        pieces: list[Piece] = []
        while self._buffer:
            newline = self._buffer.find("\n")
            complete = newline >= 0 or final
            line = self._buffer if newline < 0 else self._buffer[:newline]
            if self._line is None:
                step = self._line_start(line, complete)
            else:
                step = self._in_line(line, complete, newline, final)
            if step is None:
                break
            consumed, piece = step
            self._buffer = self._buffer[consumed:]
            if piece is not None and piece.text.strip():
                pieces.append(piece)
                self._spoke = True
        return pieces

    def _line_start(self, line: str, complete: bool) -> tuple[int, Piece | None] | None:
        found = classify(line, complete)
        if found is None:
            return None
        kind, start = found
        if self._in_fence or kind in (LineKind.FENCE, LineKind.SKIP, LineKind.TABLE_ROW):
            if not complete:
                return None
            consumed = len(line) + 1
            if kind is LineKind.FENCE:
                self._in_fence = not self._in_fence
                if self._in_fence and self._settings.code_blocks == "announce":
                    return consumed, Piece(self._settings.code_block_text, "paragraph")
            elif kind is LineKind.TABLE_ROW and not self._in_fence:
                return consumed, Piece(table_row_text(line), "item")
            return consumed, None
        self._line = kind
        return start, None

    def _in_line(
        self, line: str, complete: bool, newline: int, final: bool
    ) -> tuple[int, Piece | None] | None:
        cut = self._next_cut(line, complete)
        if cut is not None:
            end, pause = cut
            return end, Piece(line[:end].strip(), pause)
        if not complete:
            return None
        # The line ends the piece; a blank line after it makes it a paragraph
        if newline >= 0 and newline + 1 >= len(self._buffer) and not final:
            return None
        kind, self._line = self._line, None
        return len(line) + 1, Piece(line.strip(), self._line_end_pause(kind, newline))

    def _line_end_pause(self, kind: LineKind | None, newline: int) -> str:
        if kind is LineKind.HEADING:
            return "paragraph"
        if kind is LineKind.ITEM:
            return "item"
        next_char = self._buffer[newline + 1 : newline + 2] if newline >= 0 else ""
        return "paragraph" if next_char in ("\n", "") else "sentence"

    def _next_cut(self, line: str, complete: bool) -> tuple[int, str] | None:
        """Where the current piece ends within `line`, if the text decides it yet."""
        settings = self._settings
        first_clause = settings.first_clause and not self._spoke
        last_sentence = None
        for match in _BOUNDARY.finditer(line):
            end = match.end()
            if end > settings.max_segment_chars:
                break
            following = line[end:].lstrip()
            if not following:
                if complete:
                    break  # the line's end ends this piece
                return None  # the next word decides
            if match.group("clause"):
                if first_clause and len(line[:end].split()) >= settings.first_clause_min_words:
                    return end, "clause"
                continue
            if not _ends_sentence(line[: match.start() + 1], following[0]):
                continue
            if not self._spoke or len(line[:end].strip()) >= settings.min_segment_chars:
                return end, "sentence"
            last_sentence = end
        if len(line) <= settings.max_segment_chars:
            return None  # more text, or the line's end, decides
        if last_sentence is not None:
            return last_sentence, "sentence"
        return _forced_cut(line, settings)


def _ends_sentence(before: str, next_char: str) -> bool:
    """Whether the punctuation ending `before` ends a sentence, given the next character."""
    if not before.endswith("."):
        return True
    word = _LAST_WORD.search(before[:-1])
    token = word.group(1).lower().lstrip("(\"'*_") if word else ""
    if token in _NEVER_ENDS:
        return False
    if token in _ENDS_BEFORE_CAPITAL or (_INITIALISM.fullmatch(token) and len(token) <= 5):
        return next_char.isupper()
    return True


def _forced_cut(line: str, settings: TextSettings) -> tuple[int, str]:
    """A piece with no sentence end within the limit: split at its last clause, else a space."""
    window = line[: settings.max_segment_chars]
    clauses = [m.end() for m in _BOUNDARY.finditer(window) if m.group("clause")]
    if clauses:
        return clauses[-1], "clause"
    space = window.rfind(" ")
    return (space if space > 0 else len(window)), "clause"
