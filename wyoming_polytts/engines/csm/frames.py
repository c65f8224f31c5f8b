"""CSM's frame loop on static caches: prompts' prefill, and one batched step per frame.

transformers' `generate` runs a Python loop per frame with a nested `generate` for the
depth decoder and a host synchronisation per codebook. Here transformers' weights, laid out
for few kernels (`stack.DecoderStack`), run on preallocated per-slot KV caches, with every
per-reply value (position, last hidden state, sampling settings) in a device tensor, so one
`step` serves every reply generating at the time without the host, and a CUDA graph of it
replays unchanged.

A frame: the codebook-0 code from the backbone's last hidden state (its LM head), the other
codebooks from the depth decoder, one step each; then the backbone reads the frame, which
leaves the hidden state the next frame starts from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.nn import functional

from .sampler import Sampler, Sampling
from .stack import DecoderStack, folded_norm


class FrameModel:
    """A CsmForConditionalGeneration's decoders, generating for up to `slots` replies at once.

    A reply occupies a row ("slot") from `prefill` and `admit` until `release`; `step(batch)`
    makes one frame for rows 0..batch-1, so a caller keeps its replies in the first rows
    (`move`). Rows past the replies in a batch compute garbage that no reply ever reads:
    their keys go to a scratch position past the window, so a row whose prompt is being
    prefilled meanwhile keeps its cache. `step`'s two halves, `sample_frame` and `advance`,
    are public for timing; run them under `torch.no_grad` (torch.compile cannot trace the
    in-place updates of inference mode's tensors)."""

    def __init__(self, model: Any, slots: int, max_top_k: int) -> None:
        config = model.config
        self.slots = slots
        self.num_codebooks = int(config.num_codebooks)
        self.window = int(config.max_position_embeddings)
        self.device: torch.device = model.lm_head.weight.device
        self._vocab_size = int(config.vocab_size)
        # not inference tensors: torch.compile cannot trace in-place updates to those
        with torch.no_grad():
            backbone, depth = model.backbone_model, model.depth_decoder.model
            self.sampler = Sampler(
                self._vocab_size,
                int(model.codec_model.config.codebook_size),
                int(config.codebook_eos_token_id),
                max_top_k,
                self.device,
            )
            # the last position is the scratch that rows outside any reply write to
            self.backbone = DecoderStack(backbone, slots, self.window + 1)
            """The backbone: reads prompts and frames."""
            self._depth = DecoderStack(depth, slots, self.num_codebooks)
            self._audio_embeddings = backbone.embed_tokens.embed_audio_tokens.weight
            self._audio_offsets = backbone.embed_tokens.audio_tokens_offsets
            self._lm_head = folded_norm(model.lm_head.weight, backbone.norm)
            projector = depth.inputs_embeds_projector.weight
            self._project_hidden = folded_norm(projector, backbone.norm)
            # the depth decoder reads its codes' embeddings through the projector only
            self._depth_embeddings = functional.linear(depth.embed_tokens.weight, projector)
            heads = model.depth_decoder.codebooks_head.weight.transpose(1, 2)
            self._depth_heads = [folded_norm(head, depth.norm).T for head in heads]
            self._depth_steps = [
                (self._depth.rope[None, :2], self._depth.masks[None, None, :2, :2], slice(0, 2))
            ] + [
                (
                    self._depth.rope[None, step : step + 1],
                    self._depth.masks[None, None, step : step + 1, : step + 1],
                    slice(step, step + 1),
                )
                for step in range(2, self.num_codebooks)
            ]
            long = {"dtype": torch.long, "device": self.device}
            self.hidden = model.lm_head.weight.new_zeros(slots, config.hidden_size)
            """Per slot: the backbone's last hidden state (normalized, see `stack`), where
            its next frame starts."""
            self.positions = torch.full((slots,), self.window, **long)
            """Per slot: the backbone position its next frame goes to (the scratch when the
            slot holds no reply)."""
            self.active = torch.zeros(slots, **long)
            """Per slot: 1 while a reply holds it; only active slots advance."""
            self.inverse_temperature = torch.ones(slots, 1, dtype=torch.float32, device=self.device)
            self.sampling = torch.zeros(slots, 1, dtype=torch.bool, device=self.device)
            """Per slot: whether it samples (else greedy)."""
            self.top_k = torch.zeros(slots, 1, **long)
            """Per slot: its top-k, less one (an index into the sorted logits)."""
            self.output = torch.zeros(slots, self.num_codebooks + 1, **long)
            """Per slot: `codes` then `finished`, one tensor so that one copy reads a frame."""
            self.codes = self.output[:, :-1]
            """Per slot: the codes of the frame `step` made last."""
            self.finished = self.output[:, -1]
            """Per slot: 1 where that frame ended the reply (end of audio) instead."""

    @torch.no_grad()
    def prefill(
        self, row: int, embeds: torch.Tensor, lengths: Sequence[int], start: int = 0
    ) -> None:
        """Prompt tokens from position `start` on for rows row, row+1...: `embeds` (rows,
        tokens, hidden), each row's tokens padded to the longest (`lengths`: each row's own,
        from `start`). Attention reads positions up to the chunk's end only. A row's last
        hidden state becomes where its first frame starts; a reply's prompt may come in
        chunks, in order, between frames, then `admit` it. (The padding's keys land past a
        row's prompt, where its frames overwrite them before anything reads them.)"""
        count, tokens, _hidden = embeds.shape
        end = start + tokens
        rows = slice(row, row + count)
        hidden = self.backbone.run(
            embeds,
            rows,
            rope=self.backbone.rope[None, start:end],
            mask=self.backbone.masks[None, None, start:end, :end],
            keys_at=slice(start, end),
            span=end,
        )
        last = torch.as_tensor(lengths, device=self.device) - 1
        first = torch.arange(count, device=self.device)
        self.hidden[rows] = self.backbone.normalized(hidden[first, last])

    @torch.no_grad()
    def admit(self, row: int, length: int, sampling: Sampling) -> None:
        """Slot `row`, its prompt of `length` tokens prefilled, generates from the next frame."""
        self.positions[row] = length
        self.inverse_temperature[row] = 1 / sampling.temperature if sampling.temperature else 1
        self.sampling[row] = sampling.temperature > 0
        self.top_k[row] = sampling.top_k - 1
        self.active[row] = 1

    @torch.no_grad()
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
        batch = hidden.shape[0]
        noise = self.sampler.noise(self.num_codebooks, self.sampling[rows])
        temperature, top_k = self.inverse_temperature[rows], self.top_k[rows]
        code = self.sampler(hidden @ self._lm_head.T, noise[0], temperature, top_k)
        codes = [code]
        embeds = torch.stack(
            [hidden @ self._project_hidden.T, functional.embedding(code, self._depth_embeddings)],
            dim=1,
        )
        for codebook, (rope, mask, positions) in enumerate(self._depth_steps, start=1):
            hidden = self._depth.run(
                embeds, rows, rope=rope, mask=mask, keys_at=positions, span=positions.stop
            )
            logits = self._depth.normalized(hidden[:, -1]) @ self._depth_heads[codebook - 1]
            code = self.sampler(logits, noise[codebook], temperature, top_k)
            codes.append(code)
            embedding = self._depth_embeddings[codebook * self._vocab_size :]
            embeds = functional.embedding(code, embedding).view(batch, 1, -1)
        return torch.stack(codes, dim=1)

    def advance(self, rows: slice, codes: torch.Tensor) -> None:
        """The backbone reads the frame `codes` (rows, codebooks): one step per row, at each
        row's own position; active rows move on by one."""
        positions = self.positions[rows]
        embeds = functional.embedding(codes + self._audio_offsets, self._audio_embeddings)
        hidden = self.backbone.run(
            embeds.sum(dim=1, keepdim=True),
            rows,
            rope=self.backbone.rope[positions, None],
            mask=self.backbone.masks[positions, None, None],
            keys_at=positions[:, None],
            span=self.window + 1,
        )
        self.hidden[rows] = self.backbone.normalized(hidden[:, -1])
        positions += self.active[rows]

    @torch.no_grad()
    def move(self, source: int, target: int) -> None:
        """Slot `source`'s reply (or prompt so far) continues in slot `target`."""
        self.backbone.move(source, target)  # the depth cache starts anew every frame
        for state in (
            self.hidden,
            self.positions,
            self.active,
            self.inverse_temperature,
            self.sampling,
            self.top_k,
        ):
            state[target] = state[source]

    @torch.no_grad()
    def release(self, row: int) -> None:
        """Free slot `row`. Batches may still run it (rows up to their bucket): it then
        writes to the scratch position, never into the window."""
        self.active[row] = 0
        self.positions[row] = self.window
