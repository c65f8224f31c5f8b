"""What an engine raises besides its own failures."""


class SynthesisCancelled(Exception):
    """Raised inside an engine when the request's cancel event is set."""


class EngineUnavailable(Exception):
    """The engine cannot serve requests (missing model, missing extra, failed load)."""


class BadVoice(ValueError):
    """A voice name an engine reads but cannot speak: a blend with an unknown part, a weight
    that is not a positive number, a malformed name. The message names the part."""
