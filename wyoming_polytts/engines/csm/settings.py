"""The `csm:` section (Sesame CSM-1B on a CUDA GPU)."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from ...schema import ConfigError, bounded, choice


@dataclass(frozen=True)
class CsmVoiceSettings:
    speaker: int = bounded(0, 0, 1000)
    """CSM's speaker id: the model keeps the voice of a speaker id within a conversation."""
    reference_wav: str | None = None
    """A few seconds of the voice to clone (24 kHz mono 16-bit WAV); relative paths are
    looked up in the data dirs. It is the first turn of every prompt, so the voice stays the
    same across replies and restarts."""
    reference_text: str | None = None
    """What is said in reference_wav, word for word."""


def _default_voices() -> Mapping[str, CsmVoiceSettings]:
    return types.MappingProxyType({"csm_0": CsmVoiceSettings(0), "csm_1": CsmVoiceSettings(1)})


@dataclass(frozen=True)
class CsmSettings:
    enabled: bool | None = None
    """Unset: on when torch and transformers are installed and there is a CUDA GPU (or
    device is cpu)."""
    model: str = "sesame/csm-1b"
    """A model id in the Hugging Face cache, a folder of that name in a data dir, or a path;
    nothing is downloaded at run time."""
    device: str = choice("auto", "auto", "cuda", "cpu")
    """auto is the GPU; cpu must be asked for (far slower than real time)."""
    dtype: str = choice("auto", "auto", "bfloat16", "float32")
    """auto: bfloat16 on the GPU, float32 on the CPU. The codec always decodes in float32."""
    max_batch: int = bounded(8, 1, 8)
    """Replies CSM speaks at once: they share each frame's batched step, which reads the
    model's weights once for all of them; a reply more waits for a free slot."""
    cuda_graphs: bool = True
    """On CUDA, replay the frame step from CUDA graphs captured at load (one per batch size
    1, 2, 4, 8) instead of launching its kernels one by one from Python."""
    prefill_chunk: int = bounded(512, 16, 2048)
    """Prompt tokens read in one call. Prompts that join together are read in one batched
    call; a longer prompt is read this many tokens at a time, one chunk between two frames,
    so that the replies already speaking keep their pace."""
    torch_compile: bool = False
    """Compile the frame step with torch.compile at load (one graph per batch size, then
    captured as CUDA graphs where those are on). Off until a GPU has measured it; compiling
    takes minutes at load."""
    first_chunk_frames: int = bounded(3, 1, 25)
    """Frames (80 ms each) decoded before the first audio leaves."""
    chunk_frames: int = bounded(6, 1, 50)
    """Frames per later audio chunk; a lagging decoder takes all frames that are ready."""
    max_context_turns: int = bounded(8, 0, 64)
    """Earlier segments kept per conversation as context (older ones go first, and so
    many as the 2048-token window needs)."""
    temperature: float = bounded(0.9, 0.0, 2.0)
    """Sampling temperature of both of CSM's decoders; 0 is greedy."""
    top_k: int = bounded(50, 1, 2051)
    voices: Mapping[str, CsmVoiceSettings] = field(default_factory=_default_voices)

    REMOVED: ClassVar[Mapping[str, str]] = {
        "max_conversations": "CSM reads the satellites' shared history now; "
        "context.max_keys bounds how many satellites are remembered",
        "workers": "CSM's replies share one batched frame step now; csm.max_batch (1-8, "
        "default 8) sets how many it speaks at once",
        "compile": "CSM runs its own frame loop on static caches now, replayed from CUDA "
        "graphs (csm.cuda_graphs, default true); csm.torch_compile (default false) compiles "
        "that loop's step",
    }

    def __post_init__(self) -> None:
        if not self.voices:
            raise ConfigError("config key 'csm.voices': needs at least one voice")
        for name, voice in self.voices.items():
            if (voice.reference_wav is None) != (voice.reference_text is None):
                raise ConfigError(
                    f"config key 'csm.voices.{name}': reference_wav and reference_text go "
                    "together (the WAV and what is said in it)"
                )
