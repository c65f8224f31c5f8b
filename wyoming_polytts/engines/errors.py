"""What an engine raises besides its own failures."""


class SynthesisCancelled(Exception):
    """Raised inside an engine when the request's cancel event is set."""


class EngineUnavailable(Exception):
    """The engine cannot serve requests (missing model, missing extra, failed load)."""
