"""Kokoro-82M on the CPU: the engine, its model files (fetch, verify, sources, pins), settings."""
