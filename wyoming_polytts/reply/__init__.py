"""One reply from text to audio: the service that opens it, the session (ordered segments,
one writer), the router, the scheduler and its workers, circuit breakers, the phrase cache."""
