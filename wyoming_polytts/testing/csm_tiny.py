"""A tiny randomly initialised CSM (backbone, depth decoder, Mimi codec, tokenizer) built in
memory in well under a second, so the real CSM engine code runs on a CPU without a download.

Its speech is noise, but every tensor goes through the same code paths as CSM-1B's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    CsmConfig,
    CsmForConditionalGeneration,
    CsmProcessor,
    EncodecFeatureExtractor,
    MimiConfig,
    PreTrainedTokenizerFast,
)
from transformers.models.csm.configuration_csm import CsmDepthDecoderConfig
from transformers.models.mimi.modeling_mimi import MimiEuclideanCodebook

from ..engines.base import Audio
from ..engines.csm.engine import CsmEngine
from ..engines.csm.runtime import CsmRuntime
from ..engines.csm.settings import CsmSettings

SPECIAL_TOKENS = ("<|begin_of_text|>", "<|end_of_text|>", "<|AUDIO|>", "<|audio_eos|>")
"""CSM's special tokens, with ids 0-3 here."""
NUM_CODEBOOKS = 8
CODEBOOK_SIZE = 64
"""The codec's codebook and (unless asked otherwise) CSM's audio vocabulary."""
WINDOW = 256
"""Positions in the backbone's window (CSM-1B: 2048), small so that trimming shows."""
SETTINGS = CsmSettings(device="cpu", first_chunk_frames=2, chunk_frames=3)


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level with no merges: one token per UTF-8 byte, any text."""
    vocab = {token: index for index, token in enumerate(SPECIAL_TOKENS)}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=SPECIAL_TOKENS[0],
        eos_token=SPECIAL_TOKENS[1],
        pad_token=SPECIAL_TOKENS[2],  # as CSM's configuration has it
    )
    tokenizer.add_special_tokens({"additional_special_tokens": list(SPECIAL_TOKENS[2:])})
    return tokenizer


def tiny_codec_config(**overrides: Any) -> MimiConfig:
    """Mimi at 24 kHz and 12.5 frames/s like the real one, with few channels and layers; a
    short attention window and full layer scale, so the transformer's state matters."""
    fields: dict[str, Any] = {
        "hidden_size": 16,
        "num_filters": 4,
        "codebook_size": CODEBOOK_SIZE,
        "codebook_dim": 8,
        "num_quantizers": NUM_CODEBOOKS,
        "vector_quantization_hidden_dimension": 8,
        "upsample_groups": 16,
        "num_hidden_layers": 2,
        "intermediate_size": 32,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "sliding_window": 8,
        "layer_scale_initial_scale": 1.0,
    }
    return MimiConfig(**(fields | overrides))


def tiny_config(window: int = WINDOW, vocab_size: int = CODEBOOK_SIZE) -> CsmConfig:
    """`vocab_size` above CODEBOOK_SIZE gives CSM codes the codec lacks, as CSM-1B has."""
    # The backbone and the depth decoder: the same small transformer shape
    shape: dict[str, Any] = {
        "num_codebooks": NUM_CODEBOOKS,
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
    }
    depth_decoder = CsmDepthDecoderConfig(
        **shape,
        backbone_hidden_size=32,
        num_hidden_layers=1,
        max_position_embeddings=NUM_CODEBOOKS + 1,
    )
    return CsmConfig(
        **shape,
        text_vocab_size=len(SPECIAL_TOKENS) + 256,
        num_hidden_layers=2,
        max_position_embeddings=window,
        bos_token_id=0,
        pad_token_id=2,
        audio_token_id=2,
        audio_eos_token_id=3,
        codebook_pad_token_id=CODEBOOK_SIZE - 1,
        depth_decoder_config=depth_decoder.to_dict(),
        codec_config=tiny_codec_config().to_dict(),
    )


def randomize_codebooks(codec: torch.nn.Module) -> None:
    """Mimi starts with all-zero codebooks, which would decode every code alike. Call it on a
    codec not used yet: a codebook keeps its table from its first use on."""
    for module in codec.modules():
        if isinstance(module, MimiEuclideanCodebook):
            module.embed_sum.normal_()


def build_tiny_csm(
    seed: int = 0, window: int = WINDOW, vocab_size: int = CODEBOOK_SIZE
) -> tuple[Any, CsmProcessor]:
    """(CsmForConditionalGeneration, CsmProcessor), float32 on the CPU; same seed, same model."""
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        model = CsmForConditionalGeneration(tiny_config(window, vocab_size)).eval()
        randomize_codebooks(model.codec_model)
    return model, tiny_processor()


def prefer_codes_the_codec_lacks(model: Any) -> None:
    """Weights of a tiny model built with `vocab_size` above CODEBOOK_SIZE that put codebook 0
    and the depth decoder's codebooks on CSM's codes past the codec: every input carries +100
    in hidden dimension 0, the only one the final norms keep, and the heads read that
    dimension as a vote for codes CODEBOOK_SIZE and up."""
    depth = model.depth_decoder.model
    with torch.no_grad():
        model.embed_text_tokens.weight[:, 0] = 100
        depth.embed_tokens.weight[:, 0] = 100  # shared with the backbone's audio embeddings
        depth.inputs_embeds_projector.weight[0] = 0
        depth.inputs_embeds_projector.weight[0, 0] = 1
        for norm in (model.backbone_model.norm, depth.norm):
            norm.weight.zero_()
            norm.weight[0] = 1
        model.lm_head.weight[CODEBOOK_SIZE:, 0] = 10
        model.depth_decoder.codebooks_head.weight[:, 0, CODEBOOK_SIZE:] = 10


def tiny_processor() -> CsmProcessor:
    """CSM's processor around the tiny tokenizer; its feature extractor is the real one's."""
    return CsmProcessor(
        feature_extractor=EncodecFeatureExtractor(feature_size=1, sampling_rate=24000),
        tokenizer=tiny_tokenizer(),
    )


def tiny_csm_engine(settings: CsmSettings = SETTINGS, **changes: Any) -> CsmEngine:
    """A loaded CsmEngine around a fresh tiny model; `changes` replace fields of `settings`."""
    model, processor = build_tiny_csm()
    engine = CsmEngine(
        dataclasses.replace(settings, **changes), components=lambda: (model, processor)
    )
    engine.load()
    return engine


def decode_once(runtime: CsmRuntime, codes: NDArray[np.integer]) -> Audio:
    """transformers' own one-shot decoding of (frames, codebooks): what streaming must equal."""
    with torch.inference_mode():
        values = torch.as_tensor(codes, dtype=torch.long).T[None].to(runtime.codec.device)
        audio = runtime.codec.decode(values).audio_values[0, 0]
    return audio.cpu().numpy().astype(np.float32, copy=False)
