"""The torch side of the CSM engine: the prompt it builds and the settings it generates with."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from wyoming_polytts.engines.csm.prompt import Utterance
from wyoming_polytts.engines.csm.runtime import CsmRuntime
from wyoming_polytts.testing.csm_tiny import NUM_CODEBOOKS, SETTINGS, build_tiny_csm


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


def frames_of(runtime: CsmRuntime, text: str) -> list[list[int]]:
    reply = runtime.submit((), runtime.text_ids(0, text), 12, lambda: False)
    frames, ended = reply.take(12)
    assert ended
    return [frame.tolist() for frame in frames]


def test_the_sampling_settings_reach_the_frame_loop() -> None:
    model, processor = build_tiny_csm()
    greedy = CsmRuntime(model, processor, dataclasses.replace(SETTINGS, temperature=0.0))
    assert frames_of(greedy, "Hello.") == frames_of(greedy, "Hello.")
    greedy.close()
    torch.manual_seed(0)
    sampled = CsmRuntime(model, processor, dataclasses.replace(SETTINGS, temperature=1.0))
    assert frames_of(sampled, "Hello.") != frames_of(sampled, "Hello.")
    sampled.close()


def test_a_top_k_beyond_the_vocabulary_samples_from_all_of_it() -> None:
    model, processor = build_tiny_csm()
    runtime = CsmRuntime(model, processor, dataclasses.replace(SETTINGS, top_k=2051))
    assert len(frames_of(runtime, "Hello.")) == 12
    runtime.close()
