"""Storage at scale, on SQLite and PostgreSQL: an audit's rows written in
batches (once, however often the file is run), an audit split by room
across processes giving the results of one, and the state several
processes share kept in the database: the cooldown and escalation count,
the daily reminder, the spool's write-back, a room saved by two at once."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, select

from qungui.app import build_moderator
from qungui.core.actions import SendPrivate
from qungui.core.events import Member, Message, MessageType, Room, RoomSnapshot
from qungui.core.ports import IncidentIn, StoredMessage
from qungui.storage.messages import MessageLog
from qungui.storage.models import AuditRow, IncidentRow, MemberRow, MessageRow, RoomRow
from qungui.storage.repository import Repository
from qungui.storage.spool import Spool
from tests.conftest import T0, work_room

ROOT = Path(__file__).resolve().parent.parent
ADS = "加微信zhaoshang888，低价代办各类资质，保过包拿证，名额有限先到先得"


async def open_repo(db_url, tmp_path, name="spool"):
    return await Repository.open(db_url, spool_path=tmp_path / name / "incidents.jsonl")


async def moderator_on(repo, plugins, rulebook, matcher, rooms=("r1",)):
    m = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid", operators=["op1"])
    await m.start()
    for room in rooms:
        await m.handle(RoomSnapshot(work_room(room)))
    return m


def burst(rooms=("r1", "r2"), n=12) -> list[Message]:
    """Ads from three members in each room: bursts inside the cooldown, and
    enough warnings over the hours to escalate."""
    out = []
    for i in range(n):
        for k, room in enumerate(rooms):
            out.append(Message(id=f"{room}-m{i}", room_id=room, sender_id=f"u{2 + (i // 3 + k) % 3}",
                               ts=T0 + timedelta(seconds=200 * i + k), text=ADS,
                               type=MessageType.TEXT))
    return out


async def stored(repo) -> list[tuple]:
    async with repo.sessions() as s:
        return sorted(tuple(r) for r in (await s.execute(select(
            IncidentRow.room_id, IncidentRow.message_id, IncidentRow.rule, IncidentRow.action,
            IncidentRow.counted, IncidentRow.escalated))).all())


async def count(repo, model) -> int:
    async with repo.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


# --- batches ----------------------------------------------------------------------


async def test_a_batched_audit_decides_as_row_by_row_and_a_rerun_adds_nothing(
        db_url, tmp_path, plugins, rulebook, matcher):
    events = burst()
    results = {}
    for size in (0, 5):      # row by row, then 5 messages per transaction (several batches)
        url = db_url if size == 0 else db_url.replace("bot.sqlite3", "batched.sqlite3")
        if size and url == db_url:          # PostgreSQL: the same database, emptied
            async with repo_ctx(db_url, tmp_path) as r:
                async with r.sessions.begin() as s:
                    await s.execute(IncidentRow.__table__.delete())
                    await s.execute(MessageRow.__table__.delete())
        async with repo_ctx(url, tmp_path) as repo:
            m = await moderator_on(repo, plugins, rulebook, matcher, ("r1", "r2"))
            async with repo.batched(size):
                actions = [(await m.handle(e)).action for e in events]
            await m.message_log.flush()
            results[size] = (actions, await stored(repo), await count(repo, MessageRow))
    assert results[0] == results[5]
    actions, rows, messages = results[5]
    assert {"warn", "log"} <= set(actions) and any(r[5] for r in rows)    # cooled, escalated
    assert messages == len(events)
    # the same file again into the same database: nothing twice
    async with repo_ctx(url, tmp_path) as repo:
        m = await moderator_on(repo, plugins, rulebook, matcher, ("r1", "r2"))
        async with repo.batched(5):
            for e in events:
                await m.handle(e)
        await m.message_log.flush()
        assert await stored(repo) == rows and await count(repo, MessageRow) == messages


async def test_a_batch_asks_the_database_per_room_not_per_message(repo, plugins, rulebook,
                                                                  matcher):
    """In an audit's batch the owner's note goes without the incident's number
    (the incident is not written yet): no look-up per incident, and the
    statements a batch runs before it is written do not grow with its size."""
    m = await moderator_on(repo, plugins, rulebook, matcher, ("r1", "r2"))
    statements = []
    event.listen(repo.engine.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql))
    async with repo.batched(1000):
        outcomes = [await m.handle(e) for e in burst(n=40)]
        asked = len(statements)
    notes = [a for o in outcomes for a in o.actions if isinstance(a, SendPrivate)]
    assert len(notes) >= 10 and all("编号" not in a.text for a in notes)
    assert asked <= 4 * 2, statements       # each room's settings, dismissals and warnings
    assert len({row[1] for row in await stored(repo)}) == len(outcomes)   # then all written


class repo_ctx:
    def __init__(self, url, tmp_path):
        self.url, self.tmp_path = url, tmp_path

    async def __aenter__(self):
        self.repo = await open_repo(self.url, self.tmp_path)
        return self.repo

    async def __aexit__(self, *exc):
        await self.repo.close()


async def test_a_batch_the_database_refuses_a_row_of_is_written_message_by_message(repo):
    naive = T0.replace(tzinfo=None)
    rows = [IncidentIn(room_id="r1", message_id=f"x{i}", rule="ads", sender_id="u2",
                       ts=naive if i == 2 else T0 + timedelta(minutes=i), counted=True)
            for i in range(4)]
    async with repo.batched(10):
        for r in rows:
            assert await repo.record([r])
    assert sorted(r.message_id for r in await repo.incidents()) == ["x0", "x1", "x3"]
    assert repo.spool.quarantined == 1 and not repo.degraded


async def test_in_a_batch_counts_see_unwritten_rows_and_a_pardon(repo):
    def warned(message_id, sender, hours):
        return [IncidentIn(room_id="r1", message_id=message_id, rule="ads", sender_id=sender,
                           ts=T0 + timedelta(hours=hours), counted=True, action="warn")]

    since = T0 - timedelta(days=1)
    async with repo.batched(100):
        for row in (warned("a1", "u2", 0), warned("a2", "u2", 1), warned("b1", "u3", 1)):
            assert await repo.record(row)
        assert await count(repo, IncidentRow) == 0                 # nothing written yet
        assert (await repo.warnings("r1", "u2", since)).count == 2
        await repo.records.pardon("r1", "u2", "张伟", "u1", "已整改", T0 + timedelta(hours=2), 2)
        after = await repo.warnings("r1", "u2", since, T0)
        assert after.count == 0                          # pardoned; but what was said was said:
        assert after.last["ads"] == T0 + timedelta(hours=1)         # the cooldown still sees it
        assert (await repo.warnings("r1", "u3", since)).count == 1  # the room read again: kept
        assert await repo.record(warned("a3", "u2", 3))
        state = await repo.warnings("r1", "u2", since, T0)
        assert state.count == 1 and state.last["ads"] == T0 + timedelta(hours=3)
    assert await count(repo, IncidentRow) == 5                     # four warnings, one pardon
    assert await repo.count_warnings("r1", "u2", since) == 1


async def test_the_message_context_keeps_every_message_while_it_writes(repo):
    """A full buffer while the writer is in the middle of a batch does not
    cancel it (which lost that batch). The database takes 50 ms a batch here."""

    class Slow:
        def __init__(self, inner):
            self.inner = inner

        def begin(self):
            return self

        async def __aenter__(self):
            self.cm = self.inner.begin()
            await asyncio.sleep(0.05)
            return await self.cm.__aenter__()

        async def __aexit__(self, *exc):
            return await self.cm.__aexit__(*exc)

    class SlowRepo:
        sessions, dialect, on_close = Slow(repo.sessions), repo.dialect, []

    log = MessageLog(SlowRepo(), retention_days=30)
    for i in range(1_000):
        log.add(StoredMessage("r1", f"c{i}", "u2", "", "text", f"第{i}条", T0 + timedelta(seconds=i)))
        if i % 10 == 0:
            await asyncio.sleep(0.001)      # the engine's work on the next messages
    await log.flush()
    assert log.written == 1_000 and log.dropped == 0
    assert await count(repo, MessageRow) == 1_000


# --- an audit split across processes ------------------------------------------------


def _events_file(path: Path, rooms=("r1", "r2", "r3")) -> None:
    """Three rooms (snapshots first, then their talk interleaved): ads bursts
    that cool and escalate, and the sample's ordinary messages."""
    lines = []
    for room in rooms:
        r = work_room(room)
        lines.append({"kind": "room", "room_id": room, "topic": r.topic, "purpose": r.purpose,
                      "owner_id": r.owner_id,
                      "members": [{"id": m.id, "name": m.name, "alias": m.alias}
                                  for m in r.members.values()]})
    for e in burst(rooms, 10):
        lines.append({"kind": "message", "id": e.id, "room_id": e.room_id,
                      "sender_id": e.sender_id, "ts": e.ts.isoformat(), "text": e.text})
    text = [json.dumps(d, ensure_ascii=False) + "\n" for d in lines]
    text.insert(len(rooms) + 4, '{"kind": "message", "id": \n')      # a torn line
    path.write_text("".join(text), encoding="utf-8")


def audit_command(db_url: str, events: Path, cwd: Path, *extra: str) -> tuple[list[str], dict]:
    """``bot.py audit --store`` of ``events`` into ``db_url``: its argv and environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    env.update(PYTHONPATH=str(ROOT), BOT_DATA_DIR=str(cwd))
    return [sys.executable, str(ROOT / "bot.py"), "audit", "--store", "--db", db_url,
            str(events), *extra], env


def _audit(db_url: str, events: Path, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    argv, env = audit_command(db_url, events, cwd, *extra)
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


async def single_run(db_url, events, tmp_path, rooms: int) -> tuple[subprocess.CompletedProcess, list]:
    """One plain process's run and the rows it stored; the rows then emptied."""
    one = _audit(db_url, events, tmp_path)
    assert one.returncode == 0, one.stderr
    async with repo_ctx(db_url, tmp_path) as repo:
        rows = await stored(repo)
        async with repo.sessions.begin() as s:
            await s.execute(IncidentRow.__table__.delete())
            await s.execute(MessageRow.__table__.delete())
    assert any(r[5] for r in rows) and len({r[0] for r in rows}) == rooms
    return one, rows


async def test_an_audit_split_by_room_across_two_workers_is_the_single_run(db_url, tmp_path):
    events = tmp_path / "events.jsonl"
    _events_file(events)
    one, single = await single_run(db_url, events, tmp_path, 3)
    split = _audit(db_url, events, tmp_path, "--workers", "2")
    assert split.returncode == 0, split.stderr
    assert split.stdout == one.stdout                       # every result, in input order
    # every worker reads the file; the torn line is reported and counted once
    for run in (one, split):
        assert run.stderr.count(f"line {3 + 4 + 1}:") == 1, run.stderr
        assert "1 malformed line(s) skipped" in run.stderr, run.stderr
    async with repo_ctx(db_url, tmp_path) as repo:
        assert await stored(repo) == single
        assert await count(repo, MessageRow) == 30
    assert {r[3] for r in single} >= {"warn", "log"}


# --- state shared by processes --------------------------------------------------------


async def test_the_cooldown_and_the_count_are_the_databases_not_one_process(
        db_url, tmp_path, plugins, rulebook, matcher):
    """Two bots on one database (two accounts in the room): a warning one
    gave cools the same member's burst at the other, and counts there."""
    a = await open_repo(db_url, tmp_path, "a")
    b = await open_repo(db_url, tmp_path, "b")
    try:
        ma = await moderator_on(a, plugins, rulebook, matcher)
        mb = await moderator_on(b, plugins, rulebook, matcher)
        ad = lambda i, gap: Message(id=f"m{i}", room_id="r1", sender_id="u2",  # noqa: E731
                                    ts=T0 + timedelta(seconds=gap), text=ADS)
        assert (await ma.handle(ad(1, 0))).action == "warn"
        assert (await mb.handle(ad(2, 30))).action == "log"          # inside A's cooldown
        assert (await mb.handle(ad(3, 3600))).action == "warn"
        assert await b.count_warnings("r1", "u2", T0 - timedelta(days=1)) == 2
        state = await a.warnings("r1", "u2", T0 - timedelta(days=1), T0)
        assert state.count == 2 and state.last["ads"] == T0 + timedelta(seconds=3600)
    finally:
        await a.close()
        await b.close()


async def test_two_processes_due_with_the_same_reminder_send_it_once(
        db_url, tmp_path, plugins, rulebook, matcher):
    from tests.test_duties import at
    from tests.test_owner_commands import say
    from tests.conftest import Clock

    a = await open_repo(db_url, tmp_path, "a")
    b = await open_repo(db_url, tmp_path, "b")
    try:
        ma = await moderator_on(a, plugins, rulebook, matcher)
        clock = Clock(at(20, 8))
        await say(ma, clock, "/report-due 18:00")
        mb = await moderator_on(b, plugins, rulebook, matcher)     # reads the setting
        got = await asyncio.gather(ma.tick(at(20, 18, 1)), mb.tick(at(20, 18, 1)))
        assert sorted(len(actions) for actions in got) == [0, 1]
        async with a.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(AuditRow).where(
                AuditRow.action == "report_reminder")) == 1
    finally:
        await a.close()
        await b.close()


async def test_two_processes_saving_a_new_room_at_once_both_succeed(db_url, tmp_path):
    a = await open_repo(db_url, tmp_path, "a")
    b = await open_repo(db_url, tmp_path, "b")
    try:
        rooms = [(Room(id=f"n{i}", topic="甲", owner_id="u1",
                       members={"u1": Member("u1", "李明"), "u2": Member("u2", "张伟")}),
                  Room(id=f"n{i}", topic="乙", owner_id="u1",
                       members={"u1": Member("u1", "李明"), "u3": Member("u3", "王芳")}))
                 for i in range(12)]
        await asyncio.gather(*(call for x, y in rooms
                               for call in (a.save_room(x), b.save_room(y))))
        assert not a.degraded and not b.degraded           # no collision taken for an outage
        assert await count(a, RoomRow) == 12
        async with a.sessions() as s:
            members = set((await s.execute(select(MemberRow.room_id, MemberRow.member_id))).all())
            topics = set(await s.scalars(select(RoomRow.topic)))
        assert members == {(f"n{i}", u) for i in range(12) for u in ("u1", "u2", "u3")}
        assert topics <= {"甲", "乙"}
    finally:
        await a.close()
        await b.close()


def _append_rows(path: str, n: int) -> None:
    """Another process: a bot appending a message's rows now and then."""
    import time
    spool = Spool(path)
    for i in range(n):
        spool.append([IncidentIn(room_id="r1", message_id=f"s{i}", rule="ads", sender_id="u2",
                                 ts=T0 + timedelta(seconds=i), counted=True)])
        time.sleep(0.002)


async def test_a_write_back_while_another_process_appends_loses_and_doubles_nothing(
        db_url, tmp_path):
    path = tmp_path / "spool" / "incidents.jsonl"
    repo = await Repository.open(db_url, spool_path=path)
    try:
        child = multiprocessing.get_context("spawn").Process(target=_append_rows,
                                                              args=(str(path), 300))
        child.start()
        while child.is_alive():
            await repo.flush_spool()      # renames, reads, writes back, deletes: meanwhile appends
            await asyncio.sleep(0.01)
        child.join()
        assert child.exitcode == 0
        await repo.flush_spool()
        ids = [r.message_id for r in await repo.incidents(limit=1000)]
        assert sorted(ids) == sorted(f"s{i}" for i in range(300))
        assert not repo.spool.pending()
    finally:
        await repo.close()
