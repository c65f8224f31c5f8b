"""Cut streamed markdown into speakable segments as early as the text allows.

markdown-it finds the blocks; it parses again only when a line completes (or when the
line still arriving has shown enough of itself to tell its block), and only from the
top-level block that holds the first unspoken one. Lines that merely continue a paragraph
(top-level or quoted), a code fence or a table are added without parsing the block again,
so a long reply costs no more per line than a short one. Within a block,
`SentenceSplitter` cuts the first clause, then sentences. A cut is only made once the
text after it proves it right, so the same text gives the same pieces however it was
chunked.
"""

from __future__ import annotations

import dataclasses
import re

from .locale import Locale
from .markdown import Block, BlockKind, blocks, is_pipe_row, without_stray_pipes
from .segment import Pause, Segment
from .sentences import SentenceSplitter
from .settings import TextSettings

DECIDING_CHARS = 8
"""Non-space characters that settle what kind of block a line starts."""
_UNDECIDED_STARTS = ("<", "[")
"""Html blocks and link definitions: only the whole line tells."""
_RULE_CHARS = frozenset("-=*_ \t")
_EARLY_MARK = re.compile(r"[.!?…,;:](?=\s)")
_QUOTE = re.compile(r" {0,3}> ?")
_DELIMITER_ROW = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")
"""The line under a table's header: |---|:--:|"""
"""A line of only these may still turn out a rule or a setext heading's underline."""
_PAUSES = {
    BlockKind.PARAGRAPH: Pause.PARAGRAPH,
    BlockKind.HEADING: Pause.PARAGRAPH,
    BlockKind.CODE: Pause.PARAGRAPH,
    BlockKind.ITEM: Pause.ITEM,
    BlockKind.TABLE_ROW: Pause.ITEM,
}


class Segmenter:
    """Feed text fragments; get the segments they complete (inline markdown, unnormalized)."""

    def __init__(self, settings: TextSettings, locale: Locale) -> None:
        self._settings = settings
        self._splitter = SentenceSplitter(settings, locale)
        self._lines: list[str] = []
        """Complete lines from line `_base` on."""
        self._base = 0
        self._partial = ""
        """The line still arriving."""
        self._blocks: list[Block] = []
        """Blocks of the lines so far, in absolute line numbers."""
        self._parsed_end = 0
        """Absolute line after the complete lines that `_blocks` accounts for."""
        self._partial_seen = False
        """Whether `_blocks` has taken the line still arriving into account."""
        self._tail: tuple[str, int] | None = None
        """(separator, start) when the line still arriving continues the last block's text."""
        self._current = 0
        """First line of the first block not yet fully spoken."""
        self._offset = 0
        """Characters of that block's text already spoken."""
        self._spoken_words = 0

    def feed(self, text: str) -> list[Segment]:
        *complete, partial = (self._partial + text.replace("\r", "")).split("\n")
        self._partial = without_stray_pipes(partial)
        if complete:
            self._lines.extend(map(without_stray_pipes, complete))
            self._update()
        elif not self._partial_seen and _decided(self._partial):
            self._update()
        return self._speak(final=False)

    def finish(self) -> list[Segment]:
        self._parse(final=True)
        return self._speak(final=True)

    def _update(self) -> None:
        if not (self._extend_fence() or self._extend_paragraph() or self._extend_table()):
            self._parse(final=False)

    def _parse(self, final: bool) -> None:
        lines = self._lines
        self._parse_lines(len(lines), with_partial=final or _decided(self._partial))
        # A line of pipes outside a table is a table's header if a delimiter row follows
        last = self._base + len(lines) - 1
        if lines and is_pipe_row(lines[-1]) and not final and not self._in_table(last):
            self._parse_lines(len(lines) - 1, with_partial=False)
            self._partial_seen = True  # nothing changes before the next line break

    def _parse_lines(self, count: int, with_partial: bool) -> None:
        table = self._open_table()
        if table is not None and table[0].end - self._base <= count:
            self._blocks = self._blocks_after_table(*table, count, with_partial)
        else:
            source = self._lines[:count] + ([self._partial] if with_partial else [])
            self._blocks = [_shifted(block, self._base) for block in _parsed(source)]
        self._parsed_end = self._base + count
        self._partial_seen = with_partial
        self._tail = None
        if with_partial and self._blocks and self._partial.strip():
            last = self._blocks[-1]
            # The arriving line only grows this block while the block's text ends with it
            tail = last.text.rsplit("\n", 1)[-1]
            if last.end > self._parsed_end and tail and self._partial.rstrip().endswith(tail):
                before = last.text[: len(last.text) - len(tail)]
                separator = "\n" if before.endswith("\n") else ""
                self._tail = (separator, len(self._partial.rstrip()) - len(tail))
                self._blocks[-1] = dataclasses.replace(last, text=before.removesuffix("\n"))

    def _in_table(self, line: int) -> bool:
        """Whether a line is a table's row or its delimiter row (the line after the header)."""
        rows = (block for block in self._blocks if block.kind is BlockKind.TABLE_ROW)
        return any(row.start <= line <= row.end for row in rows)

    def _open_last(self, kind: BlockKind) -> Block | None:
        """The last block, if it is a top-level `kind` that the next line may still extend."""
        last = self._blocks[-1] if self._blocks else None
        if last and last.kind is kind and last.top and last.end >= self._parsed_end:
            return last
        return None

    def _extend_fence(self) -> bool:
        """Lines inside an open code fence change nothing until one closes it."""
        fence = self._open_last(BlockKind.CODE)
        new = self._lines[self._parsed_end - self._base :]
        if fence is None or not fence.fence or any(_closes(fence.fence, line) for line in new):
            return False
        self._parsed_end = self._base + len(self._lines)
        self._blocks[-1] = dataclasses.replace(fence, end=self._parsed_end)
        self._partial_seen, self._tail = True, None
        return True

    def _extend_paragraph(self) -> bool:
        """Add lines that continue an open paragraph, top-level or quoted, without parsing it
        again."""
        last = self._blocks[-1] if self._blocks else None
        if last is None or last.kind is not BlockKind.PARAGRAPH or last.end < self._parsed_end:
            return False
        quoted = not last.top
        if quoted and not _quote_content(self._lines[last.start - self._base]):
            return False  # in a list, or a nested quote: those lines need their context
        count, first = len(self._lines), self._parsed_end - self._base

        def content(index: int) -> str | None:
            # Only the new lines and the one before them: a long paragraph stays linear
            return _content(self._lines[index], quoted) if index >= 0 else None

        text = last.text
        if self._tail is not None and first < count:
            # The line that was arriving, already known to continue the paragraph, is complete
            text += self._tail[0] + (content(first) or "").strip()
            first += 1
        for index in range(first, count):
            previous, line = content(index - 1), content(index)
            if previous is None or line is None or not _continues(previous, line):
                return False
            text += "\n" + line.strip()
        tail = None
        if _decided(self._partial):
            partial, last_line = _content(self._partial, quoted), content(count - 1)
            if last_line is None or partial is None or not _continues(last_line, partial):
                return False
            tail = ("\n", len(self._partial) - len(partial.lstrip()))
        self._parsed_end = self._base + count
        end = self._parsed_end + (1 if tail else 0)
        self._blocks[-1] = dataclasses.replace(last, text=text, end=end)
        self._partial_seen, self._tail = tail is not None, tail
        return True

    def _open_table(self) -> tuple[Block, list[str]] | None:
        """The last block and the header and delimiter lines of its table, if it is a row of
        a top-level table that the next line may extend. Rows do not depend on each other: a
        line after it parses with the header and delimiter alone as within the whole table."""
        last = self._blocks[-1] if self._blocks else None
        if last is None or last.kind is not BlockKind.TABLE_ROW:
            return None
        # Parsed up to its end (not from the line still arriving), with at most a blank after
        if not self._parsed_end - 1 <= last.end <= self._parsed_end:
            return None
        # A blank line after it has ended the table, but what comes next is still cheap to parse
        if last.end < self._parsed_end and self._lines[last.end - self._base].strip():
            return None
        head = self._lines[last.anchor - self._base : last.anchor - self._base + 2]
        if len(head) < 2 or not head[0].startswith("|") or not _DELIMITER_ROW.fullmatch(head[1]):
            return None  # a table inside a list or a quote: its lines are not the table's
        return last, head

    def _extend_table(self) -> bool:
        """Add whole rows to an open top-level table without parsing the table again."""
        table = self._open_table()
        new = self._lines[self._parsed_end - self._base :]
        if table is None or table[0].end != self._parsed_end or not new:
            return False
        if not all(line.startswith("|") for line in new):
            return False
        last, head = table
        rows: list[Block] = []
        for line in new:
            found = _parsed([*head, line])
            if [block.kind for block in found] != [BlockKind.TABLE_ROW] * 2:
                return False
            number = self._parsed_end + len(rows)
            rows.append(Block(BlockKind.TABLE_ROW, found[1].text, number, number + 1, last.anchor))
        self._blocks += rows
        self._parsed_end += len(rows)
        self._partial_seen, self._tail = False, None
        return True

    def _blocks_after_table(
        self, last: Block, head: list[str], count: int, with_partial: bool
    ) -> list[Block]:
        """The blocks known so far and those of the lines after the table's last known row,
        parsed after the header and delimiter only: where the table ends costs a few lines."""
        start = last.end - self._base
        source = [*head, *self._lines[start:count], *([self._partial] if with_partial else [])]
        offset = last.end - len(head)
        after = [
            dataclasses.replace(
                block,
                start=block.start + offset,
                end=block.end + offset,
                anchor=last.anchor if block.anchor < len(head) else block.anchor + offset,
            )
            for block in _parsed(source)
            if block.start >= len(head)
        ]
        return [*self._blocks, *after]

    def _speak(self, final: bool) -> list[Segment]:
        pieces: list[Segment] = []
        for index, block in enumerate(self._blocks):
            if block.end <= self._current:
                continue
            if block.start > self._current:
                self._current, self._offset = block.start, 0
            last = index == len(self._blocks) - 1
            text = block.text
            if last and self._tail is not None:
                text += self._tail[0] + self._partial[self._tail[1] :]
            # Blank lines end any block but indented code, which more indented lines continue
            indented_code = block.kind is BlockKind.CODE and not block.fence
            closed = final or not last or (block.end < self._parsed_end and not indented_code)
            pieces += self._cut(block, text, closed)
            if not closed:
                break
            self._current, self._offset = block.end, 0
        self._trim()
        return pieces

    def _cut(self, block: Block, text: str, closed: bool) -> list[Segment]:
        pause = _PAUSES[block.kind]
        if block.kind is BlockKind.CODE:
            announce = closed and self._settings.code_blocks == "announce"
            return self._spoken(self._settings.code_block_text if announce else "", pause)
        if block.kind is BlockKind.TABLE_ROW:
            return self._spoken(text if closed else "", pause)
        pieces: list[Segment] = []
        while cut := self._splitter.next_cut(text[self._offset :], closed, self._spoken_words):
            self._offset += len(cut.text)
            pieces += self._spoken(cut.text, cut.pause)
        if closed:
            pieces += self._spoken(text[self._offset :], pause)
        return pieces

    def _spoken(self, text: str, pause: Pause) -> list[Segment]:
        if not text.strip():
            return []
        self._spoken_words += len(text.split())
        return [Segment(text.strip(), pause)]

    def _trim(self) -> None:
        """Forget lines before the top-level block that holds the first unspoken one."""
        pending = [b for b in self._blocks if b.end > self._current] or self._blocks[-1:]
        if pending and pending[0].anchor > self._base:
            drop = pending[0].anchor - self._base
            del self._lines[:drop]
            self._base += drop


def _parsed(lines: list[str]) -> list[Block]:
    # Every line ends with a line break, or markdown-it would not count a last blank one
    return blocks("".join(line + "\n" for line in lines))


def _quote_content(line: str) -> str | None:
    """A line of a top-level quote without its marker ("> a" -> "a"); None for other lines."""
    marker = _QUOTE.match(line)
    content = line[marker.end() :] if marker else None
    return None if content is None or content.startswith(">") else content


def _content(line: str, quoted: bool) -> str | None:
    return _quote_content(line) if quoted else line


def _decided(line: str) -> bool:
    """Whether the start of a line still arriving settles which block it belongs to: a line
    that starts with a word and has a sentence or clause mark is text ("Sure! ")."""
    start = line.lstrip()
    if start[:1].isalpha() and _EARLY_MARK.search(start):
        return True
    if len(start.replace(" ", "")) < DECIDING_CHARS or start.startswith(_UNDECIDED_STARTS):
        return False
    return not is_pipe_row(start) and not set(start) <= _RULE_CHARS


def _continues(previous: str, line: str) -> bool:
    """Whether `line` continues the paragraph whose line is `previous` (checked by parsing
    the two alone: what may interrupt a paragraph does not depend on the lines before)."""
    if is_pipe_row(line):
        return False  # maybe a table's header: the next line tells
    found = blocks(f"{previous}\n{line}")
    return len(found) == 1 and found[0].kind is BlockKind.PARAGRAPH and found[0].end == 2


def _closes(fence: str, line: str) -> bool:
    return re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", line) is not None


def _shifted(block: Block, base: int) -> Block:
    return dataclasses.replace(
        block, start=block.start + base, end=block.end + base, anchor=block.anchor + base
    )
