"""The torch side of the CSM engine: the frame streamer and the prompt it builds."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import torch

from wyoming_polytts.engines.csm.prompt import Utterance
from wyoming_polytts.engines.csm.runtime import CsmRuntime, FrameStreamer, StopGeneration
from wyoming_polytts.testing.csm_tiny import CODEBOOK_SIZE, NUM_CODEBOOKS, SETTINGS, build_tiny_csm


@pytest.fixture(name="runtime")
def runtime_fixture() -> CsmRuntime:
    model, processor = build_tiny_csm()
    return CsmRuntime(model, processor, SETTINGS)


def streamer(sink: list[Any], stop: bool = False) -> FrameStreamer:
    return FrameStreamer(sink.append, lambda: stop, eos_code=0, codebook_size=CODEBOOK_SIZE)


def frame(*codes: int) -> torch.Tensor:
    return torch.tensor([codes])


def test_the_streamer_skips_the_prompt_and_passes_frames_on() -> None:
    sink: list[Any] = []
    frames = streamer(sink)
    frames.put(torch.zeros((1, 0), dtype=torch.long))
    frames.put(frame(1, 2, 3))
    frames.put(frame(4, 5, 6))
    frames.end()
    assert [item.tolist() for item in sink] == [[1, 2, 3], [4, 5, 6]]
    assert frames.frames == 2


def test_the_end_of_audio_frame_is_not_audio() -> None:
    sink: list[Any] = []
    frames = streamer(sink)
    frames.put(torch.zeros((1, 0), dtype=torch.long))
    frames.put(frame(0, 0, 7))  # generate() stops on this one: all codebooks but the last are 0
    assert sink == []
    assert frames.frames == 1


def test_a_code_outside_the_codec_is_an_error() -> None:
    frames = streamer([])
    frames.put(torch.zeros((1, 0), dtype=torch.long))
    with pytest.raises(RuntimeError, match="outside the codec"):
        frames.put(frame(1, CODEBOOK_SIZE, 2))


def test_a_stop_request_ends_generation_even_before_the_prompt() -> None:
    with pytest.raises(StopGeneration):
        streamer([], stop=True).put(torch.zeros((1, 0), dtype=torch.long))


def test_the_prompt_equals_what_csms_processor_builds(runtime: CsmRuntime) -> None:
    """Utterances' codes go in directly, yet the embeddings match the processor's audio path
    (as CSM's own forward hands them to its backbone)."""
    model, processor = runtime.model, build_tiny_csm()[1]
    audio = np.random.default_rng(0).uniform(-0.1, 0.1, 12000).astype(np.float32)
    codes = runtime.encode(audio)
    assert codes.shape == (7, NUM_CODEBOOKS)  # 0.5 s at 12.5 frames/s, rounded up
    inputs = processor(
        text="<|begin_of_text|>[0]Hello.<|end_of_text|><|AUDIO|><|audio_eos|>"
        "<|begin_of_text|>[1]And you?<|end_of_text|>",
        audio=[audio],
    )
    seen: list[torch.Tensor] = []
    hook = model.backbone_model.register_forward_pre_hook(
        lambda _module, _args, kwargs: seen.append(kwargs["inputs_embeds"]), with_kwargs=True
    )
    with torch.inference_mode():
        model(**inputs)
        hook.remove()
        ours = runtime.embed(
            [Utterance(runtime.text_ids(0, "Hello."), codes)], runtime.text_ids(1, "And you?")
        )
    (expected,) = seen
    assert ours.shape == expected.shape
    assert torch.equal(ours, expected)


def test_greedy_settings_reach_both_decoders() -> None:
    model, processor = build_tiny_csm()
    CsmRuntime(model, processor, dataclasses.replace(SETTINGS, temperature=0.0))
    for config in (model.generation_config, model.depth_decoder.generation_config):
        assert config.do_sample is False
    CsmRuntime(model, processor, dataclasses.replace(SETTINGS, temperature=0.7, top_k=20))
    for config in (model.generation_config, model.depth_decoder.generation_config):
        assert (config.do_sample, config.temperature, config.top_k) == (True, 0.7, 20)
