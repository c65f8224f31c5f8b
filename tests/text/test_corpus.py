"""The corpus of assistant replies: spoken as expected, whole or streamed in any fragments."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wyoming_polytts.text import TextPipeline, TextSettings, split_text

CORPUS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "corpus.yaml").read_text(encoding="utf-8")
)
SETTINGS = TextSettings()


def streamed(text: str, language: str, cuts: list[int]) -> list[str]:
    """The segments' texts when `text` arrives cut at `cuts`."""
    pipeline = TextPipeline(SETTINGS, language)
    segments = []
    bounds = [0, *sorted({cut % (len(text) + 1) for cut in cuts}), len(text)]
    for start, end in itertools.pairwise(bounds):
        segments += pipeline.feed(text[start:end])
    return [segment.text for segment in segments + pipeline.finish()]


def test_the_corpus_is_large_and_multilingual() -> None:
    assert len(CORPUS) >= 60
    languages = [entry["lang"].split("-")[0] for entry in CORPUS]
    assert set(languages) >= {"en", "es", "fr", "it", "pt", "ja", "zh", "hi"}
    assert languages.count("en") > len(languages) / 2


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["text"][:40] for entry in CORPUS])
def test_reply_is_spoken_as_expected(entry: dict[str, Any]) -> None:
    segments = split_text(entry["text"], SETTINGS, entry["lang"])
    assert [segment.text for segment in segments] == entry["spoken"]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 16])
def test_streaming_in_even_fragments_gives_the_same_segments(size: int) -> None:
    for entry in CORPUS:
        text = entry["text"]
        cuts = list(range(size, len(text), size))
        assert streamed(text, entry["lang"], cuts) == entry["spoken"], text


@settings(max_examples=300, deadline=None)
@given(entry=st.sampled_from(CORPUS), cuts=st.lists(st.integers(0, 10_000), max_size=40))
def test_streaming_in_any_fragments_gives_the_same_segments(
    entry: dict[str, Any], cuts: list[int]
) -> None:
    assert streamed(entry["text"], entry["lang"], cuts) == entry["spoken"]
