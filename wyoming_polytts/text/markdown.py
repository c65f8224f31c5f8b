"""Markdown to speakable text: line kinds from their prefix, inline markup with markdown-it."""

from __future__ import annotations

import enum
import functools
import re

from markdown_it import MarkdownIt

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s+|$)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LEFTOVER_MARKUP = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|`+|(?<!\S)#+(?=\s)")

PREFIX_CHARS = 8
"""How much of a line decides its kind while it is still arriving."""


class LineKind(enum.Enum):
    TEXT = "text"
    HEADING = "heading"
    ITEM = "item"
    TABLE_ROW = "table row"
    FENCE = "fence"
    SKIP = "skip"
    """Blank lines, rules and table separators: nothing to say."""


def classify(line: str, complete: bool) -> tuple[LineKind, int] | None:
    """The kind of a line and where its content starts; None while its prefix is too short."""
    if not complete and len(line) < PREFIX_CHARS:
        return None
    if _FENCE.match(line):
        return LineKind.FENCE, len(line)
    if not line.strip() or (complete and (_RULE.match(line) or _TABLE_SEPARATOR.match(line))):
        return LineKind.SKIP, len(line)
    if line.lstrip().startswith("|"):
        return LineKind.TABLE_ROW, 0
    start = 0
    if quote := _QUOTE.match(line):
        start = quote.end()
    if heading := _HEADING.match(line, start):
        return LineKind.HEADING, heading.end()
    if bullet := _BULLET.match(line, start):
        return LineKind.ITEM, bullet.end()
    return LineKind.TEXT, start


def table_row_text(row: str) -> str:
    """'| Kitchen | 21 °C |' -> 'Kitchen, 21 °C.'"""
    cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
    return ", ".join(cell for cell in cells if cell) + "."


@functools.cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def render_inline(text: str) -> str:
    """Emphasis dropped, links and images by their text, inline code by its content."""
    tokens = _parser().parseInline(text)
    parts: list[str] = []
    for token in tokens[0].children or [] if tokens else []:
        if token.type in ("text", "code_inline", "image"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    # A segment may start or end inside a span ("**Sure!" then "Done.**"): drop stray markers
    return _LEFTOVER_MARKUP.sub("", "".join(parts))
