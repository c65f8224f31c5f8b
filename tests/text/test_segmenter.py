"""Streaming segmentation: first clause first, pieces only once proven, any chunking alike."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wyoming_polytts.text import TextSettings
from wyoming_polytts.text import segmenter as segmenter_module
from wyoming_polytts.text.locale import Locale
from wyoming_polytts.text.markdown import blocks
from wyoming_polytts.text.segment import Pause, Segment
from wyoming_polytts.text.segmenter import Segmenter

SETTINGS = TextSettings()


def pieces(text: str, language: str = "en-US", **overrides: object) -> list[Segment]:
    segmenter = Segmenter(TextSettings(**overrides), Locale.of(language))  # type: ignore[arg-type]
    return segmenter.feed(text) + segmenter.finish()


def texts(text: str, language: str = "en-US", **overrides: object) -> list[str]:
    return [piece.text for piece in pieces(text, language, **overrides)]


def chunked(text: str, cuts: list[int], settings: TextSettings = SETTINGS) -> list[Segment]:
    segmenter = Segmenter(settings, Locale.of("en-US"))
    found: list[Segment] = []
    bounds = [0, *sorted({cut % (len(text) + 1) for cut in cuts}), len(text)]
    for start, end in itertools.pairwise(bounds):
        found += segmenter.feed(text[start:end])
    return found + segmenter.finish()


CASES = yaml.safe_load((Path(__file__).parent / "segments.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[case["about"] for case in CASES])
def test_replies_are_spoken_in_these_pieces(case: dict) -> None:
    overrides = case.get("settings", {})
    assert texts(case["reply"], **overrides) == case["spoken"]


def test_the_first_piece_comes_as_soon_as_its_clause_is_proven() -> None:
    segmenter = Segmenter(SETTINGS, Locale.of("en-US"))
    assert segmenter.feed("Hel") == []
    assert segmenter.feed("lo there, my fri") == []  # two words are too short a clause
    assert segmenter.feed("end,") == []  # the comma needs the next word
    assert segmenter.feed(" it is") == [Segment("Hello there, my friend,", Pause.CLAUSE)]
    assert segmenter.feed(" done. The") == []
    assert segmenter.finish() == [Segment("it is done. The", Pause.PARAGRAPH)]


def test_a_cut_waits_for_the_word_that_decides_it() -> None:
    segmenter = Segmenter(TextSettings(first_clause=False, min_segment_chars=0), Locale.of("en-US"))
    assert segmenter.feed("Call Dr.") == []
    assert segmenter.feed(" Smith now, please. ") == []  # "please. Thanks" or "please. etc."
    assert segmenter.feed("Thanks") == [Segment("Call Dr. Smith now, please.", Pause.SENTENCE)]
    assert segmenter.finish() == [Segment("Thanks", Pause.PARAGRAPH)]


def test_long_sentences_are_split_at_a_clause_within_the_limit() -> None:
    clause = "the sensor in the upstairs hallway reported motion again"
    reply = "Okay. " + ", ".join([clause] * 12) + "."
    found = texts(reply, max_segment_chars=200)
    assert all(len(piece) <= 200 for piece in found)
    assert len(found) > 3
    assert " ".join(found).count("sensor") == 12


def test_blocks_end_pieces_with_their_pauses() -> None:
    reply = "## Shopping\n\nHere you go:\n\n- Milk\n- Eggs\n\n| Shop | Open |\n|---|---|\n| Deli | 9 |\n\nBye!"
    assert pieces(reply, first_clause=False) == [
        Segment("Shopping", Pause.PARAGRAPH),
        Segment("Here you go:", Pause.PARAGRAPH),
        Segment("Milk", Pause.ITEM),
        Segment("Eggs", Pause.ITEM),
        Segment("Shop, Open", Pause.ITEM),
        Segment("Deli, 9", Pause.ITEM),
        Segment("Bye!", Pause.PARAGRAPH),
    ]


def test_table_rows_wait_for_the_next_line() -> None:
    segmenter = Segmenter(SETTINGS, Locale.of("en-US"))
    assert segmenter.feed("| Room | Temp |\n") == []  # a header only if a delimiter row follows
    assert segmenter.feed("|---|---|\n| Den | 19 |\n") == [Segment("Room, Temp", Pause.ITEM)]
    assert segmenter.feed("\nAfter") == [Segment("Den, 19", Pause.ITEM)]


REPLY_PARTS = st.sampled_from(
    [
        "Sure! ",
        "**Done.** ",
        "It is 21.5 °C, ",
        "and 45% humid. ",
        "Call Dr. Smith at 3:30 p.m. today. ",
        "See https://www.home-assistant.io/docs for more. ",
        "\n\n- Milk 🥛\n- Eggs\n",
        "  continued item\n",
        "- [ ] task\n",
        "- Milk is out. Buy two, please.\n",
        "1. one\n2. two\n",
        "> quoted. text\n",
        "> and more of it,\n",
        "> > deeper\n",
        "| Room | Temp |\n|---|---|\n| Den | 19 °C |\n",
        "| Hall | 18 °C |\n",
        "|:--|--:|\n",
        "a | b\n",
        "--|--\n",
        "e.g. apples, etc. ",
        "```\ncode\n```\n",
        "```py\nunclosed",
        "    maybe code\n",
        "## Title ##\n",
        "Title\n===\n",
        "Heading. Two\n---\n",
        "***\n",
        "<div>\n",
        "Version 2. Then the U.S. one. ",
        "On November 23, 2026 we meet. ",
        "Um, well — maybe later; ",
        "x" * 120 + ", ",
        "y" * 320,
        "\n",
        "\n\n",
        " ",
        "|",
        "-",
        "1.",
    ]
)
SETTINGS_CHOICES = st.sampled_from(
    [
        SETTINGS,
        TextSettings(first_clause=False, min_segment_chars=0, max_segment_chars=60),
        TextSettings(code_blocks="announce", first_clause_min_words=1),
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(REPLY_PARTS, min_size=1, max_size=10),
    cuts=st.lists(st.integers(0, 2000), max_size=60),
    chosen=SETTINGS_CHOICES,
)
def test_any_chunking_gives_the_same_pieces(
    parts: list[str], cuts: list[int], chosen: TextSettings
) -> None:
    text = "".join(parts)
    whole = chunked(text, [], chosen)
    assert chunked(text, cuts, chosen) == whole
    assert all(piece.text and piece.text == piece.text.strip() for piece in whole)


@pytest.mark.parametrize(
    "line",
    [
        "| Room {n} | {n} °C |\n",
        "- Item number {n} is on the list\n",
        "> line {n} of a long quote, and\n",
        "Sentence number {n} goes on\n",
        "## Part {n}\n\nSome text for part {n}.\n\n",
    ],
    ids=["table", "list", "quote", "paragraph", "sections"],
)
def test_streaming_parses_each_line_a_bounded_number_of_times(
    line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work linear in the text: a streamed block is never parsed again from its start at every
    line (a 20,000-character table would otherwise hold the CPU for many seconds)."""
    parsed: list[int] = []

    def counting(source: str) -> list:
        parsed.append(len(source))
        return blocks(source)

    monkeypatch.setattr(segmenter_module, "blocks", counting)
    head = "| Room | Temp |\n|---|---|\n" if line.startswith("|") else ""
    text = head + "".join(line.format(n=n) for n in range(300))
    chunked(text, list(range(0, len(text), 7)))
    assert sum(parsed) < 5 * len(text)


def test_a_first_sentence_goes_as_soon_as_the_word_after_it_begins() -> None:
    """A line that starts with a word and has ended a sentence is plain text: no need to see
    eight characters of it to know what block it is."""
    segmenter = Segmenter(SETTINGS, Locale.of("en-US"))
    assert segmenter.feed("Sure! I") == [Segment("Sure!", Pause.SENTENCE)]
    assert segmenter.feed("'ve done it.") == []
    assert segmenter.finish() == [Segment("I've done it.", Pause.PARAGRAPH)]
