"""Another Wyoming TTS server as an engine."""
