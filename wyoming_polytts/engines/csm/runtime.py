"""The torch side of the CSM engine: loading, prompts, the frame loop and decoding.

Imported by the engine only inside `load()`, once torch and transformers are known to
be installed, so a CPU-only install never pays for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from transformers import AutoProcessor, CsmForConditionalGeneration

from ..base import SAMPLE_RATE, Audio
from ..errors import EngineUnavailable
from .batcher import FrameBatcher
from .decoding import DecodingThread
from .frames import FrameModel
from .mimi_stream import MimiStreamDecoder
from .prompt import Utterance
from .reply_frames import Reply, never
from .sampler import Sampling
from .settings import CsmSettings
from .streams import side_stream

_LOGGER = logging.getLogger(__name__)

Frame = torch.Tensor
"""One step of CSM: a code per codebook, shape (codebooks,), on the CPU."""


class CsmRuntime:
    """A loaded CSM model, its tokenizer and its frame loop; safe to use from several threads.

    Building one starts the frame loop's thread (and captures its CUDA graphs) and the one
    thread that decodes every reply's frames; `close` ends both."""

    def __init__(self, model: Any, processor: Any, settings: CsmSettings) -> None:
        self.model = model.eval()
        self._tokenizer = processor.tokenizer
        self._tokenizer_lock = threading.Lock()  # fast tokenizers refuse concurrent calls
        codec = model.codec_model.float()  # float32 decoding: cheap, and the stream stays exact
        if codec.config.sampling_rate != SAMPLE_RATE:
            raise EngineUnavailable(f"CSM's codec speaks {codec.config.sampling_rate} Hz")
        self.codec = codec
        self.window = int(model.config.max_position_embeddings)
        self.frame_rate = float(codec.config.frame_rate)
        self.num_codebooks = int(model.config.num_codebooks)
        frames = FrameModel(model, slots=settings.max_batch, max_top_k=settings.top_k)
        self.frames = frames
        """The frame loop's model; its thread alone runs it."""
        # A top-k beyond the vocabulary samples from all of it (the sampler's bound)
        self._sampling = Sampling(settings.temperature, frames.sampler.max_top_k)
        cuda_graphs = settings.cuda_graphs and frames.device.type == "cuda"
        self._batcher = FrameBatcher(
            frames,
            cuda_graphs=cuda_graphs,
            compiled=settings.torch_compile,
            prefill_chunk=settings.prefill_chunk,
        )
        self._decoding = DecodingThread(self.decode_here, side_stream(codec.device))

    def text_ids(self, speaker: int, text: str) -> tuple[int, ...]:
        """A turn's text tokens, as CSM's chat template writes them."""
        with self._tokenizer_lock:
            ids = self._tokenizer(f"[{speaker}]{text}", add_special_tokens=False).input_ids
        return (self._tokenizer.bos_token_id, *ids, self._tokenizer.eos_token_id)

    def submit(
        self,
        context: Sequence[Utterance],
        text_ids: Sequence[int],
        max_frames: int,
        should_stop: Callable[[], bool],
    ) -> Reply:
        """Start CSM after `context` on `text_ids`; the reply's frames come as they are made,
        until end of audio, `max_frames`, or `should_stop()` (checked between frames)."""
        with torch.inference_mode():
            embeds = self.embed(context, text_ids)
        return self._batcher.submit(embeds, max_frames, self._sampling, should_stop)

    def close(self) -> None:
        """Stop the frame loop and the decoding; replies still generating or decoding end."""
        self._batcher.close()
        self._decoding.close()

    def embed(self, context: Sequence[Utterance], text_ids: Sequence[int]) -> torch.Tensor:
        """The prompt as the embeddings CSM's processor would build, from the turns' codes
        directly: re-encoding their audio every time would cost time and fidelity."""
        device = self.model.device
        end_of_audio = torch.full(
            (1, self.num_codebooks), int(self.model.config.codebook_eos_token_id)
        )
        parts = []
        for turn in context:
            parts.append(self._embed_text(turn.text_ids))
            codes = torch.cat([torch.as_tensor(turn.codes, dtype=torch.long), end_of_audio])
            codes = codes.to(device)
            parts.append(self.model.backbone_model.embed_tokens(codes[None]))
        parts.append(self._embed_text(text_ids))
        return torch.cat(parts, dim=1)

    def _embed_text(self, ids: Sequence[int]) -> torch.Tensor:
        return self.model.embed_text_tokens(torch.tensor([list(ids)], device=self.model.device))

    def new_decoder(self) -> MimiStreamDecoder:
        return MimiStreamDecoder(self.codec)

    def decode(
        self,
        decoder: MimiStreamDecoder,
        frames: Sequence[Frame],
        stop: Callable[[], bool] = never,
    ) -> Audio:
        """The audio of `frames`, continuing the stream `decoder` has decoded so far, from
        the one thread that decodes every reply's frames (`DecodingThread.decode`: it
        raises SynthesisCancelled once `stop()` is true)."""
        return self._decoding.decode(decoder, frames, stop)

    def decode_here(self, decoder: MimiStreamDecoder, frames: Sequence[Frame]) -> Audio:
        """`decode` on the calling thread (and its stream): what the decoding thread runs,
        for benchmarks that time the decoding itself."""
        with torch.inference_mode():
            # the frames are on the host, handed over by the frame loop after its read
            codes = torch.stack(list(frames), dim=-1)[None].to(self.codec.device)
            audio = decoder.decode(codes)[0, 0]
        return audio.cpu().numpy().astype(np.float32, copy=False)

    @staticmethod
    def stack(frames: Sequence[Frame]) -> NDArray[np.int16]:
        """Frames as the codes of a turn: (frames, codebooks), small enough to keep."""
        return torch.stack(list(frames)).numpy().astype(np.int16)

    def encode(self, audio: NDArray[np.float32]) -> NDArray[np.int16]:
        """Codes (frames, codebooks) of 24 kHz mono audio, for a reference turn."""
        with torch.inference_mode():
            values = torch.from_numpy(audio)[None, None].to(self.codec.device)
            codes = self.codec.encode(values, num_quantizers=self.num_codebooks).audio_codes
        return codes[0].T.cpu().numpy().astype(np.int16)


def load_pretrained(settings: CsmSettings, data_dirs: Sequence[Path]) -> tuple[Any, Any]:
    """CSM and its processor from local files only, on the configured device."""
    device = _device(settings.device)
    dtype = _dtype(settings.dtype, device)
    source = _model_source(settings.model, data_dirs)
    _LOGGER.info("Loading CSM from %s on %s (%s)", source, device, dtype)
    try:
        processor = AutoProcessor.from_pretrained(source, local_files_only=True)
        model = CsmForConditionalGeneration.from_pretrained(
            source, local_files_only=True, dtype=dtype
        )
    except OSError as err:
        raise EngineUnavailable(
            f"CSM model {settings.model!r} not found in {', '.join(map(str, data_dirs))} or the "
            "Hugging Face cache; fetch it once with `hf download sesame/csm-1b` (accept its "
            f"licence first) or set csm.model to its folder ({err})"
        ) from err
    return model.to(device), processor


def _device(setting: str) -> torch.device:
    if setting == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise EngineUnavailable(
            "CSM needs a CUDA GPU and torch sees none; set csm.device: cpu to run it on the CPU "
            "(far slower than real time)"
        )
    return torch.device("cuda")


def _dtype(setting: str, device: torch.device) -> torch.dtype:
    if setting == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return {"bfloat16": torch.bfloat16, "float32": torch.float32}[setting]


def _model_source(model: str, data_dirs: Sequence[Path]) -> str:
    """A folder (as given, or under a data dir), else the id for the Hugging Face cache."""
    for candidate in (Path(model).expanduser(), *(Path(d) / model for d in data_dirs)):
        if candidate.is_dir():
            return str(candidate)
    return model
