"""Shared fixtures: real databases (a SQLite file and the PostgreSQL server),
the real plugins, rulebook and matcher."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qungui.core.events import CHINA_TZ, Member, Message, MessageType, Room, RoomSnapshot

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = os.environ.get("BOT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BOT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("BOT_TEST_PG_USER", "postgres")
PG_DB = os.environ.get("BOT_TEST_PG_DB", "test")
_pg_error: list[str] = []


def _pg_reachable() -> str | None:
    """None when the server answers, else why not (checked once per session)."""
    if _pg_error:
        return _pg_error[0] or None

    async def probe():
        import asyncpg
        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_DB,
                                     timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
        _pg_error.append("")
    except Exception as exc:  # noqa: BLE001
        _pg_error.append(f"{type(exc).__name__}: {exc}")
    return _pg_error[0] or None


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """A fresh, empty database of each kind; PostgreSQL gets a database of its own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"
        return
    why = _pg_reachable()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_HOST}:{PG_PORT} is required under CI=true: {why}")
        pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT} not reachable: {why}")
    name = f"bot_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql):
        import asyncpg
        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_DB)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def plugins():
    from qungui.plugins import load_plugins
    return load_plugins()


@pytest.fixture(scope="session")
def rulebook(plugins):
    from qungui.core.plugin import specs_of
    from qungui.core.rulebook import load_rulebook
    return load_rulebook(specs=specs_of(plugins))


@pytest.fixture(scope="session")
def matcher():
    from qungui.core.matcher import Matcher, load_lexicons
    return Matcher(load_lexicons(ROOT / "qungui" / "rules" / "lexicons"))


@pytest.fixture
async def repo(db_url, tmp_path):
    from qungui.storage.repository import Repository
    # a spool of the test's own (a server database's default is data/spool in the cwd)
    r = await Repository.open(db_url, spool_path=tmp_path / "spool" / "incidents.jsonl")
    yield r
    await r.close()


OWNER = Member("u1", "李明", "李明-商务局-局长")
MEMBERS = [OWNER, Member("u2", "张伟", "张伟-发改委-科长"), Member("u3", "王芳", "王芳-财政局-科员"),
           Member("u4", "赵强", "赵强-住建局-副局长")]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=CHINA_TZ)


def work_room(room_id: str = "r1") -> Room:
    return Room(id=room_id, topic="招商引资专项工作群", purpose="招商项目洽谈、签约与落地推进",
                owner_id="u1", members={m.id: m for m in MEMBERS})


class Clock:
    """Message factory with increasing timestamps."""

    def __init__(self, start: datetime = T0):
        self.t = start
        self.n = 0

    def msg(self, text: str = "", sender: str = "u2", *, room: str = "r1", id: str | None = None,
            type: MessageType = MessageType.TEXT, gap: float = 120, **kw) -> Message:
        self.n += 1
        self.t += timedelta(seconds=gap)
        return Message(id=id or f"m{self.n}", room_id=room, sender_id=sender, ts=self.t,
                       text=text, type=type, **kw)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def moderator(repo, plugins, rulebook, matcher):
    from qungui.app import build_moderator
    m = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid", operators=["op1"])
    await m.start()
    await m.handle(RoomSnapshot(work_room()))
    return m


async def _pg_admin(sql: str) -> None:
    import asyncpg
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_DB)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class Outage:
    """A real database outage, from outside the bot, and its end.

    SQLite: the pool's connections are closed and the database's folder is
    moved away, so every new connection fails to open the file. PostgreSQL:
    the database stops accepting connections and its sessions are ended, so
    the pool's pre-ping and every reconnect fail. Use as ``async with``.
    """

    def __init__(self, db_url: str, repo):
        from sqlalchemy.engine import make_url
        self.repo = repo
        u = make_url(db_url)
        self.sqlite = u.drivername.startswith("sqlite")
        self.name = u.database
        self.folder = Path(u.database).parent if self.sqlite else None
        self.active = False

    async def begin(self) -> None:
        if self.sqlite:
            await self.repo.engine.dispose()
            os.rename(self.folder, f"{self.folder}.away")
        else:
            await _pg_admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
            await _pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()")
        self.active = True

    async def end(self) -> None:
        if not self.active:
            return
        if self.sqlite:
            os.rename(f"{self.folder}.away", self.folder)
        else:
            await _pg_admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')
        self.active = False

    async def __aenter__(self) -> "Outage":
        await self.begin()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.end()


async def eventually(check, seconds: float = 10.0, step: float = 0.05):
    """Await ``check()`` until it is truthy (returned) or time runs out (the last value)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = await check()
        if value or loop.time() > deadline:
            return value
        await asyncio.sleep(step)
