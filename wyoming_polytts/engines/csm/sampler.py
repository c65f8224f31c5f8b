"""Choosing CSM's codes on the device: top-k and temperature sampling, or greedy, per reply.

transformers samples with `softmax` and `torch.multinomial` and decides on the host when to
stop, one synchronisation per codebook. Gumbel-max draws from the same distribution with
elementwise ops and an argmax, so a whole frame stays on the device and can be captured in
a CUDA graph; the noise of a whole frame is drawn at once, so a codebook's choice costs
seven kernels. Codes the codec lacks are never chosen, so no reply can fail on one.
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
        allowed = (codes < codebook_size) | (codes == eos_code)
        self._excluded = torch.zeros(vocab_size, device=device).masked_fill(~allowed, -torch.inf)
        """Added to the logits: -inf on the codes never chosen."""
        self.max_top_k = min(max_top_k, vocab_size)
        """The largest top-k a row may ask for: one `topk` of this size serves every row."""
        self._vocab_size = vocab_size
        self._eos_code = eos_code
        self._codebook_size = codebook_size

    def noise(self, codebooks: int, sampling: torch.Tensor) -> torch.Tensor:
        """The noise of `codebooks` choices for rows whose `sampling` (rows, 1) is true, 0 for
        the greedy ones: the logarithm of exponential draws, i.e. minus Gumbel noise."""
        rows = sampling.shape[0]
        draws = self._excluded.new_empty(codebooks, rows, self._vocab_size).exponential_()
        return torch.where(sampling, draws.log_(), 0.0)

    def __call__(
        self,
        logits: torch.Tensor,
        noise: torch.Tensor,
        inverse_temperature: torch.Tensor,
        top_k_index: torch.Tensor,
    ) -> torch.Tensor:
        """A code per row of `logits` (rows, vocab), with `noise` (rows, vocab) from `noise`;
        `inverse_temperature` (rows, 1) is 1 for greedy rows, `top_k_index` (rows, 1) each
        row's top-k less one.

        The same distribution as transformers' temperature and top-k processors followed by
        `multinomial`: logits divided by the temperature, all below the k-th largest dropped
        (ties kept), then Gumbel-max, i.e. the argmax of logits plus Gumbel noise. Greedy rows
        have no noise: the argmax of the logits, the first of equals as transformers takes."""
        scaled = torch.addcmul(self._excluded, logits, inverse_temperature)
        kth = scaled.topk(self.max_top_k, dim=-1).values.gather(-1, top_k_index)
        kept = (scaled - noise).masked_fill_(scaled < kth, -torch.inf)
        return kept.argmax(dim=-1)

    def ends(self, codes: torch.Tensor) -> torch.Tensor:
        """Per frame of `codes` (rows, codebooks): whether it ends the reply instead of being
        audio. transformers stops on a frame whose codebooks but the last are end-of-audio;
        a frame with a code the codec lacks (only the end-of-audio code can be one) is no
        audio either."""
        end_of_audio = (codes[:, :-1] == self._eos_code).all(dim=-1)
        return end_of_audio | (codes >= self._codebook_size).any(dim=-1)
