"""Wyoming text-to-speech server with Kokoro (CPU) and Sesame CSM (GPU) engines."""

__version__ = "0.1.0"
