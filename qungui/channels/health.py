"""The live bot's health endpoint: ``GET /healthz`` answers, as JSON, whether
WeChat is connected, how many outgoing items wait in the outbox and how the
database stands. 200 while the database takes writes (WeChat may be down:
the bot reconnects on its own and the outbox keeps what it has to say); 503
while the database is down (incidents wait in the spool) or the spool cannot
be written — what an operator must act on. Served by ``run`` when ``health_port`` is set (off by default;
on 127.0.0.1 unless ``health_host`` says otherwise)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiohttp import web

from qungui.core.ports import OutboxCounts
from qungui.pipeline.directory import RoomDirectory

log = logging.getLogger(__name__)
COUNT_TIMEOUT = 3.0      # the outbox count gives up after this long (the database hangs)


class HealthSource(Protocol):
    """What the endpoint reads of the store (``storage.Repository``)."""

    degraded: bool
    spool_problem: str | None

    async def outbox_counts(self, account: str | None = None) -> OutboxCounts: ...


async def health(directory: RoomDirectory, store: HealthSource) -> tuple[int, dict]:
    """The status code and the body of ``/healthz``."""
    link = directory.connection.report() if directory.connection is not None else None
    wechat = ({"connected": False, "state": "not started"} if link is None else
              {"connected": link.connected, "logged_out": link.logged_out,
               "seconds": round(link.seconds, 1), "reconnect_attempts": link.attempts,
               "account": directory.bot_id,
               "state": "connected" if link.connected else
                        ("logged out" if link.logged_out else "offline")})
    database = "ok"
    outbox: dict = {}
    try:
        counts = await asyncio.wait_for(store.outbox_counts(directory.bot_id), COUNT_TIMEOUT)
        outbox = {"queued": counts.pending + counts.sending, "unknown": counts.unknown,
                  "failed": counts.failed, "expired": counts.expired}
    except Exception as exc:  # noqa: BLE001 - a health check reports, never raises
        database = "down"
        log.debug("health: outbox count failed: %s", type(exc).__name__)
    if store.spool_problem is not None:
        database = "spool unwritable"
    elif database == "ok" and store.degraded:   # read after the count, which notices an outage
        database = "down (incidents wait in the spool)"
    if link is not None and not outbox:
        outbox = {"queued": link.waiting}
    ok = database == "ok"
    body = {"status": "ok" if ok else "unhealthy", "wechat": wechat, "outbox": outbox,
            "database": database}
    return (200 if ok else 503), body


def health_app(directory: RoomDirectory, store: HealthSource) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        status, body = await health(directory, store)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    return app


async def serve_health(directory: RoomDirectory, store: HealthSource, host: str,
                       port: int) -> web.AppRunner:
    """Start the endpoint; the caller cleans the runner up. OSError if the
    address is taken."""
    runner = web.AppRunner(health_app(directory, store), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    log.info("health endpoint on http://%s:%d/healthz", host, port)
    return runner
