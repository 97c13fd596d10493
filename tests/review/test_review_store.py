"""Review queries, decisions and the stored message context, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from qungui.core.events import CHINA_TZ, MessageType
from qungui.storage.messages import MessageLog, StoredMessage
from qungui.storage.models import AuditRow, MessageRow
from qungui.storage.repository import IncidentIn, Repository
from qungui.storage.review import IncidentFilter, ReviewError, ReviewStore
from tests.review.conftest import ADS, CLASSIFIED


def row(message_id, *, rule="ads", sender="u2", name="张伟", ts, room="r1", evidence="代购", **kw):
    return IncidentIn(room_id=room, message_id=message_id, rule=rule, sender_id=sender,
                      sender_name=name, ts=ts, evidence=evidence, counted=True, **kw)


def china(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA_TZ)


async def test_filters_text_member_and_until(repo):
    await repo.record([row("a", ts=china(20, 9), evidence="100%返利", reason="推销")])
    await repo.record([row("b", ts=china(20, 23, 59), sender="u3", name="王芳-财政局", evidence="a_b")])
    await repo.record([row("c", ts=china(21, 0, 1), rule="rumor", evidence="网传")])
    store = ReviewStore(repo)

    async def ids(**kw):
        rows, total = await store.incidents(IncidentFilter(**kw))
        assert total == len(rows)
        return [r.message_id for r in rows]

    assert await ids() == ["c", "b", "a"]
    assert await ids(text="100%") == ["a"]            # % is literal, not a wildcard
    assert await ids(text="_") == ["b"]
    assert await ids(member="王芳") == ["b"] and await ids(member="u2") == ["c", "a"]
    from qungui.review.when import parse_when
    assert await ids(until=parse_when("2026-11-20", end=True)) == ["b", "a"]
    assert await ids(since=parse_when("2026-11-21")) == ["c"]
    assert await ids(rooms=frozenset({"r9"})) == []
    rows, total = await store.incidents(IncidentFilter(), offset=1, limit=1)
    assert total == 3 and [r.message_id for r in rows] == ["b"]


async def test_days_are_china_days(repo):
    await repo.record([row("late", ts=china(20, 23, 30))])     # 15:30 UTC on the 20th
    await repo.record([row("early", ts=china(21, 0, 30))])     # 16:30 UTC on the 20th
    await repo.record([row("early2", ts=china(21, 7), sender="u3")])
    ov = await ReviewStore(repo).overview(IncidentFilter(), days=3)
    assert ov.by_day == [("2026-11-19", 0), ("2026-11-20", 1), ("2026-11-21", 2)]
    assert ov.by_rule == [("ads", 3)] and ov.total == 3 and ov.open == 3
    assert ov.repeat_senders == [("r1", "u2", "张伟", 2)]


async def test_review_records_status_row_and_audit(repo):
    await repo.record([row("a", ts=china(20, 9))])
    store = ReviewStore(repo)
    (inc,), _ = await store.incidents(IncidentFilter())
    got = await store.review(inc.id, "web:li", "dismiss", note="团购", allow_phrase=" 代购 ")
    assert got.status == "dismissed" and got.reviewed_by == "web:li" and got.reviewed_at
    detail = await store.incident(inc.id)
    assert [(r.decision, r.allow_phrase) for r in detail.reviews] == [("dismiss", "代购")]
    assert (await repo.room_settings("r1"))["allow"] == [{"rule": "ads", "phrase": "代购"}]
    actions = [(a.action, a.target) for a in await repo.audit_log("r1")]
    assert ("dismiss", f"incident:{inc.id}") in actions and ("allow", "allow") in actions
    for bad in ({"decision": "delete"}, {"decision": "confirm", "allow_phrase": "x"}):
        try:
            await store.review(inc.id, "web:li", **bad)
        except ReviewError:
            pass
        else:
            raise AssertionError(bad)
    try:
        await store.review(inc.id, "web:x", "confirm", scope=frozenset({"r2"}))
        raise AssertionError("reviewed outside the reviewer's rooms")
    except ReviewError as exc:
        assert exc.code == "not_found"


async def test_a_dismissed_false_alarm_does_not_count_toward_escalation(repo):
    for i in range(3):
        await repo.record([row(f"m{i}", ts=china(20, 9 + i))])
    since = china(19, 0)
    assert await repo.count_warnings("r1", "u2", since) == 3
    store = ReviewStore(repo)
    rows, _ = await store.incidents(IncidentFilter())
    await store.review(rows[0].id, "web:li", "dismiss")
    assert await repo.count_warnings("r1", "u2", since) == 2
    await store.review(rows[0].id, "web:li", "reopen")
    assert await repo.count_warnings("r1", "u2", since) == 3


async def test_engine_stores_context_with_classified_redacted(moderator, clock, repo):
    await moderator.handle(clock.msg("收到", "u3"))
    await moderator.handle(clock.msg(CLASSIFIED, "u2"))
    secret_file = clock.msg("", "u2", type=MessageType.FILE,
                            file_name="【机密】城东用地调整方案.docx")
    await moderator.handle(secret_file)
    await moderator.handle(clock.msg(ADS, "u4"))
    await moderator.handle(clock.msg(ADS, "u4", id="m4"))        # a redelivery: stored once
    await moderator.message_log.flush()
    async with repo.sessions() as s:
        stored = {m.message_id: m.text for m in await s.scalars(select(MessageRow))}
    assert stored["m1"] == "收到" and stored["m4"] == ADS and len(stored) == 4
    for mid in ("m2", "m3"):
        assert "内容已隐去 sha256:" in stored[mid] and "用地调整" not in stored[mid]
    detail = await ReviewStore(repo).incident(
        (await ReviewStore(repo).incidents(IncidentFilter(rule="ads")))[0][0].id)
    assert [m.message_id for m in detail.before] == ["m1", "m2", "m3"] and detail.message.text == ADS


async def test_message_log_retention_and_close(db_url):
    repo = await Repository.open(db_url)
    log = MessageLog(repo, retention_days=7)
    t0 = china(1, 9)
    for i, ts in enumerate([t0, t0 + timedelta(days=3), t0 + timedelta(days=10)]):
        log.add(StoredMessage("r1", f"m{i}", "u2", "张伟", "text", "x" * 5000, ts))
    await repo.close()                                  # close writes what is buffered
    repo = await Repository.open(db_url)
    async with repo.sessions() as s:
        kept = {m.message_id: m.text for m in await s.scalars(select(MessageRow))}
    await repo.close()
    assert set(kept) == {"m1", "m2"}                    # m0 is older than 7 days before m2
    assert all(len(t) <= 2001 for t in kept.values())


async def test_message_log_off_and_database_down(tmp_path):
    down = Repository(create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none"),
                      tmp_path / "spool.jsonl")
    log = MessageLog(down, retention_days=7)
    log.add(StoredMessage("r1", "m1", "u2", "", "text", "hi", china(1, 9)))
    await log.flush()                                   # no exception: context is best effort
    assert log.dropped == 1 and log.written == 0
    off = MessageLog(down, retention_days=0)
    off.add(StoredMessage("r1", "m2", "u2", "", "text", "hi", china(1, 9)))
    assert not off._buffer
    await down.close()


async def test_accounts_are_audited_without_the_hash(repo):
    from qungui.storage.accounts import AccountStore
    store = AccountStore(repo)
    assert await store.set_password("li", "scrypt$1$1$1$c2FsdA==$aGFzaA==", ["r1", "r2"], actor="cli")
    assert not await store.set_password("li", "scrypt$1$1$1$c2FsdA==$bmV3", ["*"], actor="cli")
    acct = await store.get("li")
    assert acct.rooms is None and acct.password_hash.endswith("bmV3")
    async with repo.sessions() as s:
        audit = list(await s.scalars(select(AuditRow).where(AuditRow.action == "web_password")))
    assert len(audit) == 2 and all("scrypt" not in str(a.before) + str(a.after) for a in audit)
    assert await store.delete("li", actor="cli") and await store.get("li") is None
