"""Streaming Mimi decode equals transformers' one-shot decode of the same frames."""

from __future__ import annotations

import itertools

import pytest
import torch
from transformers import MimiModel

from wyoming_polytts.engines.csm.mimi_stream import MimiStreamDecoder
from wyoming_polytts.testing.csm_tiny import (
    CODEBOOK_SIZE,
    NUM_CODEBOOKS,
    randomize_codebooks,
    tiny_codec_config,
)

FRAMES = 41
"""82 transformer steps: far past the tiny codec's attention window of 8."""


def codec(seed: int = 0, **overrides: object) -> MimiModel:
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        model = MimiModel(tiny_codec_config(**overrides)).eval().double()
        randomize_codebooks(model)
    return model


def random_codes(seed: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, CODEBOOK_SIZE, (1, NUM_CODEBOOKS, FRAMES), generator=generator)


def stream(model: MimiModel, codes: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    decoder = MimiStreamDecoder(model)
    bounds = torch.tensor([0, *sizes]).cumsum(0).tolist()
    with torch.inference_mode():
        return torch.cat(
            [decoder.decode(codes[..., a:b]) for a, b in itertools.pairwise(bounds)], -1
        )


def one_shot(model: MimiModel, codes: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model.decode(codes).audio_values


@pytest.mark.parametrize(
    "sizes",
    [[1] * FRAMES, [3] + [6] * 6 + [2], [2, 5, 1, 7, 26], [FRAMES]],
    ids=["frame by frame", "3 then 6", "uneven", "all at once"],
)
@pytest.mark.parametrize("pad_mode", ["constant", "replicate"])
def test_streamed_chunks_join_into_the_one_shot_audio(sizes: list[int], pad_mode: str) -> None:
    model = codec(pad_mode=pad_mode)
    codes = random_codes()
    expected = one_shot(model, codes)
    streamed = stream(model, codes, sizes)
    assert streamed.shape == expected.shape == (1, 1, FRAMES * 1920)
    assert (streamed - expected).abs().max().item() < 1e-10


def test_float32_stays_within_a_ten_thousandth() -> None:
    model = codec().float()
    codes = random_codes(seed=2)
    difference = stream(model, codes, [3] + [6] * 6 + [2]) - one_shot(model, codes)
    assert difference.abs().max().item() < 1e-4


def test_independent_chunks_would_not_join() -> None:
    """What the state is for: decoding chunks on their own is far off."""
    model = codec()
    codes = random_codes()
    with torch.inference_mode():
        chunks = [model.decode(codes[..., i : i + 6]).audio_values for i in range(0, FRAMES, 6)]
    assert (torch.cat(chunks, -1) - one_shot(model, codes)).abs().max().item() > 1e-2


def test_each_stream_starts_fresh() -> None:
    model = codec()
    codes = random_codes()
    first = stream(model, codes, [5, 36])
    assert torch.equal(stream(model, codes, [5, 36]), first)


def test_a_non_causal_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="causal"):
        MimiStreamDecoder(codec(use_causal_conv=False))
