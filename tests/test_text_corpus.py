"""The corpus of assistant replies: spoken the same whether sent whole or streamed in fragments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from wyoming_polytts.client import fragments
from wyoming_polytts.text import TextPipeline, TextSettings, split_text

CORPUS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "text_corpus.yaml").read_text(encoding="utf-8")
)


def test_the_corpus_is_large_and_multilingual() -> None:
    assert len(CORPUS) >= 60
    assert {entry["lang"].split("-")[0] for entry in CORPUS} >= {
        "en",
        "es",
        "fr",
        "it",
        "pt",
        "ja",
        "zh",
        "hi",
    }


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["text"][:40] for entry in CORPUS])
def test_reply_is_spoken_as_expected(entry: dict[str, Any]) -> None:
    segments = split_text(entry["text"], TextSettings(), entry["lang"])
    assert [segment.text for segment in segments] == entry["spoken"]


@pytest.mark.parametrize("size", [1, 3, 7, 16])
def test_streaming_in_fragments_gives_the_same_segments(size: int) -> None:
    for entry in CORPUS:
        pipeline = TextPipeline(TextSettings(), entry["lang"])
        streamed = [s for piece in fragments(entry["text"], size) for s in pipeline.feed(piece)]
        streamed += pipeline.finish()
        assert [segment.text for segment in streamed] == entry["spoken"], entry["text"]
