"""The live bot's health endpoint (``channels.health``, served by ``run``)
and ``qungui health``, the container's health check: the WeChat link, the
outbox queue and the database, on real databases."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from aiohttp.test_utils import TestClient, TestServer

from qungui.channels.health import health_app, serve_health
from qungui.channels.wechaty import Link
from qungui.core.ports import Outgoing
from qungui.pipeline.directory import RoomDirectory
from tests.conftest import Outage
from tests.test_cli import bot


async def get(app, path="/healthz"):
    async with TestClient(TestServer(app)) as client:
        response = await client.get(path)
        return response.status, await response.json()


async def test_reports_link_outbox_and_database(repo, db_url):
    directory = RoomDirectory("wxid_bot")
    status, body = await get(health_app(directory, repo))
    assert status == 200 and body["database"] == "ok"
    assert body["wechat"] == {"connected": False, "state": "not started"}
    assert body["outbox"]["queued"] == 0

    link = Link(lambda: 0)
    directory.connection = link
    assert await repo.deliver([Outgoing("answer", "r1", "好的"), Outgoing("answer", "r2", "收到")],
                              account="wxid_bot")
    status, body = await get(health_app(directory, repo))
    assert status == 200 and body["wechat"]["state"] == "offline"
    assert body["outbox"]["queued"] == 2
    link.connected = True
    status, body = await get(health_app(directory, repo))
    assert body["wechat"]["connected"] is True and body["wechat"]["account"] == "wxid_bot"

    async with Outage(db_url, repo):
        status, body = await get(health_app(directory, repo))
    assert status == 503 and body["status"] == "unhealthy" and body["database"].startswith("down")
    assert body["wechat"]["connected"] is True          # what the channel knows still shows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_health_command_asks_the_endpoint(tmp_path):
    """``qungui health`` against a served endpoint: 0 when healthy, 1 when the
    endpoint says unhealthy or nothing answers."""
    from qungui.storage.repository import Repository

    port = free_port()
    started, stop = threading.Event(), None
    state = {}

    def serve():
        async def main():
            nonlocal stop
            stop = asyncio.Event()
            repo = await Repository.open(f"sqlite+aiosqlite:///{tmp_path}/h.sqlite3",
                                         spool_path=tmp_path / "spool" / "incidents.jsonl")
            state["repo"] = repo
            runner = await serve_health(RoomDirectory("wxid_bot"), repo, "127.0.0.1", port)
            started.set()
            await stop.wait()
            await runner.cleanup()
            await repo.close()
        state["loop"] = asyncio.new_event_loop()
        state["loop"].run_until_complete(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(30)
    try:
        ok = bot("health", env={"BOT_HEALTH_PORT": str(port)})
        assert ok.returncode == 0 and '"database": "ok"' in ok.stdout
        url = bot("health", "--url", f"http://127.0.0.1:{port}/healthz")
        assert url.returncode == 0
    finally:
        state["loop"].call_soon_threadsafe(stop.set)
        thread.join(30)
    gone = bot("health", env={"BOT_HEALTH_PORT": str(port)})
    assert gone.returncode == 1 and "no answer" in gone.stderr
    off = bot("health")
    assert off.returncode == 1 and "BOT_HEALTH_PORT" in off.stderr
