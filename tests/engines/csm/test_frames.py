"""CSM's own frame loop against transformers' `generate`, and its sampler on the device."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from transformers import CsmConfig, CsmForConditionalGeneration
from transformers.generation.logits_process import (
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
)
from transformers.initialization import no_init_weights

from wyoming_polytts.engines.csm.frames import FrameModel
from wyoming_polytts.engines.csm.graphs import compiled_step
from wyoming_polytts.engines.csm.host_read import FrameReader
from wyoming_polytts.engines.csm.sampler import Sampler, Sampling
from wyoming_polytts.testing.csm_tiny import (
    CODEBOOK_SIZE,
    NUM_CODEBOOKS,
    SPECIAL_TOKENS,
    build_tiny_csm,
    prefer_codes_the_codec_lacks,
)

GREEDY = Sampling(temperature=0.0, top_k=1)


def prompt(model: Any, seed: int, text_tokens: int, audio_frames: int = 0) -> torch.Tensor:
    """Embeddings of random text, after random audio frames if asked: a prompt as CSM reads it."""
    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.text_vocab_size
    text = torch.randint(len(SPECIAL_TOKENS), vocab, (1, text_tokens), generator=generator)
    shape = (1, audio_frames, model.config.num_codebooks)
    codes = torch.randint(0, CODEBOOK_SIZE, shape, generator=generator)
    with torch.inference_mode():
        parts = [model.backbone_model.embed_tokens(codes), model.embed_text_tokens(text)]
        return torch.cat(parts, dim=1)


def generated(model: Any, embeds: torch.Tensor, frames: int) -> list[list[int]]:
    """transformers' greedy codes, without the end-of-audio frame generation may stop on."""
    with torch.inference_mode():
        sequences = model.generate(
            inputs_embeds=embeds,
            attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long),
            max_new_tokens=frames,
            do_sample=False,
            depth_decoder_do_sample=False,
        )
    codes: list[list[int]] = sequences[0].tolist()
    eos = model.config.codebook_eos_token_id
    return codes[:-1] if codes and set(codes[-1][:-1]) == {eos} else codes


def admitted(frames: FrameModel, row: int, embeds: torch.Tensor, sampling: Sampling) -> None:
    """A prompt prefilled alone into slot `row`, which then generates."""
    frames.prefill(row, embeds, [embeds.shape[1]])
    frames.admit(row, embeds.shape[1], sampling)


def choose(sampler: Sampler, logits: torch.Tensor, temperature: float, top_k: int) -> torch.Tensor:
    """One code per row of `logits`, every row with the same settings (as `admit` sets them)."""
    rows, device = logits.shape[0], logits.device
    sampling = torch.full((rows, 1), temperature > 0, device=device)
    inverse = torch.full((rows, 1), 1 / temperature if temperature else 1.0, device=device)
    top_k_index = torch.full((rows, 1), top_k - 1, device=device)
    return sampler(logits, sampler.noise(1, sampling)[0], inverse, top_k_index)


def looped(
    frames: FrameModel, embeds: torch.Tensor, count: int, sampling: Sampling = GREEDY
) -> list[list[int]]:
    """Up to `count` frames of one reply through the frame loop, alone in slot 0."""
    admitted(frames, 0, embeds, sampling)
    codes = []
    for _ in range(count):
        frames.step(1)
        if frames.finished[0]:
            break
        codes.append(frames.codes[0].tolist())
    frames.release(0)
    return codes


@pytest.mark.parametrize(
    ("seed", "text_tokens", "audio_frames"), [(1, 5, 0), (2, 40, 0), (3, 12, 20)]
)
def test_greedy_frames_are_exactly_those_of_transformers_generate(
    seed: int, text_tokens: int, audio_frames: int
) -> None:
    model, _processor = build_tiny_csm()
    embeds = prompt(model, seed, text_tokens, audio_frames)
    expected = generated(model, embeds, 20)
    assert len(expected) == 20
    assert looped(FrameModel(model, slots=2, max_top_k=1), embeds, 20) == expected


def test_a_model_on_eager_attention_makes_the_same_codes() -> None:
    """The loop runs its own attention whatever transformers' modules are set to."""
    model, _processor = build_tiny_csm()
    embeds = prompt(model, seed=1, text_tokens=5)
    expected = generated(model, embeds, 8)
    model.set_attn_implementation("eager")
    assert generated(model, embeds, 8) == expected
    assert looped(FrameModel(model, slots=1, max_top_k=1), embeds, 8) == expected


def stepped(frames: FrameModel, batch: int, count: int) -> list[list[list[int]]]:
    """Per row of the batch, its codes of `count` frames."""
    made: list[list[list[int]]] = [[] for _ in range(batch)]
    for _ in range(count):
        frames.step(batch)
        for row in range(batch):
            made[row].append(frames.codes[row].tolist())
    return made


def test_many_frames_of_two_replies_in_one_batch_are_those_of_generate() -> None:
    """60 frames each, two prompts of other lengths side by side in a batch of two."""
    model, _processor = build_tiny_csm()
    embeds = [prompt(model, seed=9, text_tokens=7), prompt(model, seed=10, text_tokens=30)]
    expected = [generated(model, embed, 60) for embed in embeds]
    frames = FrameModel(model, slots=2, max_top_k=1)
    for row, embed in enumerate(embeds):
        admitted(frames, row, embed, GREEDY)
    assert stepped(frames, 2, 60) == expected


def test_prompts_read_in_chunks_or_padded_side_by_side_make_the_codes_of_generate() -> None:
    """A prompt read 16 tokens at a time (attention over what is read so far), and two
    prompts of other lengths read in one call, the shorter padded, then stepped together."""
    model, _processor = build_tiny_csm()
    long, short = prompt(model, seed=11, text_tokens=40), prompt(model, seed=12, text_tokens=9)
    expected = [generated(model, embeds, 20) for embeds in (long, short)]
    chunked = FrameModel(model, slots=2, max_top_k=1)
    for start in range(0, 40, 16):
        chunk = long[:, start : start + 16]
        chunked.prefill(1, chunk, [chunk.shape[1]], start=start)
    chunked.admit(1, 40, GREEDY)
    # slot 0 holds no reply: it writes to the scratch position, not into slot 1's window
    assert stepped(chunked, 2, 20)[1] == expected[0]
    together = FrameModel(model, slots=2, max_top_k=1)
    padded = torch.cat([long, torch.nn.functional.pad(short, (0, 0, 0, 31))])
    together.prefill(0, padded, [40, 9])
    together.admit(0, 40, GREEDY)
    together.admit(1, 9, GREEDY)
    assert stepped(together, 2, 20) == expected


def test_the_compiled_step_makes_the_codes_of_the_eager_step() -> None:
    """csm.torch_compile: the frame as one inductor graph, compiled for one batch size only
    (a compilation takes most of a minute on two cores), greedy codes as the eager step's."""
    model, _processor = build_tiny_csm()
    embeds = [prompt(model, seed=1, text_tokens=5), prompt(model, seed=2, text_tokens=17)]
    made: list[list[list[list[int]]]] = []
    for compiled in (False, True):
        frames = FrameModel(model, slots=2, max_top_k=1)
        step = compiled_step(frames, [2]) if compiled else frames.step
        for row, embed in enumerate(embeds):
            admitted(frames, row, embed, GREEDY)
        made.append([])
        for _ in range(20):
            step(2)
            made[-1].append(frames.codes.tolist())
    assert made[0] == made[1]


def test_greedy_frames_of_the_full_size_architecture_are_those_of_generate() -> None:
    """CSM-1B's shapes (2048-token window, 32 codebooks of 2051 codes of which Mimi decodes
    2048), random weights in float32; transformers told to suppress the codes Mimi lacks,
    which the loop never picks, so both choose among the same codes."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        with no_init_weights():  # else torch's initialisation runs first, for nothing
            model = CsmForConditionalGeneration(CsmConfig()).eval()
        model.init_weights()
    lacking = list(range(model.codec_model.config.codebook_size, model.config.vocab_size))
    assert lacking == [2048, 2049, 2050]
    for config in (model.generation_config, model.depth_decoder.generation_config):
        config.suppress_tokens = lacking
    embeds = prompt(model, seed=4, text_tokens=12)
    expected = generated(model, embeds, 3)
    assert len(expected) == 3
    assert looped(FrameModel(model, slots=1, max_top_k=1), embeds, 3) == expected


def test_the_sampler_never_picks_a_code_the_codec_lacks() -> None:
    """Random weights know nothing of Mimi's 2048 codes: here nearly all of the mass sits on
    CSM's codes 2048-2050, yet neither greedy nor sampling (even top-k over all) picks one."""
    torch.manual_seed(0)
    sampler = Sampler(2051, 2048, eos_code=0, max_top_k=2051, device=torch.device("cpu"))
    logits = torch.randn(4096, 2051)
    logits[:, 2048:] += 30
    for temperature, top_k in [(0.0, 1), (1.0, 50), (2.0, 2051)]:
        codes = choose(sampler, logits, temperature, top_k)
        assert int(codes.max()) < 2048


def test_end_of_audio_stays_possible_where_the_codec_lacks_its_code() -> None:
    sampler = Sampler(2051, 2048, eos_code=2050, max_top_k=50, device=torch.device("cpu"))
    logits = torch.zeros(2, 2051)
    logits[:, 2049:] = torch.tensor([5.0, 9.0])
    codes = choose(sampler, logits, 0.0, 1)
    assert codes.tolist() == [2050, 2050]
    frames = torch.tensor([[2050, 2050, 7], [2050, 3, 7], [1, 2, 3]])
    assert sampler.ends(frames).tolist() == [True, True, False]  # the 2nd has no audio


def test_a_frame_ends_the_reply_as_transformers_stops() -> None:
    sampler = Sampler(64, 64, eos_code=0, max_top_k=64, device=torch.device("cpu"))
    frames = torch.tensor([[0, 0, 0, 5], [0, 0, 0, 0], [0, 3, 0, 0], [9, 0, 0, 0]])
    assert sampler.ends(frames).tolist() == [True, True, False, False]


def total_variation(first: torch.Tensor, second: torch.Tensor) -> float:
    return float((first - second).abs().sum()) / 2


def histogram(codes: torch.Tensor, size: int) -> torch.Tensor:
    return torch.bincount(codes, minlength=size).double() / len(codes)


@pytest.mark.parametrize(("temperature", "top_k"), [(0.05, 10), (0.02, 40)])
def test_sampling_draws_from_the_distribution_transformers_samples(
    temperature: float, top_k: int
) -> None:
    """N draws of codebook 0 from the tiny model's logits after a prompt, by the sampler and
    by transformers' temperature and top-k processors with `multinomial`. An empirical
    distribution of N draws over k codes is off the true one by a total variation of at most
    sqrt(k/N)/2 on average (Cauchy-Schwarz), and by more than twice that with probability
    below exp(-k/2) (McDiarmid); the seed is fixed. The low temperatures make the tiny
    model's nearly flat logits peaked, so a wrong temperature or cut-off would show."""
    draws = 50_000
    bound = (top_k / draws) ** 0.5
    model, _processor = build_tiny_csm()
    eos = model.config.codebook_eos_token_id
    sampler = Sampler(CODEBOOK_SIZE, CODEBOOK_SIZE, eos, CODEBOOK_SIZE, torch.device("cpu"))
    with torch.inference_mode():
        embeds = prompt(model, seed=5, text_tokens=9)
        hidden = model.backbone_model(inputs_embeds=embeds).last_hidden_state[:, -1]
        logits = model.lm_head(hidden).float().expand(draws, -1)
        warped = LogitsProcessorList(
            [TemperatureLogitsWarper(temperature), TopKLogitsWarper(top_k)]
        )(torch.zeros(draws, 0, dtype=torch.long), logits.clone())
        exact = torch.softmax(warped[0].double(), dim=-1)
        torch.manual_seed(0)
        theirs = torch.multinomial(torch.softmax(warped, dim=-1), 1)[:, 0]
        ours = choose(sampler, logits, temperature, top_k)
    assert int((exact > 0).sum()) == top_k
    assert set(ours.tolist()) <= set(exact.nonzero()[:, 0].tolist())
    assert total_variation(histogram(ours, 64), exact) < bound
    assert total_variation(histogram(theirs, 64), exact) < bound
    assert total_variation(histogram(ours, 64), histogram(theirs, 64)) < 2 * bound
    # the test can tell: twice the temperature is a different distribution
    hotter = torch.softmax(warped[0].double() / 2, dim=-1)
    assert total_variation(hotter, exact) > 4 * bound


def test_a_model_that_prefers_codes_the_codec_lacks_makes_only_codes_it_has() -> None:
    model, _processor = build_tiny_csm(vocab_size=CODEBOOK_SIZE + 3)
    prefer_codes_the_codec_lacks(model)
    embeds = prompt(model, seed=6, text_tokens=8)
    unmasked = torch.tensor(generated(model, embeds, 5))
    assert (unmasked >= CODEBOOK_SIZE).float().mean() > 0.9  # what generate would emit
    frames = FrameModel(model, slots=1, max_top_k=CODEBOOK_SIZE + 3)
    for sampling in (GREEDY, Sampling(temperature=1.0, top_k=CODEBOOK_SIZE + 3)):
        codes = torch.tensor(looped(frames, embeds, 10, sampling))
        assert codes.shape == (10, NUM_CODEBOOKS)
        assert int(codes.max()) < CODEBOOK_SIZE


def test_end_of_audio_ends_a_slot_on_the_device_and_leaves_the_others() -> None:
    """All-zero heads: greedy picks code 0 everywhere, CSM's end of audio; sampling over all
    64 codes almost never does."""
    model, _processor = build_tiny_csm()
    with torch.no_grad():
        model.lm_head.weight.zero_()
        model.depth_decoder.codebooks_head.weight.zero_()
    frames = FrameModel(model, slots=2, max_top_k=CODEBOOK_SIZE)
    admitted(frames, 0, prompt(model, seed=7, text_tokens=6), GREEDY)
    admitted(frames, 1, prompt(model, seed=8, text_tokens=6), Sampling(1.0, CODEBOOK_SIZE))
    torch.manual_seed(0)
    frames.step(2)
    assert frames.finished.tolist() == [True, False]
    assert frames.codes[0, :-1].tolist() == [0] * (NUM_CODEBOOKS - 1)
    codes, finished = FrameReader(frames.output).read(2)  # the loop's one read, as the host has it
    assert finished == [True, False]
    assert torch.equal(codes, frames.codes[:2])
