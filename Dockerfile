# Standalone CPU image (Kokoro), amd64 and arm64: docker build -t wyoming-polytts .
# Bake the Kokoro model in with: docker build --build-arg BAKE_MODELS=1 -t wyoming-polytts .
FROM python:3.11-slim-bookworm

ARG BAKE_MODELS=0
# Runs as uid 1000 by default; `docker run --user UID:GID` works too (for a bind mount that
# UID owns): HOME and USER do not depend on the user database
RUN useradd --create-home --uid 1000 polytts \
    && chmod 1777 /home/polytts \
    && mkdir /data \
    && chown polytts /data
ENV HOME=/home/polytts USER=polytts

WORKDIR /app
COPY pyproject.toml README.md ./
COPY wyoming_polytts ./wyoming_polytts
# A baked model goes outside /data, so that a bind mount over /data does not hide it
RUN pip install --no-cache-dir . \
    && if [ "${BAKE_MODELS}" = "1" ]; then \
        python -m wyoming_polytts.engines.kokoro --download-dir /usr/local/share/wyoming-polytts; \
    fi

USER 1000
# The server writes the URI it serves there; the health check reads it
ENV POLYTTS_URI_FILE=/tmp/polytts.uri
VOLUME /data
EXPOSE 10200
HEALTHCHECK --start-period=10m --interval=60s --timeout=10s \
    CMD ["python", "-m", "wyoming_polytts.server.healthcheck"]
ENTRYPOINT ["python", "-m", "wyoming_polytts", "--uri", "tcp://0.0.0.0:10200", \
            "--data-dir", "/data", "--data-dir", "/usr/local/share/wyoming-polytts"]
