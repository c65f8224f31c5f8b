"""Segmentation: first clause first, sentences after, never inside numbers or abbreviations."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wyoming_polytts.text import Pauses, TextPipeline, TextSettings, split_text
from wyoming_polytts.text.segmenter import Segmenter

SETTINGS = TextSettings()


def texts(text: str, **overrides: object) -> list[str]:
    chosen = TextSettings(**overrides)  # type: ignore[arg-type]
    return [segment.text for segment in split_text(text, chosen, "en-US")]


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


def test_no_cut_inside_numbers_abbreviations_times_or_urls() -> None:
    reply = (
        "It is 3.5 degrees. Dr. Smith said e.g. tea helps. "
        "We met at 3:30 p.m. in the U.S. office. See example.com/a.b for more."
    )
    pieces = Segmenter(TextSettings(first_clause=False, min_segment_chars=0)).feed(reply)
    pieces += Segmenter(TextSettings()).finish()
    joined = [piece.text for piece in pieces]
    assert joined[0] == "It is 3.5 degrees."
    assert "Dr. Smith said e.g. tea helps." in joined
    assert "We met at 3:30 p.m. in the U.S. office." in joined


def test_long_sentences_are_split_at_a_clause_within_the_limit() -> None:
    clause = "the sensor in the upstairs hallway reported motion again"
    reply = "Okay. " + ", ".join([clause] * 12) + "."
    segments = texts(reply, max_segment_chars=200)
    assert all(len(segment) <= 200 for segment in segments)
    assert len(segments) > 3
    assert " ".join(segments).count("sensor") == 12


def test_pauses_follow_sentences_items_and_paragraphs() -> None:
    pauses = Pauses()
    reply = "Here you go.\n\n- Milk\n- Eggs\n\nThat's all. Bye for now, see you."
    segments = split_text(reply, TextSettings(first_clause=False), "en-US")
    assert [(s.text, s.pause_after) for s in segments] == [
        ("Here you go.", pauses.paragraph),
        ("Milk.", pauses.item),
        ("Eggs.", pauses.item),
        ("That's all. Bye for now, see you.", pauses.paragraph),
    ]


def test_code_blocks_are_skipped_or_announced() -> None:
    reply = "Try this:\n```\nrm -rf /tmp/x\n```\nThen reload."
    assert texts(reply) == ["Try this:", "Then reload."]
    announced = texts(reply, code_blocks="announce", code_block_text="Code omitted.")
    assert announced == ["Try this:", "Code omitted.", "Then reload."]


def test_segments_wait_for_the_word_that_decides_them() -> None:
    pipeline = TextPipeline(TextSettings(first_clause=False, min_segment_chars=0), "en-US")
    assert pipeline.feed("Call Dr.") == []
    assert pipeline.feed(" Smith now, please. ") == []  # the next word may still continue it
    assert [s.text for s in pipeline.feed("Thanks")] == ["Call Doctor Smith now, please."]
    assert [s.text for s in pipeline.finish()] == ["Thanks."]


REPLY_PARTS = st.sampled_from(
    [
        "Sure! ",
        "**Done.** ",
        "It is 21.5 °C, ",
        "and 45% humid. ",
        "Call Dr. Smith at 3:30 p.m. today. ",
        "See https://www.home-assistant.io/docs for more. ",
        "\n\n- Milk 🥛\n- Eggs\n",
        "| Room | Temp |\n|---|---|\n| Den | 19 °C |\n",
        "e.g. apples, etc. ",
        "```\ncode\n```\n",
        "## Title\n",
        "Version 2. Then the U.S. one. ",
        "Um, well — maybe later; ",
    ]
)


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(REPLY_PARTS, min_size=1, max_size=8), cuts=st.lists(st.integers(0, 400)))
def test_any_chunking_gives_the_same_segments(parts: list[str], cuts: list[int]) -> None:
    text = "".join(parts)
    whole = split_text(text, SETTINGS, "en-US")
    pipeline = TextPipeline(SETTINGS, "en-US")
    streamed = []
    start = 0
    for cut in [*sorted({c % (len(text) + 1) for c in cuts}), len(text)]:
        streamed += pipeline.feed(text[start:cut])
        start = cut
    streamed += pipeline.finish()
    assert streamed == whole
    assert all(segment.text.strip() for segment in streamed)
    assert not any(mark in segment.text for segment in streamed for mark in ("**", "🥛", "|"))
