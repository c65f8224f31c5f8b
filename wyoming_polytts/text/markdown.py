"""Markdown through markdown-it: the blocks a reply has, and inline markup as plain text."""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_TASK_BOX = re.compile(r"^\[[ xX]\]\s+")
_AROUND_BREAK = re.compile(r"\s*\n\s*")
"""Spaces around a line break say nothing: dropped, so each line reads the same however
the text around it was parsed."""
_LEFTOVER_MARKUP = re.compile(r"(?<!\S)[*_~]{1,3}(?=\S)|(?<=\S)[*_~]{1,3}(?!\S)|`+")
"""Emphasis markers, which hug a word; a lone '*' between spaces is arithmetic."""


class BlockKind(enum.Enum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"
    ITEM = "item"
    """A paragraph inside a list item."""
    TABLE_ROW = "table row"
    CODE = "code"


@dataclass(frozen=True)
class Block:
    """A block with something to say, in the order of the source."""

    kind: BlockKind
    text: str
    """Inline markdown, container markers removed; '' for code."""
    start: int
    end: int
    """Source lines [start, end)."""
    anchor: int
    """First line of the top-level block (or top-level list item) holding it: parsing from
    there gives this block and everything after it exactly as parsing the whole text does."""
    top: bool = False
    """Not inside a list or quote."""
    fence: str = ""
    """The opening fence (```) of fenced code."""


@functools.cache
def _block_parser() -> MarkdownIt:
    # Inline markup is rendered per segment later: the block pass only needs the structure
    return MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


@functools.cache
def _inline_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("strikethrough")


def without_stray_pipes(line: str) -> str:
    """Only lines that start with a pipe are taken as table rows: a pipe late in a line
    that is already being spoken must not turn it into a table's header."""
    return line if is_pipe_row(line) else line.replace("|", "¦")


def is_pipe_row(line: str) -> bool:
    return line.lstrip(" \t>").startswith("|")


def blocks(source: str) -> list[Block]:
    """The speakable blocks of `source`; html blocks and rules say nothing."""
    found: list[Block] = []
    anchor = 0
    in_item = 0
    row: list[str] | None = None
    opened: Token | None = None
    """The heading, paragraph or table row whose text comes next."""
    for token in _block_parser().parse(source):
        line_map = token.map
        if line_map and (token.level == 0 or (token.level == 1 and token.type == "list_item_open")):
            anchor = line_map[0]
        if token.type == "list_item_open":
            in_item += 1
        elif token.type == "list_item_close":
            in_item -= 1
        elif token.type in ("paragraph_open", "heading_open", "tr_open"):
            opened, row = token, [] if token.type == "tr_open" else None
        elif token.type == "inline" and row is not None:
            row.append(token.content.strip())
        elif opened and opened.map and token.type in ("inline", "tr_close"):
            start, end = opened.map
            if row is not None:
                text = ", ".join(cell for cell in row if cell)
                found.append(Block(BlockKind.TABLE_ROW, text, start, end, anchor))
            else:
                kind = _kind(opened, in_item)
                text = _AROUND_BREAK.sub("\n", token.content)
                text = _TASK_BOX.sub("", text) if kind is BlockKind.ITEM else text
                found.append(Block(kind, text, start, end, anchor, top=opened.level == 0))
            opened, row = None, None
        elif token.type in ("fence", "code_block") and line_map:
            fence = token.markup if token.type == "fence" else ""
            start, end = line_map
            found.append(Block(BlockKind.CODE, "", start, end, anchor, token.level == 0, fence))
    return found


def _kind(opened: Token, in_item: int) -> BlockKind:
    if opened.type == "heading_open":
        return BlockKind.HEADING
    return BlockKind.ITEM if in_item else BlockKind.PARAGRAPH


def render_inline(text: str) -> str:
    """Emphasis dropped, links and images by their text, inline code by its content."""
    parsed = _inline_parser().parseInline(text)
    parts: list[str] = []
    for token in parsed[0].children or [] if parsed else []:
        if token.type in ("text", "code_inline", "image"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak", "html_inline"):
            parts.append(" ")
    # A segment may start or end inside a span ("**Sure!" then "Done.**"): drop stray markers
    return _LEFTOVER_MARKUP.sub("", "".join(parts))
