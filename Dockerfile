# 群规助手 (qungui-bot) — the moderation bot in a container.
#
#   docker build -t qungui-bot .
#   docker run -v qungui-data:/data --env-file bot-a.env qungui-bot    # qungui run
#   docker run -v qungui-data:/data qungui-bot demo                     # replay the sample group
#   docker run -v qungui-data:/data -p 127.0.0.1:8080:8080 qungui-bot web --host 0.0.0.0
#                                                         # the review page, published on the host's loopback
#
# Everything the bot keeps is in the data folder, the /data volume (BOT_DATA_DIR):
# the SQLite database, the spool, the logs. Point BOT_DATABASE_URL at PostgreSQL
# (postgresql://…) in production; secrets come from the environment (--env-file),
# never from the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# 1. The dependencies alone, read from pyproject.toml: this layer is rebuilt
#    only when pyproject.toml changes, not on every change to the source.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# 2. The package, its dependencies already there. The rulebook, lexicons, model,
#    samples, migrations and web pages ship inside it as package data.
COPY README.md ./
COPY qungui ./qungui
RUN pip install --no-deps . \
    && rm -rf build *.egg-info qungui README.md

# A fixed, unprivileged uid so a mounted volume's ownership is predictable.
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --no-create-home \
               --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown bot:bot /data /app

# `run` serves GET /healthz on the container's loopback (qungui health asks it);
# the review page (`web`) has its own /healthz on 8080.
ENV BOT_DATA_DIR=/data \
    BOT_HEALTH_HOST=127.0.0.1 \
    BOT_HEALTH_PORT=8081
VOLUME /data
EXPOSE 8080

USER bot

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["qungui", "health"]

ENTRYPOINT ["qungui"]
CMD ["run"]
