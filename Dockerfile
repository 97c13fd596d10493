# 群规助手 (qungui-bot) — the moderation bot in a container.
#
#   docker build -t qungui-bot .
#   docker run -v qungui-data:/data qungui-bot            # python bot.py run
#   docker run -v qungui-data:/data qungui-bot demo       # replay the sample group
#   docker run -v qungui-data:/data -p 127.0.0.1:8080:8080 qungui-bot web --host 0.0.0.0
#                                                         # the review page, published on the host's loopback
#
# The database lives on the /data volume so incidents survive a new image;
# point BOT_DATABASE_URL at PostgreSQL (postgresql+asyncpg://…) in production.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Metadata first, then the source; `pip install .` needs both (README.md is
# the package's readme in pyproject.toml).
COPY pyproject.toml README.md ./
COPY bot.py ./
# One package; the rulebook, lexicons, model and samples ship inside it as
# package data (qungui/rules), found through qungui.rules.data_path.
COPY qungui ./qungui

RUN pip install . \
    && rm -rf build *.egg-info

# A fixed, unprivileged uid so a mounted volume's ownership is predictable.
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --no-create-home \
               --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown bot:bot /data

ENV BOT_DATABASE_URL=sqlite+aiosqlite:////data/bot.sqlite3
VOLUME /data

USER bot

ENTRYPOINT ["python", "bot.py"]
CMD ["run"]
