"""Sesame CSM-1B on a GPU: the engine, its torch runtime, the streaming Mimi decoder, settings."""
