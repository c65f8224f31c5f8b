"""SSML: its tokens, what each element means for speech, and how the pipeline picks it."""

from __future__ import annotations

import logging

import pytest

from wyoming_polytts.text import SSML, Delivery, Pause, Pauses, TextPipeline, TextSettings
from wyoming_polytts.text.ssml import MAX_BREAK_SECONDS, MAX_DEPTH, opens_as_ssml
from wyoming_polytts.text.ssml_tokens import MAX_MARKUP_CHARS, Broken, SsmlTokenizer, Tag, Text

PAUSES = Pauses(clause=0.1, sentence=0.2, item=0.3, paragraph=0.4)
SETTINGS = TextSettings(pauses=PAUSES, min_segment_chars=0, first_clause=False)


def tokens(*chunks: str) -> list[object]:
    """The tokens of `chunks` fed one by one, adjacent texts joined."""
    tokenizer = SsmlTokenizer()
    found = [token for chunk in chunks for token in tokenizer.feed(chunk)] + tokenizer.finish()
    joined: list[object] = []
    for token in found:
        if isinstance(token, Text) and joined and isinstance(joined[-1], Text):
            joined[-1] = Text(joined[-1].text + token.text)
        else:
            joined.append(token)
    return joined


def said(ssml: str, language: str = "en-US", **voices: str) -> list[tuple[str, float, Delivery]]:
    """(text, pause after, delivery) of each segment of an SSML reply."""
    pipeline = TextPipeline(SETTINGS, language, SSML, voices.get)
    segments = pipeline.feed(ssml) + pipeline.finish()
    return [(s.text, pipeline.pause_after(s), s.delivery) for s in segments]


def test_tags_entities_comments_and_cdata_whatever_the_cuts() -> None:
    ssml = '<speak a="x > y"><!-- a > b -->Hi &amp; &#233;&#xE9;<![CDATA[<b>]]><break/></speak>'
    expected = [
        Tag("speak", attributes={"a": "x > y"}),
        Text("Hi & éé<b>"),
        Tag("break", empty=True),
        Tag("speak", closing=True),
    ]
    assert tokens(ssml) == expected
    assert tokens(*ssml) == expected
    assert tokens(*[ssml[i : i + 3] for i in range(0, len(ssml), 3)]) == expected


@pytest.mark.parametrize(
    ("ssml", "reason"),
    [
        ("a < b", "a '<' that starts no tag"),
        ("salt & pepper", "an '&' that starts no entity"),
        ("&nosuch;", "an unknown entity"),
        ("</p class='x'>", "an end tag with attributes"),
        ("<p class=x>", "a malformed tag"),
        ("<break time='1s'", "markup that never ends"),
        ("<p" + " " * MAX_MARKUP_CHARS + ">", "markup longer than any tag"),
    ],
)
def test_what_is_not_markup_is_broken(ssml: str, reason: str) -> None:
    assert any(isinstance(t, Broken) and t.reason == reason for t in tokens(ssml))
    assert tokens(ssml) == tokens(*ssml)


@pytest.mark.parametrize(
    ("start", "verdict"),
    [
        ("<speak>Hi", True),
        ("  \n<speak", True),
        ('<?xml version="1.0"?>', True),
        ("<spe", None),
        ("", None),
        ("Hello <speak>", False),
        ("<b>bold</b>", False),
        ("<speaker", True),
    ],
)
def test_a_reply_opens_as_ssml(start: str, verdict: bool | None) -> None:
    assert opens_as_ssml(start) is verdict


@pytest.mark.parametrize(
    ("attributes", "after"),
    [
        ('time="500ms"', 0.5),
        ('time="2s"', 2.0),
        ('time=" 1.5 S "', 1.5),
        ('time="90s"', MAX_BREAK_SECONDS),
        ('strength="x-weak"', PAUSES.clause / 2),
        ('strength="weak"', PAUSES.clause),
        ("", PAUSES.sentence),
        ('strength="medium"', PAUSES.sentence),
        ('strength="strong"', PAUSES.paragraph),
        ('strength="x-strong"', 2 * PAUSES.paragraph),
        ('time="soon" strength="strong"', PAUSES.paragraph),
    ],
)
def test_breaks_map_onto_the_pauses(attributes: str, after: float) -> None:
    first, second = said(f"<speak>Lights on <break {attributes}/> and off</speak>")
    assert first[:2] == ("Lights on", after) and second[0] == "and off."


def test_a_break_of_strength_none_keeps_words_together() -> None:
    assert [text for text, *_ in said('<speak>Living<break strength="none"/> room.</speak>')] == [
        "Living room."
    ]


def test_breaks_after_a_sentence_end_lengthen_its_pause_and_leading_ones_are_dropped() -> None:
    ssml = '<speak><break time="3s"/><s>Ready.</s><break time="1s"/> <break/><p>Go!</p></speak>'
    assert [(text, after) for text, after, _ in said(ssml)] == [
        ("Ready.", 1.0 + PAUSES.sentence),
        ("Go!", PAUSES.paragraph),
    ]


@pytest.mark.parametrize(
    ("rate", "speed"),
    [
        ("x-slow", 0.6),
        ("slow", 0.8),
        ("medium", 1.0),
        ("fast", 1.25),
        ("x-fast", 1.5),
        ("80%", 0.8),
        ("+20%", 1.2),
        ("-10%", 0.9),
        ("1.5", 1.5),
        ("sluggish", 1.0),
        ("-200%", 1.0),
    ],
)
def test_prosody_rate_is_a_speed_for_its_segments(rate: str, speed: float) -> None:
    (segment,) = said(f'<speak><prosody rate="{rate}" pitch="+5%">Hello there.</prosody></speak>')
    assert segment[2].speed == pytest.approx(speed)


def test_nested_rates_multiply_and_a_change_ends_a_segment() -> None:
    ssml = (
        '<speak>One <prosody rate="50%">two <prosody rate="fast">three</prosody></prosody></speak>'
    )
    assert [(text, delivery.speed) for text, _, delivery in said(ssml)] == [
        ("One", 1.0),
        ("two", 0.5),
        ("three.", 0.625),
    ]


def test_voice_switches_to_a_voice_of_the_same_engine_only(caplog) -> None:
    caplog.set_level(logging.WARNING)
    ssml = '<speak><voice name="bf_emma">Cheerio.</voice> <voice name="nobody">Hi.</voice></speak>'
    emma, other = said(ssml, bf_emma="en-GB")
    assert emma[2] == Delivery(voice="bf_emma", language="en-GB")
    assert other[2] == Delivery()
    assert "SSML voice nobody is not a voice of this reply's engine" in caplog.text


def test_lang_normalizes_in_its_language_and_the_reply_language_changes_nothing() -> None:
    ssml = '<speak xml:lang="en-US">It is 21. <lang xml:lang="es">Son 21.</lang></speak>'
    english, spanish = said(ssml)
    assert english == ("It is twenty-one.", PAUSES.clause, Delivery())
    assert spanish[0] == "Son veintiuno." and spanish[2] == Delivery(language="es")


def test_sub_and_say_as_inside_other_elements_and_self_closing() -> None:
    ssml = (
        '<speak><p><emphasis>The <sub alias="World Wide Web">WWW</sub></emphasis> is '
        '<sub alias="big"/>.</p><s><say-as interpret-as="digits"><b>12</b></say-as></s></speak>'
    )
    assert [text for text, *_ in said(ssml)] == ["The World Wide Web is big.", "one two."]


def test_broken_markup_is_spoken_without_tags_from_there_on(caplog) -> None:
    caplog.set_level(logging.WARNING)
    ssml = (
        '<speak><prosody rate="slow">Slow.</prosody> <sub alias="x">Y</p> and '
        '<break time="9s"/>this<break/>that.</speak>'
    )
    assert [(text, delivery) for text, _, delivery in said(ssml)] == [
        ("Slow.", Delivery(speed=0.8)),
        ("Y and this that.", Delivery()),
    ]
    assert "Malformed SSML (</p> where </sub> was expected)" in caplog.text
    # The log says what broke, never the reply's words
    assert "Slow" not in caplog.text and "that" not in caplog.text


def test_nesting_deeper_than_any_reply_is_broken_markup(caplog) -> None:
    caplog.set_level(logging.WARNING)
    ssml = "<speak>" + "<emphasis>" * MAX_DEPTH + "Deep." + "</emphasis>" * MAX_DEPTH + "</speak>"
    assert [text for text, *_ in said(ssml)] == ["Deep."]
    assert f"elements nested deeper than {MAX_DEPTH}" in caplog.text


def test_elements_left_open_are_warned_about(caplog) -> None:
    caplog.set_level(logging.WARNING)
    assert [text for text, *_ in said('<speak><p>Hi <sub alias="there">X')] == ["Hi X."]
    assert "elements never closed (speak, p, sub)" in caplog.text


def test_format_is_ssml_when_asked_or_detected() -> None:
    reply = "<speak>Hi <break/> there</speak>"

    def texts(text_format: str | None, detect: bool, chunks: list[str]) -> list[str]:
        pipeline = TextPipeline(TextSettings(detect_ssml=detect), "en-US", text_format)
        segments = [s for chunk in chunks for s in pipeline.feed(chunk)] + pipeline.finish()
        return [segment.text for segment in segments]

    assert texts("ssml", False, [reply]) == ["Hi", "there."]
    assert texts(None, True, list(reply)) == ["Hi", "there."]
    # Markdown keeps what it always did: html tags are dropped, their words run on
    assert texts(None, False, [reply]) == ["Hi there."]
    assert texts("text", True, [reply]) == ["Hi there."]
    assert texts(None, True, ["**Bold** <spe", "aker> move"]) == ["Bold move."]
    assert texts(None, True, ["<sp"]) == ["sp."]


def test_pause_after_prefers_an_exact_pause() -> None:
    pipeline = TextPipeline(SETTINGS, "en-US", SSML)
    ssml = '<speak><p>A b.</p><break time="1.2s"/>C d.</speak>'
    first, second = pipeline.feed(ssml) + pipeline.finish()
    assert first.pause is Pause.PARAGRAPH and pipeline.pause_after(first) == 1.2
    assert pipeline.pause_after(second) == PAUSES.paragraph  # the end: never heard


def test_punctuation_after_an_element_ends_the_words_inside_it() -> None:
    ssml = (
        '<speak>It ran <prosody rate="slow">slowly</prosody>, <voice name="bf_emma">then '
        "fast</voice>. <s>Done</s>!</speak>"
    )
    assert [text for text, *_ in said(ssml, bf_emma="en-GB")] == [
        "It ran",
        "slowly,",
        "then fast.",
        "Done!",
    ]
