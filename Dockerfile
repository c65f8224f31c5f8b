# Standalone CPU image: docker build -t wyoming-polytts .
# Bake the Kokoro model in with: docker build --build-arg BAKE_MODELS=1 -t wyoming-polytts .
FROM python:3.11-slim

ARG BAKE_MODELS=0
RUN useradd --create-home --uid 1000 polytts \
    && mkdir /data \
    && chown polytts /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY wyoming_polytts ./wyoming_polytts
RUN pip install --no-cache-dir .

USER 1000
RUN if [ "${BAKE_MODELS}" = "1" ]; then python -m wyoming_polytts.engines.kokoro --download-dir /data; fi

VOLUME /data
EXPOSE 10200
HEALTHCHECK --start-period=10m --interval=60s --timeout=10s \
    CMD ["python", "-m", "wyoming_polytts.server.healthcheck"]
ENTRYPOINT ["python", "-m", "wyoming_polytts", "--uri", "tcp://0.0.0.0:10200", \
            "--data-dir", "/data", "--zeroconf"]
