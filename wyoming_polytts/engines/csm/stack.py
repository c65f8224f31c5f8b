"""A transformers decoder stack's weights, laid out at load for few kernels per step.

transformers' Llama-style layers cost about 45 kernels a layer in a decode step: RMSNorm alone
is eight (casts to float32 and back, a square, a mean, rsqrt, two products), RoPE's cos and
sin are recomputed per call and `rotate_half` concatenates, q/k/v and gate/up are separate
GEMMs. Here the same weights run in 17 a layer: q/k/v and gate/up concatenated once, each
norm's weight (and its sqrt(hidden) factor) folded into the GEMM that reads it, so a norm is
a vector norm, a hypot and a division; RoPE's tables are computed once, with the sign of
`rotate_half` in the sine, so a rotation is a flip, a product and an addcmul, in place; the
residual adds are the GEMMs' own `addmm`; keys and values share one cache tensor, written
once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional


def folded_norm(weight: torch.Tensor, norm: Any) -> torch.Tensor:
    """`weight` (out, in) with the RMSNorm `norm` before it folded in: what reads the output
    of `normalized` as transformers' GEMM reads the norm's."""
    scale = norm.weight.float() * math.sqrt(norm.weight.shape[0])
    return (weight.float() * scale).to(weight.dtype)


def normalized(hidden: torch.Tensor, epsilon: torch.Tensor) -> torch.Tensor:
    """RMSNorm without its weight and a factor sqrt(hidden), both folded into the next GEMM:
    x / sqrt(|x|^2 + hidden * eps) is x * rsqrt(mean(x^2) + eps) / sqrt(hidden). `epsilon`
    holds sqrt(hidden * eps)."""
    return hidden / torch.hypot(torch.linalg.vector_norm(hidden, dim=-1, keepdim=True), epsilon)


def norm_epsilon(norm: Any, like: torch.Tensor) -> torch.Tensor:
    """What `normalized` needs for the transformers RMSNorm `norm`."""
    return like.new_tensor(math.sqrt(norm.weight.shape[0] * norm.variance_epsilon))


@dataclass(frozen=True)
class _Layer:
    qkv: torch.Tensor
    """(q + k + v features, hidden), the input norm folded in."""
    output: torch.Tensor
    """o_proj's weight, transposed (a view) for `addmm`."""
    gate_up: torch.Tensor
    """(2 * intermediate, hidden), the post-attention norm folded in."""
    down: torch.Tensor
    """down_proj's weight, transposed (a view) for `addmm`."""


class DecoderStack:
    """A transformers CSM decoder stack (layers and final norm), with a KV cache of `slots`
    rows of `window` positions. The caller aims each call: the rows, the RoPE rows and the
    additive mask of its tokens, and where their keys and values go."""

    def __init__(self, stack: Any, slots: int, window: int) -> None:
        config = stack.config
        attention = stack.layers[0].self_attn
        if config.attention_bias or config.mlp_bias:
            raise ValueError("CSM's decoders have no biases; this model has")
        self.heads = int(config.num_attention_heads)
        self.kv_heads = int(config.num_key_value_heads)
        self.head_dim = int(attention.head_dim)
        self._scale = float(attention.scaling)
        self._intermediate = int(config.intermediate_size)
        layers = stack.layers[: config.num_hidden_layers]
        reference = stack.norm.weight
        self._epsilon = norm_epsilon(stack.norm, reference)
        self._layers = [
            _Layer(
                folded_norm(
                    torch.cat(
                        [
                            layer.self_attn.q_proj.weight,
                            layer.self_attn.k_proj.weight,
                            layer.self_attn.v_proj.weight,
                        ]
                    ),
                    layer.input_layernorm,
                ),
                layer.self_attn.o_proj.weight.T,
                folded_norm(
                    torch.cat([layer.mlp.gate_proj.weight, layer.mlp.up_proj.weight]),
                    layer.post_attention_layernorm,
                ),
                layer.mlp.down_proj.weight.T,
            )
            for layer in layers
        ]
        for layer in layers:
            for norm in (layer.input_layernorm, layer.post_attention_layernorm):
                if norm.variance_epsilon != stack.norm.variance_epsilon:
                    raise ValueError("CSM's norms share one epsilon; this model's do not")
        if config.hidden_act != "silu":
            raise ValueError(f"CSM's MLP is SiLU-gated; this model's is {config.hidden_act}")
        self.norm = stack.norm
        """The final norm (its weight goes into whatever reads the stack's output)."""
        shape = (slots, 2 * self.kv_heads, window, self.head_dim)
        self._cache = [reference.new_zeros(shape) for _ in layers]
        """Per layer: keys (the first kv_heads) and values, per row and position."""
        positions = torch.arange(window, device=reference.device)
        cos, sin = stack.rotary_emb(reference, positions[None])
        half = self.head_dim // 2
        signed_sin = torch.cat([-sin[0, :, :half], sin[0, :, half:]], dim=-1)
        self.rope = torch.stack([cos[0], signed_sin], dim=1)
        """Per position (window, 2, head_dim): cos, and sin signed as `rotate_half` needs it."""
        visible = positions[None, :] <= positions[:, None]
        self.masks = torch.zeros(window, window, dtype=reference.dtype, device=reference.device)
        self.masks.masked_fill_(~visible, float("-inf"))
        """Per position, the additive attention mask of a token there: itself and before."""

    def normalized(self, hidden: torch.Tensor) -> torch.Tensor:
        """The final norm, its weight left to the reader (see `folded_norm`)."""
        return normalized(hidden, self._epsilon)

    def run(
        self,
        inputs: torch.Tensor,
        rows: slice,
        *,
        rope: torch.Tensor,
        mask: torch.Tensor,
        keys_at: torch.Tensor | slice,
        span: int,
    ) -> torch.Tensor:
        """The layers over `inputs` (rows, tokens, hidden), without the final norm.

        `rope` (rows or 1, tokens, 2, head_dim) and `mask` (rows or 1, 1, tokens, span) are
        the tokens' rows of `self.rope` and `self.masks`; their keys and values go to
        `keys_at`: a slice of positions shared by all rows, or per row and token a position
        (rows, tokens); attention reads positions up to `span`."""
        batch, tokens, hidden_size = inputs.shape
        cos, sin = rope[:, :, None, 0], rope[:, :, None, 1]
        rotated = self.heads + self.kv_heads
        index = (
            None
            if isinstance(keys_at, slice)
            else keys_at[:, None, :, None].expand(batch, 2 * self.kv_heads, tokens, self.head_dim)
        )
        hidden = inputs.reshape(batch * tokens, hidden_size)
        for layer, cache in zip(self._layers, self._cache, strict=True):
            rows_cache = cache[rows]
            qkv = functional.linear(normalized(hidden, self._epsilon), layer.qkv)
            qkv = qkv.view(batch, tokens, rotated + self.kv_heads, self.head_dim)
            query_key = qkv[:, :, :rotated]
            swapped = query_key.unflatten(-1, (2, -1)).flip(-2).flatten(-2)
            query_key.mul_(cos).addcmul_(swapped, sin)
            key_value = qkv[:, :, self.heads :].transpose(1, 2)
            if index is None:
                rows_cache[:, :, keys_at].copy_(key_value)
            else:
                rows_cache.scatter_(2, index, key_value)
            attended = functional.scaled_dot_product_attention(
                qkv[:, :, : self.heads].transpose(1, 2),
                rows_cache[:, : self.kv_heads, :span],
                rows_cache[:, self.kv_heads :, :span],
                attn_mask=mask,
                scale=self._scale,
                enable_gqa=True,
            )
            attended = attended.transpose(1, 2).reshape(batch * tokens, -1)
            hidden = torch.addmm(hidden, attended, layer.output)
            gate_up = functional.linear(normalized(hidden, self._epsilon), layer.gate_up)
            gated = (
                functional.silu(gate_up[:, : self._intermediate]) * gate_up[:, self._intermediate :]
            )
            hidden = torch.addmm(hidden, gated, layer.down)
        return hidden.view(batch, tokens, hidden_size)

    def move(self, source: int, target: int) -> None:
        for cache in self._cache:
            cache[target] = cache[source]
