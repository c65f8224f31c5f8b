"""Streaming segmentation: first clause first, pieces only once proven, any chunking alike."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from wyoming_polytts.text import TextSettings
from wyoming_polytts.text.locale import Locale
from wyoming_polytts.text.segment import Pause, Segment
from wyoming_polytts.text.segmenter import Segmenter

SETTINGS = TextSettings()


def pieces(text: str, language: str = "en-US", **overrides: object) -> list[Segment]:
    segmenter = Segmenter(TextSettings(**overrides), Locale.of(language))  # type: ignore[arg-type]
    return segmenter.feed(text) + segmenter.finish()


def texts(text: str, **overrides: object) -> list[str]:
    return [piece.text for piece in pieces(text, **overrides)]


def chunked(text: str, cuts: list[int], settings: TextSettings = SETTINGS) -> list[Segment]:
    segmenter = Segmenter(settings, Locale.of("en-US"))
    found: list[Segment] = []
    bounds = [0, *sorted({cut % (len(text) + 1) for cut in cuts}), len(text)]
    for start, end in itertools.pairwise(bounds):
        found += segmenter.feed(text[start:end])
    return found + segmenter.finish()


def test_first_clause_goes_alone_then_whole_sentences() -> None:
    reply = (
        "Sure, I can do that for you, right away. The lights are on, and the door is locked. "
        "The alarm is armed for the night."
    )
    assert texts(reply) == [
        "Sure, I can do that for you,",
        # A short remainder is merged with the next sentence
        "right away. The lights are on, and the door is locked.",
        "The alarm is armed for the night.",
    ]


def test_without_clause_first_the_first_sentence_goes_whole() -> None:
    reply = "Sure, I can do that for you, right away. The lights are on."
    assert texts(reply, first_clause=False) == [
        "Sure, I can do that for you, right away.",
        "The lights are on.",
    ]


def test_short_later_sentences_are_merged() -> None:
    assert texts("Hello there. Yes. No. Maybe so. That is all I know today, friend.") == [
        "Hello there.",
        "Yes. No. Maybe so. That is all I know today, friend.",
    ]


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


def test_each_block_is_spoken_from_its_start() -> None:
    reply = "- Milk is out. Buy two liters of it today, please.\n- Eggs are out too."
    assert texts(reply, min_segment_chars=0) == [
        "Milk is out.",
        "Buy two liters of it today, please.",
        "Eggs are out too.",
    ]


def test_lines_of_a_paragraph_are_one_text() -> None:
    reply = "The kitchen light\nis on. The door\nis locked for the night, as you asked."
    assert texts(reply, first_clause=False) == [
        "The kitchen light\nis on.",
        "The door\nis locked for the night, as you asked.",
    ]


def test_code_blocks_are_skipped_or_announced() -> None:
    reply = "Try this:\n```\nrm -rf /tmp/x\n\n```\nThen reload."
    assert texts(reply) == ["Try this:", "Then reload."]
    announced = texts(reply, code_blocks="announce", code_block_text="Code omitted.")
    assert announced == ["Try this:", "Code omitted.", "Then reload."]
    assert texts("Here:\n\n    indented code\n\n    more code\n\nDone.") == ["Here:", "Done."]


def test_a_pipe_late_in_a_line_does_not_make_a_table() -> None:
    reply = "Sure, the state is on | off here.\n--|--\n"
    assert texts(reply) == ["Sure, the state is on ¦ off here.", "--¦--"]


def test_table_rows_wait_for_the_next_line() -> None:
    segmenter = Segmenter(SETTINGS, Locale.of("en-US"))
    assert segmenter.feed("| Room | Temp |\n") == []  # a header only if a delimiter row follows
    assert segmenter.feed("|---|---|\n| Den | 19 |\n") == [Segment("Room, Temp", Pause.ITEM)]
    assert segmenter.feed("\nAfter") == [Segment("Den, 19", Pause.ITEM)]


def test_spanish_titles_end_no_sentence() -> None:
    found = [piece.text for piece in pieces("Llamó la Sra. López. Vendrá mañana.", "es")]
    assert found == ["Llamó la Sra. López.", "Vendrá mañana."]


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
        "| Room | Temp |\n|---|---|\n| Den | 19 °C |\n",
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
