"""One reply's text path, and its settings as config.yaml gives them."""

from __future__ import annotations

import pytest

from wyoming_polytts.schema import ConfigError, build
from wyoming_polytts.text import Pause, Pauses, Segment, TextPipeline, TextSettings, split_text


def test_segments_carry_the_pause_of_their_kind() -> None:
    pauses = Pauses(clause=0.1, sentence=0.2, item=0.3, paragraph=0.4)
    settings = TextSettings(pauses=pauses, min_segment_chars=0)
    reply = "Sure, here is the list for you. It is short.\n\n- Milk\n- Eggs\n\nBye."
    pipeline = TextPipeline(settings, "en-US")
    segments = pipeline.feed(reply) + pipeline.finish()
    assert segments == [
        Segment("Sure, here is the list for you.", Pause.SENTENCE),
        Segment("It is short.", Pause.PARAGRAPH),
        Segment("Milk.", Pause.ITEM),
        Segment("Eggs.", Pause.ITEM),
        Segment("Bye.", Pause.PARAGRAPH),
    ]
    assert [pipeline.pause_after(segment) for segment in segments] == [0.2, 0.4, 0.3, 0.3, 0.4]
    clause_first = split_text("Sure, here it is, just for you.", settings, "en-US")
    assert clause_first == [
        Segment("Sure, here it is,", Pause.CLAUSE),
        Segment("just for you.", Pause.PARAGRAPH),
    ]


def test_items_and_headings_end_like_sentences() -> None:
    segments = split_text("# Weather\n\n- Sunny\n- 24 °C", TextSettings(), "en-US")
    assert [s.text for s in segments] == ["Weather.", "Sunny.", "twenty-four degrees Celsius."]
    chinese = split_text("- 客厅\n- 卧室", TextSettings(), "zh-CN")
    assert [s.text for s in chinese] == ["客厅。", "卧室。"]


def test_unspeakable_pieces_give_no_segment() -> None:
    assert split_text("👍\n\n---\n\n🎉🎉", TextSettings(), "en-US") == []


def test_feeding_fragments_and_finishing_gives_everything_once() -> None:
    pipeline = TextPipeline(TextSettings(), "en-US")
    segments = [s for chunk in ("Hel", "lo, wor", "ld. The", " end.") for s in pipeline.feed(chunk)]
    segments += pipeline.finish()
    assert [s.text for s in segments] == ["Hello, world.", "The end."]


def test_settings_come_from_the_text_section() -> None:
    section = {
        "code_blocks": "announce",
        "urls": "skip",
        "pauses": {"item": 0.5},
        "lexicon": {"Nguyen": "Win"},
        "max_segment_chars": 200,
    }
    settings = build(TextSettings, section, "text")
    assert settings.pauses.item == 0.5 and settings.pauses.sentence == Pauses().sentence
    assert split_text("Ask Nguyen.", settings, "en-US")[0].text == "Ask Win."
    with pytest.raises(ConfigError, match=r"text\.code_blocks"):
        build(TextSettings, {"code_blocks": "read"}, "text")
    with pytest.raises(ConfigError, match=r"text\.pauses\.clause"):
        build(TextSettings, {"pauses": {"clause": 5}}, "text")
