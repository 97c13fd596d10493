"""The incident spool under real faults, with the real engine on real SQLite
and PostgreSQL: an unwritable spool, text the database cannot store, a torn
or corrupt spool file, write-back without new violations, escalation counts
during an outage, and appends during a write-back. Each test counts."""

from __future__ import annotations

import asyncio
import json
import re
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from qungui.app import build_moderator
from qungui.core.actions import SendPrivate
from qungui.core.events import Message, MessageType, RoomSnapshot
from qungui.core.ports import IncidentIn
from qungui.storage.models import IncidentRow, MessageRow
from qungui.storage.repository import Repository
from tests.conftest import ROOT, T0, Outage, eventually, work_room

ADS = "自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456"
CLEAN = "请各单位于周五下班前报送本月招商项目进展，材料发到商务局邮箱。"
FAST = 0.05             # seconds between write-back attempts while degraded, in tests
CLOSED_PORT = "postgresql+asyncpg://postgres@127.0.0.1:1/none"   # nothing listens there


def ads(i: int, sender: str = "u2", text: str = ADS, gap: int = 600, **kw) -> Message:
    """A violation; ``gap`` seconds apart keeps each out of the previous one's cooldown."""
    return Message(id=f"m{i}", room_id="r1", sender_id=sender, ts=T0 + timedelta(seconds=gap * i),
                   text=text, type=MessageType.TEXT, **kw)


def row(message_id: str, rule: str = "ads", sender: str = "u2", **kw) -> IncidentIn:
    return IncidentIn(room_id="r1", message_id=message_id, rule=rule, sender_id=sender,
                      ts=kw.pop("ts", T0), counted=kw.pop("counted", True), **kw)


async def moderator_on(repo, plugins, rulebook, matcher):
    m = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid", operators=["op1"])
    await m.start()
    await m.handle(RoomSnapshot(work_room()))
    return m


async def stored_ids(repo) -> set[str]:
    """Message ids with an incident row in the database (read directly)."""
    async with repo.sessions() as s:
        return set(await s.scalars(select(IncidentRow.message_id)))


async def ids_in(db_url: str, spool) -> set[str]:
    repo = await Repository.open(db_url, spool_path=spool)
    try:
        return await stored_ids(repo)
    finally:
        await repo.close()


# --- 1. the spool cannot be written --------------------------------------


async def test_unwritable_spool_keeps_every_row_in_memory_and_says_so(
        db_url, tmp_path_factory, plugins, rulebook, matcher, caplog):
    side = tmp_path_factory.mktemp("side")
    blocker = side / "data"
    blocker.write_text("a regular file where the spool folder should be", encoding="utf-8")
    spool = blocker / "spool" / "incidents.jsonl"       # every write: NotADirectoryError
    repo = await Repository.open(db_url, spool_path=spool, retry_seconds=FAST)
    # said at start-up already, before any outage needs the spool
    assert repo.spool_problem and str(blocker) in repo.spool_problem
    assert "cannot write" in caplog.text
    m = await moderator_on(repo, plugins, rulebook, matcher)
    ids = [f"m{i}" for i in range(200)]
    try:
        async with Outage(db_url, repo):
            outs = [await m.handle(ads(i, sender=f"u{2 + i % 3}")) for i in range(200)]
            assert [o.action for o in outs].count("warn") == 200     # still moderating
            assert len(repo.spool.memory) == 200 and repo.degraded
            status = await m.handle(ads(900, sender="u1", text="/status"))
            assert "本地暂存文件无法写入" in status.actions[0].text
        # the database is back: no new violation, the timer writes the memory back
        assert await eventually(lambda: _has(repo, ids))
        assert repo.spool.memory == [] and repo.spool.dropped == 0
        # the spool itself still cannot be written: still said, still degraded
        assert repo.spool_problem and repo.degraded
        blocker.unlink()                                   # the operator fixes the folder
        assert await eventually(lambda: _not_degraded(repo))
        assert repo.spool_problem is None
    finally:
        await repo.close()
    assert set(ids) <= await ids_in(db_url, side / "other.jsonl")


async def _has(repo, ids) -> bool:
    try:
        return set(ids) <= await stored_ids(repo)
    except Exception:  # noqa: BLE001 - still down
        return False


async def _not_degraded(repo) -> bool:
    return not repo.degraded


@pytest.mark.parametrize("shape", ["a folder", "under a regular file"])
async def test_spool_path_that_cannot_be_a_file_loses_nothing(db_url, tmp_path_factory, shape):
    side = tmp_path_factory.mktemp("side")
    if shape == "a folder":
        spool = side / "incidents.jsonl"
        spool.mkdir()                                      # IsADirectoryError
    else:
        (side / "plain").write_text("x", encoding="utf-8")
        spool = side / "plain" / "incidents.jsonl"         # NotADirectoryError
    repo = await Repository.open(db_url, spool_path=spool, retry_seconds=3600)
    try:
        async with Outage(db_url, repo):
            assert await repo.record([row("x1")]) and await repo.record([row("x2")])
            assert not await repo.record([row("x1")])      # a redelivery is known in memory too
            assert len(repo.spool.memory) == 2 and repo.spool_problem and repo.degraded
        assert await repo.flush_spool() == 2
        assert {"x1", "x2"} <= await stored_ids(repo) and repo.spool.memory == []
    finally:
        await repo.close()


# --- 2. text the database cannot store is not an outage ----------------------


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_nul_and_lone_surrogates_on_postgresql_are_not_an_outage(
        db_url, tmp_path, plugins, rulebook, matcher):
    spool = tmp_path / "spool" / "incidents.jsonl"
    repo = await Repository.open(db_url, spool_path=spool, retry_seconds=FAST)
    m = await moderator_on(repo, plugins, rulebook, matcher)
    # (a lone surrogate in a message's text stops the text normalization, in
    # core, before storage is reached; here it comes in a name, and in rows below)
    texts = {2: ADS + "\x00尾巴", 5: ADS + "\x00", 7: "\x00" + ADS}
    # m8 comes from someone not yet known, whose name has both
    outs = [await m.handle(ads(i, sender="u9" if i == 8 else f"u{2 + i % 3}",
                               text=texts.get(i, ADS),
                               sender_name="张\x00伟\udfff" if i == 8 else ""))
            for i in range(10)]
    assert [o.action for o in outs].count("warn") == 10
    assert not repo.degraded and not spool.exists() and repo.spool.quarantined == 0
    async with repo.sessions() as s:
        rows = {r.message_id: r for r in await s.scalars(select(IncidentRow))}
    assert {f"m{i}" for i in range(10)} <= set(rows)      # every one in the database now
    # (the engine's event cleaning removes them before storage sees the message;
    # the rows written directly below show storage's own sanitizing)
    assert "尾巴" in rows["m2"].excerpt
    assert not any(c in rows[m].excerpt for m in ("m2", "m5", "m7") for c in "\x00\udfff")
    assert rows["m8"].sender_name.startswith("张") and "\x00" not in rows["m8"].sender_name
    assert "\udfff" not in rows["m8"].sender_name
    await m.message_log.flush()
    async with repo.sessions() as s:
        kept = set(await s.scalars(select(MessageRow.message_id)))
    assert {"m2", "m5", "m7", "m8"} <= kept              # the reviewers' context too
    # every text field of a row, the trace's keys and values included
    bad = "证据\ud83d\x00"
    assert await repo.record([row("x1", evidence=bad, reason=bad, excerpt=bad, warning_text=bad,
                                  sender_name=bad * 100, trace=[{bad: bad, "n": [bad]}])])
    got = next(r for r in await repo.incidents(limit=50) if r.message_id == "x1")
    assert got.evidence == "证据\ufffd\ufffd" and got.trace == [{got.evidence: got.evidence,
                                                               "n": [got.evidence]}]
    assert len(got.sender_name) == 200 and not repo.degraded
    await repo.close()


async def test_a_row_the_database_refuses_is_quarantined_and_the_rest_written(repo, caplog):
    from datetime import datetime
    naive = datetime(2026, 11, 20, 9, 0)                 # refused before reaching the database
    assert await repo.record([row("x1"), row("x1", rule="flood", counted=False, ts=naive)])
    assert await repo.record([row("x2")])                # the next message: no outage
    assert not repo.degraded
    got = sorted((r.message_id, r.rule) for r in await repo.incidents())
    assert got == [("x1", "ads"), ("x2", "ads")]
    lines = repo.spool.quarantine.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and repo.spool.quarantined == 1
    entry = json.loads(lines[0])
    assert "refused" in entry["reason"] and json.loads(entry["line"])["rule"] == "flood"
    assert "set aside" in caplog.text


# --- 3. a torn or corrupt spool -----------------------------------------------


def torn(path, *rows: IncidentIn, middle: str = "") -> None:
    """A spool as a crash leaves it: whole lines, maybe a damaged one, and the
    first half of a last line."""
    half = row("torn").to_json()
    lines = [r.to_json() for r in rows]
    if middle:
        lines.insert(1, middle)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + half[: len(half) // 2], encoding="utf-8")


async def test_torn_and_corrupt_lines_are_quarantined_and_ten_violations_recorded(
        db_url, tmp_path, plugins, rulebook, matcher, caplog):
    spool = tmp_path / "spool" / "incidents.jsonl"
    naive = IncidentIn.from_json(row("y9").to_json())
    naive.ts = naive.ts.replace(tzinfo=None)             # parses, but the database refuses it
    # an hour before the first message: out of its cooldown (which the incident log decides)
    early = T0 - timedelta(hours=1)
    torn(spool, row("y1", ts=early), row("y2", ts=early), naive,
         middle='{"room_id": "r1", "message_id": "y')
    repo = await Repository.open(db_url, spool_path=spool, retry_seconds=FAST)
    m = await moderator_on(repo, plugins, rulebook, matcher)
    outs = [await m.handle(ads(i, sender=f"u{2 + i % 3}")) for i in range(10)]
    assert [o.action for o in outs].count("warn") == 10
    got = await stored_ids(repo)
    assert {f"m{i}" for i in range(10)} | {"y1", "y2"} <= got and "y9" not in got
    assert repo.spool.quarantined == 3 and not repo.degraded and not spool.exists()
    reasons = [json.loads(line)["reason"] for line in
               repo.spool.quarantine.read_text(encoding="utf-8").splitlines()]
    assert sum("does not parse" in r for r in reasons) == 2 and sum("refused" in r for r in reasons) == 1
    assert "set aside" in caplog.text
    await repo.close()


async def test_an_append_after_a_torn_line_starts_a_line_of_its_own(tmp_path, db_url):
    spool = tmp_path / "spool" / "incidents.jsonl"
    torn(spool, row("y1"))
    down = Repository(create_async_engine(CLOSED_PORT), spool, retry_seconds=3600)
    assert await down.record([row("z1")]) and await down.record([row("z2")])
    await down.engine.dispose()
    up = await Repository.open(db_url, spool_path=spool)
    assert {"y1", "z1", "z2"} <= await stored_ids(up) and up.spool.quarantined == 1
    await up.close()


def _events(path, n: int) -> None:
    lines = [json.dumps({"kind": "room", "room_id": "r1", "topic": "招商引资专项工作群",
                         "owner_id": "u1", "members": [{"id": "u1", "name": "李明"},
                                                       {"id": "u2", "name": "张伟"}]})]
    lines += [json.dumps({"kind": "message", "id": f"a{i}", "room_id": "r1", "sender_id": "u2",
                          "ts": (T0 + timedelta(minutes=10 * i)).isoformat(), "type": "text",
                          "text": ADS}, ensure_ascii=False) for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("where", ["configured", "beside the database (older versions)"])
async def test_audit_with_a_torn_spool_records_all_ten_and_exits_0(tmp_path, where):
    db = tmp_path / "db" / "bot.sqlite3"
    db.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    if where == "configured":
        spool = tmp_path / "elsewhere" / "incidents.jsonl"
        env["BOT_SPOOL_PATH"] = str(spool)
    else:
        spool = db.parent / "incident-spool.jsonl"
    torn(spool, row("y1", ts=T0 - timedelta(hours=1)))    # out of m0's cooldown
    events = tmp_path / "events.jsonl"
    _events(events, 10)
    res = subprocess.run([sys.executable, str(ROOT / "bot.py"), "audit", "--store", "--db",
                          f"sqlite:///{db}", str(events)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr
    actions = [json.loads(line)["action"] for line in res.stdout.splitlines()]
    assert actions.count("warn") == 10
    got = await ids_in(f"sqlite+aiosqlite:///{db}", tmp_path / "check.jsonl")
    assert {f"a{i}" for i in range(10)} | {"y1"} <= got
    assert not spool.exists() and "does not parse" in res.stderr


# --- 4. write-back on a timer and at start-up -----------------------------------


async def test_spooled_rows_are_written_back_by_the_timer_without_a_new_violation(
        db_url, tmp_path, plugins, rulebook, matcher):
    spool = tmp_path.parent / f"{tmp_path.name}-spool" / "incidents.jsonl"
    repo = await Repository.open(db_url, spool_path=spool, retry_seconds=FAST)
    m = await moderator_on(repo, plugins, rulebook, matcher)
    try:
        async with Outage(db_url, repo):
            for i in range(3):
                assert (await m.handle(ads(i, sender=f"u{2 + i}"))).action == "warn"
            assert repo.degraded and len(spool.read_text(encoding="utf-8").splitlines()) == 3
        # clean talk only; the database is back
        for i in range(20):
            out = await m.handle(ads(100 + i, text=f"{CLEAN}（第{i}项）", sender=f"u{2 + i % 3}",
                                     gap=7))
            assert out.action == "none"
        assert await eventually(lambda: _has(repo, ["m0", "m1", "m2"]))
        assert await eventually(lambda: _not_degraded(repo))
        assert not spool.exists() and not spool.with_name("incidents.jsonl.flushing").exists()
        status = await m.handle(ads(900, sender="u1", text="/status"))
        assert "暂不可用" not in status.actions[0].text
    finally:
        await repo.close()


async def crash(repo) -> None:
    """The process ends without close(): no write-back, connections dropped."""
    repo._closing = True
    if repo._retry is not None:
        repo._retry.cancel()
    await repo.engine.dispose()


async def test_spooled_rows_are_written_back_at_restart(
        db_url, tmp_path, plugins, rulebook, matcher):
    spool = tmp_path.parent / f"{tmp_path.name}-spool" / "incidents.jsonl"
    # no timer during this run: the process dies with the rows in the spool
    repo = await Repository.open(db_url, spool_path=spool, retry_seconds=3600)
    m = await moderator_on(repo, plugins, rulebook, matcher)
    async with Outage(db_url, repo):
        for i in range(3):
            await m.handle(ads(i, sender=f"u{2 + i}"))
    await crash(repo)
    assert len(spool.read_text(encoding="utf-8").splitlines()) == 3
    again = await Repository.open(db_url, spool_path=spool)
    assert {"m0", "m1", "m2"} <= await stored_ids(again)
    assert not again.degraded and not spool.exists()
    await again.close()


async def test_a_write_back_left_half_done_is_finished_at_start(tmp_path, db_url):
    spool = tmp_path / "spool" / "incidents.jsonl"
    flushing = spool.with_name("incidents.jsonl.flushing")
    first = await Repository.open(db_url, spool_path=spool)
    await first.record([row("f1")])        # written back before the crash...
    await first.close()
    # ...which left .flushing behind (f1 in it too), and a newer spool beside it
    flushing.write_text(row("f1").to_json() + "\n" + row("f2").to_json() + "\n", encoding="utf-8")
    spool.write_text(row("s1").to_json() + "\n", encoding="utf-8")
    repo = await Repository.open(db_url, spool_path=spool)
    assert sorted(r.message_id for r in await repo.incidents()) == ["f1", "f2", "s1"]   # f1 once
    assert not flushing.exists() and not spool.exists() and not repo.degraded
    await repo.close()


async def test_rows_appended_during_a_write_back_are_not_lost(tmp_path, db_url):
    spool = tmp_path / "spool" / "incidents.jsonl"
    down = Repository(create_async_engine(CLOSED_PORT), spool, retry_seconds=3600)
    for i in range(100):
        await down.record([row(f"early{i}", sender=f"u{i % 7}")])
    await down.close()
    assert len(spool.read_text(encoding="utf-8").splitlines()) == 100
    up = Repository(create_async_engine(db_url), spool, retry_seconds=3600)
    await up.migrate()
    flush = asyncio.get_running_loop().create_task(up.flush_spool())
    while not up.spool.flushing.exists():          # the spool has been set aside
        await asyncio.sleep(0)
    for i in range(5):                             # what record() does during an outage
        up.spool.append([row(f"late{i}")])
    assert spool.exists()                          # a fresh spool, not the one being written
    assert await flush + await up.flush_spool() == 105
    got = await stored_ids(up)
    assert {f"early{i}" for i in range(100)} | {f"late{i}" for i in range(5)} <= got
    assert not up.degraded and not spool.exists()
    await up.close()


# --- 5. escalation counts during an outage ---------------------------------------


async def _owner_notices(db_url, spool, plugins, rulebook, matcher, outage_at: range | None,
                         retry: float):
    repo = await Repository.open(db_url, spool_path=spool, retry_seconds=retry)
    m = await moderator_on(repo, plugins, rulebook, matcher)
    outage = Outage(db_url, repo)
    said = []
    try:
        for i in range(30):
            if outage_at is not None and i == outage_at.start:
                await outage.begin()
            if outage_at is not None and i == outage_at.stop:
                await outage.end()
            out = await m.handle(ads(i))
            said.append([(type(a).__name__, getattr(a, "contact_id", None), a.text)
                         for a in out.actions])
    finally:
        await outage.end()
        await repo.close()
    return said


@pytest.mark.parametrize("retry", [3600, FAST], ids=["spool-unflushed", "flushing-meanwhile"])
async def test_owner_notices_during_an_outage_equal_those_with_the_database_up(
        db_url, tmp_path_factory, plugins, rulebook, matcher, retry):
    assert rulebook.escalation.notify_owner_after == 3
    ups = await _owner_notices(db_url, tmp_path_factory.mktemp("s1") / "incidents.jsonl",
                               plugins, rulebook, matcher, None, retry)
    await _reset(db_url)
    downs = await _owner_notices(db_url, tmp_path_factory.mktemp("s2") / "incidents.jsonl",
                                 plugins, rulebook, matcher, range(8, 22), retry)
    notices = [sum(kind == SendPrivate.__name__ and to == "u1" for kind, to, _ in acts)
               for acts in ups]
    assert sum(notices) == 28                     # the 3rd warning on, in a 7-day window
    # every warning's count and notice alike, but for the incident's number: the
    # owner's note names it when the incident is in the database (ids differ between
    # the runs); spooled during the outage it has none yet, and says nothing of one
    assert [[(k, to, _unnumbered(t)) for k, to, t in acts] for acts in downs] == \
        [[(k, to, _unnumbered(t)) for k, to, t in acts] for acts in ups]
    numbered = [[NUMBER_HINT.search(t) is not None for k, _, t in acts if k == SendPrivate.__name__]
                for acts in ups]
    assert all(all(n) for n in numbered)


NUMBER_HINT = re.compile(r"\n编号 \d+：回复“确认 \d+”或“撤销 \d+ 理由”。$")


def _unnumbered(text: str) -> str:
    return NUMBER_HINT.sub("", text)


async def _reset(db_url: str) -> None:
    repo = await Repository.open(db_url, spool_path=None)
    async with repo.sessions.begin() as s:
        from sqlalchemy import delete
        await s.execute(delete(IncidentRow))
        await s.execute(delete(MessageRow))
    await repo.close()


async def test_count_adds_the_spooled_warnings_the_database_lacks_once(tmp_path_factory, db_url):
    spool = tmp_path_factory.mktemp("side") / "incidents.jsonl"
    repo = await Repository.open(db_url, spool_path=spool, retry_seconds=3600)
    since = T0 - timedelta(days=1)
    for i in range(3):
        await repo.record([row(f"d{i}", ts=T0 + timedelta(hours=i))])
    # two spooled (one of them also in the database already: a crash before the unlink)
    spool.write_text(row("d0").to_json() + "\n" + row("s1", ts=T0 + timedelta(hours=5)).to_json()
                     + "\n", encoding="utf-8")
    repo.spool.load()
    assert await repo.count_warnings("r1", "u2", since) == 4
    down = Outage(db_url, repo)
    async with down:
        assert await repo.count_warnings("r1", "u2", since) == 4     # as last seen, plus the spool
    await repo.close()
