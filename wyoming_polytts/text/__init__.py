"""The text path: LLM markdown to speakable segments, per language, while it streams."""

from .pipeline import Segment, TextPipeline, split_text
from .settings import Pauses, TextSettings

__all__ = ["Pauses", "Segment", "TextPipeline", "TextSettings", "split_text"]
