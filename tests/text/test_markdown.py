"""Markdown blocks through markdown-it, and inline markup as plain text."""

from __future__ import annotations

import pytest

from wyoming_polytts.text.markdown import (
    Block,
    BlockKind,
    blocks,
    render_inline,
    without_stray_pipes,
)

HEADING, PARAGRAPH, ITEM, ROW = (
    BlockKind.HEADING,
    BlockKind.PARAGRAPH,
    BlockKind.ITEM,
    BlockKind.TABLE_ROW,
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "# Title\n\nSome text\nover two lines.\n\n- one\n- [x] two\n  * nested\n\n1) first",
            [(HEADING, "Title"), (PARAGRAPH, "Some text\nover two lines.")]
            + [(ITEM, text) for text in ("one", "two", "nested", "first")],
        ),
        # Setext headings and quotes are spoken; rules and HTML blocks are silent
        (
            "Title\n=====\n\n> quoted\nlazy line\n\n***\n\n<div>\nhtml\n</div>\n",
            [(HEADING, "Title"), (PARAGRAPH, "quoted\nlazy line")],
        ),
        # Tables give one row per line
        (
            "| Room | Temp |\n|:--|--:|\n| **Den** | 19 °C |\n|  | empty |",
            [(ROW, "Room, Temp"), (ROW, "**Den**, 19 °C"), (ROW, "empty")],
        ),
    ],
)
def test_blocks_and_their_kinds(source: str, expected: list[tuple[BlockKind, str]]) -> None:
    assert [(block.kind, block.text) for block in blocks(source)] == expected


def test_code_blocks_have_no_text_and_remember_their_fence() -> None:
    found = blocks("```yaml\na: 1\n```\n\n    indented\n")
    assert [(b.kind, b.text, b.fence) for b in found] == [
        (BlockKind.CODE, "", "```"),
        (BlockKind.CODE, "", ""),
    ]


def test_lines_and_anchors() -> None:
    found = blocks("Intro.\n\n- a\n- b\n  more\n\n> q")
    assert found == [
        Block(BlockKind.PARAGRAPH, "Intro.", 0, 1, anchor=0, top=True),
        Block(BlockKind.ITEM, "a", 2, 3, anchor=2),
        Block(BlockKind.ITEM, "b\nmore", 3, 5, anchor=3),
        Block(BlockKind.PARAGRAPH, "q", 6, 7, anchor=6),
    ]


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("**bold**, *italic*, __b__ and ~~gone~~", "bold, italic, b and gone"),
        ("see [the docs](https://example.com) now", "see the docs now"),
        ("an ![image of a cat](cat.png)", "an image of a cat"),
        ("run `ha core restart`", "run ha core restart"),
        ("a<br>b", "a b"),
        ("**Sure!", "Sure!"),
        ("Done.**", "Done."),
        ("2 * 3", "2 * 3"),
        ("line one\nline two", "line one line two"),
    ],
)
def test_inline_markup_becomes_plain_text(markdown: str, plain: str) -> None:
    assert render_inline(markdown) == plain


def test_only_lines_starting_with_a_pipe_keep_their_pipes() -> None:
    assert without_stray_pipes("| a | b |") == "| a | b |"
    assert without_stray_pipes("> | a |") == "> | a |"
    assert without_stray_pipes("on | off") == "on ¦ off"
