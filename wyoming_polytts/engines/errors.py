"""What an engine raises besides its own failures."""


class SynthesisCancelled(Exception):
    """Raised inside an engine when the request's cancel event is set."""


class NoAudio(Exception):
    """An engine finished a segment with words in it without a single sample (a voice whose
    style it cannot speak, say); the message names the engine and the voice."""


class EngineUnavailable(Exception):
    """The engine cannot serve requests (missing model, missing extra, failed load)."""


class BadVoice(ValueError):
    """A voice name an engine reads but cannot speak: a blend with an unknown part, a weight
    that is not a positive number, a malformed name. The message names the part."""
