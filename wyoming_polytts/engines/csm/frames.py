"""CSM's frame loop on static caches: a prompt's prefill, and one batched step per frame.

transformers' `generate` runs a Python loop per frame with a nested `generate` for the
depth decoder and a host synchronisation per codebook. Here the same transformers modules
and weights run on preallocated per-slot KV caches, with every per-reply value (position,
last hidden state, sampling settings) in a device tensor, so one `step` serves every reply
generating at the time without the host, and a CUDA graph of it replays unchanged.

A frame: the codebook-0 code from the backbone's last hidden state (its LM head), the other
codebooks from the depth decoder, one step each; then the backbone reads the frame, which
leaves the hidden state the next frame starts from.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch.nn import functional
from transformers.models.csm.modeling_csm import CsmAttention

from .sampler import Sampler, Sampling

_CACHE_ARGUMENT = (
    "cache" if "cache" in inspect.signature(CsmAttention.forward).parameters else "past_key_values"
)
"""transformers renamed its attention layers' `past_key_values` (5.18) to `cache` (5.24)."""


class SlotCache:
    """Keys and values of one decoder stack: a row per slot, `window` positions per row.

    transformers' attention layers call `update` with the new keys and values; they go to
    the positions `place` chose, per row, and the layers attend over whole rows under the
    mask `place` returns, which hides what a row has not written yet."""

    def __init__(self, stack: Any, slots: int, window: int) -> None:
        attention = stack.layers[0].self_attn
        weight = attention.k_proj.weight
        shape = (slots, attention.config.num_key_value_heads, window, attention.head_dim)
        layers = stack.config.num_hidden_layers
        self._keys = [weight.new_zeros(shape) for _ in range(layers)]
        self._values = [weight.new_zeros(shape) for _ in range(layers)]
        self._span = torch.arange(window, device=weight.device)
        self.place(slice(0, slots), self._span[None, :1])

    def place(self, rows: slice, positions: torch.Tensor) -> torch.Tensor:
        """Aim the next writes at `positions` (rows or 1, tokens) of `rows`; returns the
        attention mask (rows or 1, 1, tokens, window): each token sees its row up to itself."""
        _slots, heads, _window, head_dim = self._keys[0].shape
        self._rows = rows
        self._index = positions[:, None, :, None].expand(
            rows.stop - rows.start, heads, -1, head_dim
        )
        return (self._span <= positions[..., None])[:, None]

    def update(
        self, key: torch.Tensor, value: torch.Tensor, layer_idx: int, *_args: Any, **_kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """What transformers' attention calls: store, and return the rows' whole windows."""
        keys = self._keys[layer_idx][self._rows]
        values = self._values[layer_idx][self._rows]
        keys.scatter_(2, self._index, key)
        values.scatter_(2, self._index, value)
        return keys, values

    def move(self, source: int, target: int) -> None:
        for tensor in (*self._keys, *self._values):
            tensor[target] = tensor[source]


def run_stack(
    stack: Any, cache: SlotCache, inputs: torch.Tensor, positions: torch.Tensor, rows: slice
) -> torch.Tensor:
    """A transformers decoder stack (its layers and final norm) over `inputs` at `positions`,
    as its own `forward` runs them, but on `cache`'s `rows` and with a boolean mask."""
    mask = cache.place(rows, positions)
    position_embeddings = stack.rotary_emb(inputs, positions)
    hidden = inputs
    for layer in stack.layers[: stack.config.num_hidden_layers]:
        hidden = layer(
            hidden,
            attention_mask=mask,
            position_embeddings=position_embeddings,
            **{_CACHE_ARGUMENT: cache},
        )
    return stack.norm(hidden)


class FrameModel:
    """A CsmForConditionalGeneration's decoders, generating for up to `slots` replies at once.

    A reply occupies a row ("slot") from `prefill` until `release`; `step(batch)` makes one
    frame for rows 0..batch-1, so a caller keeps its replies in the first rows (`move`).
    Rows past the replies in a batch compute garbage that no reply ever reads. `step`'s two
    halves, `sample_frame` and `advance`, are public for timing; run them in inference mode."""

    def __init__(self, model: Any, slots: int, max_top_k: int) -> None:
        config = model.config
        # the masks are SDPA's booleans (eager attention would add them, flash ignore them)
        model.set_attn_implementation("sdpa")
        self.slots = slots
        self.num_codebooks = int(config.num_codebooks)
        self.window = int(config.max_position_embeddings)
        self.device: torch.device = model.lm_head.weight.device
        self._lm_head = model.lm_head
        self._backbone = model.backbone_model
        self._depth = model.depth_decoder.model
        self._depth_heads = model.depth_decoder.codebooks_head.weight
        self._vocab_size = int(config.vocab_size)
        with torch.inference_mode():
            self.sampler = Sampler(
                self._vocab_size,
                int(model.codec_model.config.codebook_size),
                int(config.codebook_eos_token_id),
                max_top_k,
                self.device,
            )
            self._backbone_cache = SlotCache(self._backbone, slots, self.window)
            self._depth_cache = SlotCache(self._depth, slots, self.num_codebooks)
            self._span = torch.arange(self.window, device=self.device)
            # the depth decoder's first step reads the backbone's state and codebook 0 at once
            self._depth_positions = [self._span[None, :2]] + [
                self._span[None, index : index + 1] for index in range(2, self.num_codebooks)
            ]
            long = {"dtype": torch.long, "device": self.device}
            self.hidden = self._lm_head.weight.new_zeros(slots, config.hidden_size)
            """Per slot: the backbone's last hidden state, where its next frame starts."""
            self.positions = torch.zeros(slots, **long)
            """Per slot: the backbone position its next frame goes to."""
            self.active = torch.zeros(slots, **long)
            """Per slot: 1 while a reply holds it; only active slots advance."""
            self.temperature = torch.zeros(slots, dtype=torch.float32, device=self.device)
            self.top_k = torch.ones(slots, **long)
            self.codes = torch.zeros(slots, self.num_codebooks, **long)
            """Per slot: the codes of the frame `step` made last."""
            self.finished = torch.zeros(slots, dtype=torch.bool, device=self.device)
            """Per slot: whether that frame ended the reply (end of audio) instead."""

    @torch.inference_mode()
    def prefill(self, row: int, embeds: torch.Tensor, sampling: Sampling) -> None:
        """Give slot `row` to a reply: its prompt `embeds` (1, tokens, hidden) through the
        backbone, alone, from position 0."""
        length = embeds.shape[1]
        rows = slice(row, row + 1)
        hidden = run_stack(
            self._backbone, self._backbone_cache, embeds, self._span[None, :length], rows
        )
        self.hidden[row] = hidden[0, -1]
        self.positions[row] = length
        self.temperature[row] = sampling.temperature
        self.top_k[row] = sampling.top_k
        self.active[row] = 1

    @torch.inference_mode()
    def step(self, batch: int) -> None:
        """One frame for rows 0..batch-1 into `codes` and `finished`; no host sync."""
        rows = slice(0, batch)
        codes = self.sample_frame(rows)
        self.codes[rows] = codes
        self.finished[rows] = self.sampler.ends(codes)
        self.advance(rows, codes)

    def sample_frame(self, rows: slice) -> torch.Tensor:
        """The next frame's codes (rows, codebooks): codebook 0 from the backbone's state,
        then the depth decoder, one step per further codebook, as transformers runs it."""
        hidden = self.hidden[rows]
        temperature, top_k = self.temperature[rows], self.top_k[rows]
        code = self.sampler(self._lm_head(hidden[:, None])[:, -1], temperature, top_k)
        codes = [code]
        embeds = torch.stack([hidden, self._depth.embed_tokens(code)], dim=1)
        for codebook in range(1, self.num_codebooks):
            hidden = run_stack(
                self._depth,
                self._depth_cache,
                self._depth.inputs_embeds_projector(embeds),
                self._depth_positions[codebook - 1],
                rows,
            )
            # the head of codebook n reads the step whose input was codebook n-1
            logits = functional.linear(hidden[:, -1], self._depth_heads[codebook - 1].T)
            code = self.sampler(logits, temperature, top_k)
            codes.append(code)
            embeds = self._depth.embed_tokens(code + codebook * self._vocab_size)[:, None]
        return torch.stack(codes, dim=1)

    def advance(self, rows: slice, codes: torch.Tensor) -> None:
        """The backbone reads the frame `codes` (rows, codebooks): one step per row, at each
        row's own position; active rows move on by one."""
        positions = self.positions[rows]
        embeds = self._backbone.embed_tokens(codes[:, None])
        hidden = run_stack(self._backbone, self._backbone_cache, embeds, positions[:, None], rows)
        self.hidden[rows] = hidden[:, -1]
        positions += self.active[rows]

    @torch.inference_mode()
    def move(self, source: int, target: int) -> None:
        """Slot `source`'s reply continues in slot `target` (to keep the replies in front)."""
        self._backbone_cache.move(source, target)  # the depth cache starts anew every frame
        for state in (self.hidden, self.positions, self.active, self.temperature, self.top_k):
            state[target] = state[source]

    @torch.inference_mode()
    def release(self, row: int) -> None:
        """Free slot `row`. Batches may still run it (rows up to their bucket): it then
        writes at position 0, never past the window where its last reply may have ended."""
        self.active[row] = 0
        self.positions[row] = 0
