"""The text path: LLM markdown or SSML to speakable segments, per language, while it streams."""

from .pipeline import SSML, TextPipeline, split_text
from .segment import Delivery, Pause, Segment
from .settings import Pauses, TextSettings

__all__ = [
    "SSML",
    "Delivery",
    "Pause",
    "Pauses",
    "Segment",
    "TextPipeline",
    "TextSettings",
    "split_text",
]
