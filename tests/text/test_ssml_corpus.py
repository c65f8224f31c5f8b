"""The corpus of SSML replies: spoken as expected, whole or streamed in any fragments; no
markup is ever spoken, and only broken markup is warned about."""

from __future__ import annotations

import itertools
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wyoming_polytts.text import SSML, Segment, TextPipeline, TextSettings

CORPUS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "ssml_corpus.yaml").read_text(encoding="utf-8")
)
SETTINGS = TextSettings()
SWITCHABLE = {"bf_emma": "en-GB", "af_sky": "en-US"}
"""Voices of the reply's engine that the markup may switch to."""
MARKUP = re.compile(r"[<>=]|interpret|xml|alias|strength|prosody|say-as")

Spoken = tuple[str, float | None, float, str | None, str | None]


def spoken(segments: list[Segment]) -> list[Spoken]:
    """Each segment's text, explicit pause after it (but the last), speed, voice, language."""
    return [
        (
            segment.text,
            segment.pause_seconds if index < len(segments) - 1 else None,
            round(segment.delivery.speed, 4),
            segment.delivery.voice,
            segment.delivery.language,
        )
        for index, segment in enumerate(segments)
    ]


def expected(entry: dict[str, Any]) -> list[Spoken]:
    items = [item if isinstance(item, dict) else {"text": item} for item in entry["spoken"]]
    return [
        (
            item["text"],
            item.get("after"),
            item.get("speed", 1.0),
            item.get("voice"),
            item.get("language"),
        )
        for item in items
    ]


def streamed(entry: dict[str, Any], cuts: list[int]) -> list[Segment]:
    """The segments when the entry's SSML arrives cut at `cuts`."""
    text = entry["ssml"]
    pipeline = TextPipeline(SETTINGS, entry["lang"], SSML, SWITCHABLE.get)
    segments = []
    bounds = [0, *sorted({cut % (len(text) + 1) for cut in cuts}), len(text)]
    for start, end in itertools.pairwise(bounds):
        segments += pipeline.feed(text[start:end])
    return segments + pipeline.finish()


def test_the_corpus_is_large_and_multilingual() -> None:
    assert len(CORPUS) >= 40
    languages = {entry["lang"].split("-")[0] for entry in CORPUS}
    assert languages >= {"en", "es", "fr", "it", "pt", "ja", "zh"}
    assert 3 <= sum(bool(entry.get("malformed")) for entry in CORPUS) < len(CORPUS) / 5


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["ssml"][:50] for entry in CORPUS])
def test_reply_is_spoken_as_expected(
    entry: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="wyoming_polytts.text")
    segments = streamed(entry, [])
    assert spoken(segments) == expected(entry)
    assert not [segment.text for segment in segments if MARKUP.search(segment.text)]
    warned = "Malformed SSML" in caplog.text
    assert warned == bool(entry.get("malformed")), caplog.text


@pytest.mark.parametrize("size", [1, 2, 3, 7, 16])
def test_streaming_in_even_fragments_gives_the_same_segments(size: int) -> None:
    for entry in CORPUS:
        cuts = list(range(size, len(entry["ssml"]), size))
        assert spoken(streamed(entry, cuts)) == expected(entry), entry["ssml"]


@settings(max_examples=300, deadline=None)
@given(entry=st.sampled_from(CORPUS), cuts=st.lists(st.integers(0, 10_000), max_size=40))
def test_streaming_in_any_fragments_gives_the_same_segments(
    entry: dict[str, Any], cuts: list[int]
) -> None:
    assert spoken(streamed(entry, cuts)) == expected(entry)
