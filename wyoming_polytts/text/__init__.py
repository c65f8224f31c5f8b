"""The text path: LLM markdown to speakable segments, per language, while it streams."""

from .pipeline import TextPipeline, split_text
from .segment import Pause, Segment
from .settings import Pauses, TextSettings

__all__ = ["Pause", "Pauses", "Segment", "TextPipeline", "TextSettings", "split_text"]
