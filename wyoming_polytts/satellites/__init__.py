"""Who is speaking and what was said: satellite profiles, context keys, per-satellite
history (and its file), and the Home Assistant side channel."""
