"""Choosing CSM's codes on the device: top-k and temperature sampling, or greedy, per reply.

transformers samples with `softmax` and `torch.multinomial` and decides on the host when to
stop, one synchronisation per codebook. Gumbel-max draws from the same distribution with
elementwise ops and an argmax, so a whole frame stays on the device and can be captured in
a CUDA graph. Codes the codec lacks are never chosen, so no reply can fail on one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Sampling:
    """How one reply picks its codes, in every codebook."""

    temperature: float = 0.9
    """0 is greedy."""
    top_k: int = 50


class Sampler:
    """Samples one code per row from logits, with each row's own temperature and top-k."""

    def __init__(
        self,
        vocab_size: int,
        codebook_size: int,
        eos_code: int,
        max_top_k: int,
        device: torch.device,
    ) -> None:
        codes = torch.arange(vocab_size, device=device)
        # CSM's vocabulary (2051) is wider than Mimi's codebook (2048); the end-of-audio code
        # stays possible even where it lies outside the codec, so a reply can always end
        self._allowed = (codes < codebook_size) | (codes == eos_code)
        self.max_top_k = min(max_top_k, vocab_size)
        """The largest top-k a row may ask for: one `topk` of this size serves every row."""
        self._eos_code = eos_code
        self._codebook_size = codebook_size

    def __call__(
        self, logits: torch.Tensor, temperature: torch.Tensor, top_k: torch.Tensor
    ) -> torch.Tensor:
        """A code per row of `logits` (rows, vocab); `temperature` and `top_k` are (rows,).

        The same distribution as transformers' temperature and top-k processors followed by
        `multinomial`: logits divided by the temperature, all below the k-th largest dropped
        (ties kept), then Gumbel-max, i.e. the argmax of logits plus Gumbel noise."""
        logits = logits.float().masked_fill(~self._allowed, float("-inf"))
        greedy = logits.argmax(dim=-1)
        sampling = temperature > 0
        scaled = logits / torch.where(sampling, temperature, 1.0)[:, None]
        kth = scaled.topk(self.max_top_k, dim=-1).values.gather(-1, top_k[:, None] - 1)
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
        gumbel = -torch.log(-torch.log(torch.rand_like(scaled)))
        return torch.where(sampling, (scaled + gumbel).argmax(dim=-1), greedy)

    def ends(self, codes: torch.Tensor) -> torch.Tensor:
        """Per frame of `codes` (rows, codebooks): whether it ends the reply instead of being
        audio. transformers stops on a frame whose codebooks but the last are end-of-audio;
        a frame with a code the codec lacks (only the end-of-audio code can be one) is no
        audio either."""
        end_of_audio = (codes[:, :-1] == self._eos_code).all(dim=-1)
        return end_of_audio | (codes >= self._codebook_size).any(dim=-1)
