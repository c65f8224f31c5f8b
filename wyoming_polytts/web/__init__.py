"""The web side (`--web HOST:PORT`): status page, Prometheus metrics and voice preview."""
