"""A rig for delivery faults: the loopback puppet-service gateway that also
notes when each send arrives, can hang or kill the bot mid-send, go down and
come back on its port; and ``bot.py run`` in a subprocess. Shared by
tests/channels/test_delivery_faults.py and bench/faults.py."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections import Counter
from pathlib import Path

import yaml
from grpclib.const import Status
from grpclib.exceptions import GRPCError

from tests.channels.fake_service import FakePuppetService, pb

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "puppet_test_faults"
AD = "代购面膜，原价399现价99，加微信 wxdemo2026"


class Gateway(FakePuppetService):
    def __init__(self, self_id: str = "wxid_bot", self_name: str = "群规助手"):
        super().__init__(self_id, self_name)
        self.times: list[float] = []           # when each send arrived (wall clock)
        self.hang: set[str] = set()            # conversations whose sends never get an answer
        self.kill_at: int | None = None        # kill the bot (SIGKILL) when this many sends arrived
        self.pid: int | None = None
        self.offline = False                   # down: no send gets through, even on an open connection
        self._released = asyncio.Event()

    async def _send_text(self, req):
        if self.offline:
            raise GRPCError(Status.UNAVAILABLE, "the gateway is down")
        if req.conversation_id in self.hang:
            # a stuck gateway: no answer, and the message never reaches WeChat
            await self._released.wait()
            raise GRPCError(Status.UNAVAILABLE, "the gateway was stuck")
        response = await super()._send_text(req)
        self.times.append(time.time())
        if self.kill_at is not None and len(self.sent) == self.kill_at and self.pid:
            os.kill(self.pid, signal.SIGKILL)    # after WeChat took it, before the bot hears so
        return response

    def release(self) -> None:
        self.hang.clear()
        self._released.set()

    def join_at(self, room_id: str, invitee_ids: list[str], inviter_id: str, ts: float) -> None:
        self._push(pb.EventType.EVENT_TYPE_ROOM_JOIN, {
            "inviteeIdList": invitee_ids, "inviterId": inviter_id, "roomId": room_id,
            "timestamp": int(ts)})

    def replay(self, message_id: str) -> None:
        """The same message event again (a gateway replaying after a reconnect)."""
        self._push(pb.EventType.EVENT_TYPE_MESSAGE, {"messageId": message_id})

    async def down(self) -> None:
        """Stop listening, end the requests running, and refuse sends on any
        connection still open, until ``start`` again."""
        self.offline = True
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        self.stream_open.clear()

    async def start(self, port: int = 0) -> int:
        self.offline = False
        return await super().start(port)

    # --- what arrived -------------------------------------------------------------

    def warnings(self) -> Counter:
        """(room, member) -> how many warnings arrived."""
        return Counter((room, tuple(m)) for room, text, m in self.sent if m and "温馨提醒" in text)


def build_world(g: Gateway, rooms: int, members: int, prefix: str = "r") -> list[tuple[str, str]]:
    """``rooms`` rooms of ``members`` members each (and an owner): (room, member) pairs."""
    pairs = []
    for r in range(rooms):
        room = f"{prefix}{r:02d}@chatroom"
        people = [(f"{prefix}{r}-owner", f"群主{r}", f"群主{r}-局长")]
        people += [(f"{prefix}{r}-m{k}", f"成员{r}-{k}", f"成员{r}-{k}-科员") for k in range(members)]
        g.add_room(room, f"专项工作群{r}", people[0][0], people)
        pairs += [(room, cid) for cid, _, _ in people[1:]]
    return pairs


def rulebook(folder: Path, **sending) -> Path:
    data = yaml.safe_load((ROOT / "qungui" / "rules" / "default.yaml").read_text(encoding="utf-8"))
    data["sending"].update(sending)
    data["escalation"]["notify_owner_after"] = 99     # one warning per violation, no owner notes
    path = folder / f"rulebook-{len(list(folder.glob('rulebook-*')))}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bot:
    """``bot.py run`` in a subprocess, its log in a file."""

    def __init__(self, folder: Path, port: int, db_url: str, book: Path, name: str = "bot"):
        self.folder, self.port, self.db_url, self.book, self.name = folder, port, db_url, book, name
        self.proc: asyncio.subprocess.Process | None = None
        self.runs = 0

    @property
    def log_path(self) -> Path:
        return self.folder / f"{self.name}-{self.runs}.log"

    async def start(self) -> None:
        self.runs += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
        env.update(WECHATY_PUPPET_SERVICE_TOKEN=TOKEN,
                   WECHATY_PUPPET_SERVICE_ENDPOINT=f"127.0.0.1:{self.port}",
                   BOT_DATABASE_URL=self.db_url, PYTHONPATH=str(ROOT))
        with open(self.log_path, "wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "--log-level", "INFO", "run",
                "--rulebook", str(self.book), cwd=self.folder, env=env, stdout=log, stderr=log)

    async def stop(self, grace: float = 10.0) -> tuple[int, float]:
        """SIGTERM, then SIGKILL after ``grace``: (exit code, seconds it took)."""
        started = time.monotonic()
        if self.proc is None or self.proc.returncode is not None:
            return (self.proc.returncode if self.proc else 0), 0.0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = await asyncio.wait_for(self.proc.wait(), grace)
        except asyncio.TimeoutError:
            self.proc.kill()
            rc = await self.proc.wait()
        return rc, time.monotonic() - started

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    def log(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                         for p in sorted(self.folder.glob(f"{self.name}-*.log")))


async def connected(g: Gateway, streams: int, timeout: float = 60.0) -> None:
    """Wait for the bot's ``streams``-th event stream, and its login handled."""
    deadline = time.monotonic() + timeout
    while g.streams < streams or not g.stream_open.is_set():
        if time.monotonic() > deadline:
            raise AssertionError("the bot did not connect")
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)


async def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


async def outbox_rows(db_url: str) -> list:
    """Every outbox row, read straight from the database."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from qungui.storage.models import OutboxRow
    from qungui.storage.repository import async_url
    engine = create_async_engine(async_url(db_url))
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(OutboxRow).order_by(OutboxRow.id))).all())
    finally:
        await engine.dispose()


async def outbox_statuses(db_url: str) -> Counter:
    return Counter(r.status for r in await outbox_rows(db_url))
