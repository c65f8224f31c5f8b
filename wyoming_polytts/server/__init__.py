"""The Wyoming edge: the protocol handler, framing limits, the audio stream on the wire,
Info, zeroconf and the health check."""
