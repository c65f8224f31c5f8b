"""Stateful streaming decode for transformers' Mimi codec.

transformers' `MimiModel.decode` is stateless: decoding a stream in independent chunks
restarts every causal convolution from zero padding, drops the overlap of every transposed
convolution and the transformer's attention history, so the joins click and the voice
drifts. `MimiStreamDecoder` walks the same modules with the same weights but carries that
state from one chunk to the next, so the concatenated chunks equal one-shot decoding of all
frames. Imported only once torch is known to be present.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers.cache_utils import DynamicCache
from transformers.models.mimi.modeling_mimi import (
    MimiConv1d,
    MimiConvTranspose1d,
    MimiModel,
    MimiResnetBlock,
)

_STREAMABLE_PAD_MODES = ("constant", "replicate")


class MimiStreamDecoder:
    """Decodes one stream of Mimi codes chunk by chunk; make one per stream."""

    def __init__(self, codec: MimiModel) -> None:
        decoder = codec.decoder
        if decoder is None:
            raise ValueError("this Mimi codec was built without its decoder")
        self._quantizer = codec.quantizer
        if hasattr(decoder, "decoder_seanet"):  # recent transformers: a decoder model of its own
            parts = (decoder.upsample, decoder.decoder_transformer, decoder.decoder_seanet)
        else:  # older ones: the parts hang off the codec
            parts = (codec.upsample, codec.decoder_transformer, decoder)
        self._upsample: MimiConvTranspose1d | None = parts[0]
        self._transformer, self._seanet = parts[1:]
        _check_streamable(self._seanet, self._upsample)
        # Keeps the attention window's steps only, as Mimi's decoder looks no further back
        self._cache = DynamicCache(config=self._transformer.config)
        self._position = 0
        self._history: dict[nn.Module, torch.Tensor] = {}
        """Per causal convolution: the last inputs its kernel still needs on the left."""
        self._overlap: dict[nn.Module, torch.Tensor] = {}
        """Per transposed convolution: its output past the emitted part, bias removed."""

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Audio (batch, channels, samples) for the next codes (batch, codebooks, frames)."""
        hidden = self._quantizer.decode(codes)
        if self._upsample is not None:
            hidden = self._transposed(self._upsample, hidden)
        steps = hidden.shape[-1]
        # Positions continue where the previous chunk ended, as in one long sequence
        positions = torch.arange(self._position, self._position + steps, device=hidden.device)
        self._position += steps
        hidden = self._transformer(
            hidden.transpose(1, 2),
            past_key_values=self._cache,
            position_ids=positions.unsqueeze(0),
            use_cache=True,
        ).last_hidden_state.transpose(1, 2)
        for layer in self._seanet.layers:
            hidden = self._layer(layer, hidden)
        return hidden

    def _layer(self, layer: nn.Module, hidden: torch.Tensor) -> torch.Tensor:
        if isinstance(layer, MimiConv1d):
            return self._causal(layer, hidden)
        if isinstance(layer, MimiConvTranspose1d):
            return self._transposed(layer, hidden)
        if isinstance(layer, MimiResnetBlock):
            residual = self._layer(layer.shortcut, hidden)
            for inner in layer.block:
                hidden = self._layer(inner, hidden)
            return residual + hidden
        return layer(hidden)  # stateless: activations, identity shortcuts

    def _causal(self, layer: MimiConv1d, hidden: torch.Tensor) -> torch.Tensor:
        context = int(layer.padding_total)
        history = self._history.get(layer)
        if history is None:
            history = _initial_padding(layer, hidden, context)
        hidden = torch.cat([history, hidden], dim=-1)
        self._history[layer] = hidden[..., hidden.shape[-1] - context :]
        return layer.conv(hidden)

    def _transposed(self, layer: MimiConvTranspose1d, hidden: torch.Tensor) -> torch.Tensor:
        out = layer.conv(hidden)
        overlap = self._overlap.get(layer)
        if overlap is not None:
            out = torch.cat(
                [out[..., : overlap.shape[-1]] + overlap, out[..., overlap.shape[-1] :]], -1
            )
        complete = hidden.shape[-1] * layer.conv.stride[0]
        tail = out[..., complete:]
        if layer.conv.bias is not None:
            # The next chunk's output carries the bias once already
            tail = tail - layer.conv.bias[:, None]
        self._overlap[layer] = tail
        return out[..., :complete]


def _initial_padding(layer: MimiConv1d, hidden: torch.Tensor, context: int) -> torch.Tensor:
    """The left padding one-shot decoding puts before the first sample."""
    shape = (hidden.shape[0], hidden.shape[1], context)
    if layer.pad_mode == "replicate":
        return hidden[..., :1].expand(shape)
    return hidden.new_zeros(shape)


def _check_streamable(seanet: nn.Module, upsample: Any) -> None:
    """Refuse codec variants whose one-shot output this decoder could not reproduce exactly."""
    for module in [*seanet.modules(), *([upsample] if upsample is not None else [])]:
        if isinstance(module, MimiConv1d) and (
            not module.causal
            or module.conv.stride[0] != 1
            or module.pad_mode not in _STREAMABLE_PAD_MODES
        ):
            raise ValueError("streaming decode needs causal stride-1 convolutions in the decoder")
        if isinstance(module, MimiConvTranspose1d):
            kernel, stride = module.conv.kernel_size[0], module.conv.stride[0]
            if module.padding_left != 0 or module.padding_right != kernel - stride:
                raise ValueError("streaming decode needs causal transposed convolutions")
