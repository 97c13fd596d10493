"""The review desk's storage at scale, on SQLite and PostgreSQL: the per-day
and total counts kept in step with inserts, reports and reviews; keyset
pages; the triage queue; the next incident after a decision; the room's
phrases; the CSV for Excel users."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select

from qungui.core.events import CHINA_TZ
from qungui.storage.models import IncidentDayRow, IncidentRow, IncidentTotalRow
from qungui.storage.review import IncidentFilter, ReviewStore, RoomPhrases
from qungui.storage.tally import china_day
from tests.review.test_review_store import row


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA_TZ)


def store_of(repo):
    from qungui.app import rule_specs
    return ReviewStore(repo, rule_specs(), embed=lambda text: [0.0] * 8)


async def counts_match_the_rows(repo) -> None:
    """The per-day and total counts equal a count of the incident rows."""
    async with repo.sessions() as s:
        rows = (await s.execute(select(IncidentRow.ts, IncidentRow.room_id, IncidentRow.rule,
                                       IncidentRow.kind, IncidentRow.status)
                                .where(IncidentRow.kind.in_(("violation", "report"))))).all()
        days = {(d.day, d.room_id, d.rule, d.kind, d.status): d.n
                for d in await s.scalars(select(IncidentDayRow)) if d.n}
        totals = {(t.room_id, t.rule, t.kind, t.status): t.n
                  for t in await s.scalars(select(IncidentTotalRow)) if t.n}
    expected = Counter((china_day(ts), room, rule or "", kind, status) for ts, room, rule, kind, status in rows)
    assert days == dict(expected)
    assert totals == dict(Counter((k[1], k[2], k[3], k[4]) for k in expected.elements()))


async def test_counts_follow_inserts_reports_and_reviews(repo):
    await repo.record([row("a", ts=at(20, 23, 59)), row("a", rule="rumor", ts=at(20, 23, 59))])
    await repo.record([row("b", ts=at(21, 0, 1), room="r2")])
    await repo.record([row("a", ts=at(20, 23, 59))])                  # a redelivery counts nothing
    await repo.records.file_report("r1", "report:x", at(21, 9), "有人在群里发广告", "")
    store = store_of(repo)
    await counts_match_the_rows(repo)
    first = (await store.page(IncidentFilter(room="r1", rule="ads"))).rows[0]
    await store.review(first.id, "web:甲", "confirm")
    await store.review(first.id, "web:甲", "dismiss")
    await counts_match_the_rows(repo)
    ov = await store.overview(IncidentFilter())
    assert ov.total == 4 and ov.by_status == {"open": 3, "dismissed": 1}
    assert dict(ov.by_day)["2026-11-20"] == 2 and dict(ov.by_day)["2026-11-21"] == 2
    assert await store.count(IncidentFilter(status="open")) == (3, True)
    assert await store.count(IncidentFilter(kind="report")) == (1, True)
    # whole China days come from the per-day counts; a time of day is counted on the rows
    assert await store.count(IncidentFilter(since=at(21, 0), until=at(22, 0))) == (2, True)
    assert await store.count(IncidentFilter(since=at(21, 8))) == (1, True)


async def test_counts_follow_an_archive_written_in_batches(repo):
    async with repo.batched(2):
        await repo.record([row("a", ts=at(20, 10)), row("a", rule="rumor", ts=at(20, 10))])
        await repo.record([row("b", ts=at(21, 0, 1), room="r2")])
        await repo.record([row("c", ts=at(21, 9))])
    async with repo.batched(2):                                      # the same archive again
        await repo.record([row("a", ts=at(20, 10))])
        await repo.record([row("c", ts=at(21, 9))])
    await counts_match_the_rows(repo)
    assert (await store_of(repo).overview(IncidentFilter())).total == 4


async def test_keyset_pages_walk_the_log_both_ways(repo):
    for i in range(12):
        await repo.record([row(f"m{i}", ts=at(20, 9) + timedelta(minutes=i // 2))])   # equal times too
    store = store_of(repo)
    seen, after, pages = [], None, []
    while True:
        page = await store.page(IncidentFilter(), after=after, limit=5)
        pages.append(page)
        seen += [r.id for r in page.rows]
        if page.next is None:
            break
        after = page.next
    async with repo.sessions() as s:
        newest_first = list(await s.scalars(select(IncidentRow.id)
                                            .order_by(IncidentRow.ts.desc(), IncidentRow.id.desc())))
    assert seen == newest_first and [len(p.rows) for p in pages] == [5, 5, 2]
    back = await store.page(IncidentFilter(), before=pages[2].prev, limit=5)
    assert [r.id for r in back.rows] == [r.id for r in pages[1].rows]


async def test_the_queue_puts_appeals_then_gravity_then_age(repo):
    await repo.record([row("ad-old", ts=at(20, 9))])
    await repo.record([row("off", rule="off_topic", ts=at(20, 8))])
    await repo.record([row("secret", rule="classified", ts=at(21, 9))])
    await repo.record([row("ad-new", ts=at(21, 10))])
    await repo.record([row("rumor", rule="rumor", ts=at(21, 11))])
    report = await repo.records.file_report("r1", "report:1", at(21, 12), "群里有人拉票", "")
    store = store_of(repo)
    ids = {r.message_id: r.id for r in (await store.page(IncidentFilter(), limit=50)).rows}
    await repo.records.appeal("r1", ids["ad-new"], "u2", "这是工会通知", at(21, 13))
    f = IncidentFilter(status="open")
    queue = [r.message_id for r in (await store.page(f, order="triage", limit=50)).rows]
    assert queue == ["ad-new", "secret", "report:1", "rumor", "ad-old", "off"]
    # paged by cursor, the queue is the same
    walked, after = [], None
    while True:
        page = await store.page(f, order="triage", after=after, limit=2)
        walked += [r.message_id for r in page.rows]
        if not page.next:
            break
        after = page.next
    assert walked == queue
    # after deciding one, the next of the same list
    assert await store.neighbour(f, ids["secret"], order="triage") == report
    await store.review(ids["secret"], "web:甲", "confirm")
    assert await store.neighbour(f, ids["secret"], order="triage") == report
    assert await store.neighbour(f, ids["off"], order="triage") is None


async def test_review_many_and_names(repo):
    from qungui.core.events import Member, Room
    await repo.save_room(Room(id="r1", topic="招商引资专项工作群"))
    await repo.save_member("r1", Member("u2", "张伟", "张科长"))
    await repo.record([row("a", ts=at(20, 9))])
    await repo.record([row("b", ts=at(20, 10))])
    store = store_of(repo)
    ids = [r.id for r in (await store.page(IncidentFilter())).rows]
    done, refused = await store.review_many(ids + [999], "web:甲", "confirm", note="同一人连续推销")
    assert sorted(r.id for r in done) == sorted(ids) and refused == {999: "not_found"}
    rows = (await store.page(IncidentFilter())).rows
    names = await store.names(rows)
    assert names.room("r1") == "招商引资专项工作群" and names.member("r1", "u2") == "张科长"
    assert names.reviewer("r1", "web:甲") == "甲" and names.reviewer("r1", "u2") == "张科长"
    out = io.StringIO()
    from qungui.review.export import write_csv
    async for chunk, chunk_names in store.export_chunks(IncidentFilter(), chunk=1):
        write_csv(out, chunk, header=False, names=chunk_names, titles={"ads": "广告推销"})
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(lines) == 2 and lines[0][2:7] == ["招商引资专项工作群", "r1", "张科长", "u2", "广告推销"]
    assert lines[0][9] == "已确认" and lines[0][14] == "甲" and lines[0][16] == "同一人连续推销"
    assert lines[0][1] == "2026-11-20 10:00:00"


def test_csv_defuses_formulas_but_not_mentions():
    from qungui.review.export import safe_cell
    assert safe_cell("@张三 请删除") == "@张三 请删除"
    assert safe_cell("@SUM(A1:A2)") == "'@SUM(A1:A2)"
    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("-2+3") == "'-2+3" and safe_cell("\tx") == "'\tx"
    assert safe_cell("正常文本") == "正常文本" and safe_cell(None) == ""


async def test_room_phrases_record_who_and_why(repo):
    phrases = RoomPhrases(repo)
    assert await phrases.add("r1", "allow", "ads", "工会福利", "web:甲", "工会团购通知")
    assert not await phrases.add("r1", "allow", "ads", "工会福利", "web:甲")
    assert await phrases.add("r1", "deny", "gossip", "小道消息", "web:乙")
    listed = {(p.kind, p.rule, p.phrase): p for p in await phrases.list("r1")}
    assert listed[("allow", "ads", "工会福利")].added_by == "web:甲"
    assert listed[("allow", "ads", "工会福利")].why == "工会团购通知"
    assert listed[("deny", "gossip", "小道消息")].added_by == "web:乙"
    settings = await repo.room_settings("r1")
    assert settings["allow"] == [{"rule": "ads", "phrase": "工会福利"}]
    assert await phrases.remove("r1", "allow", "ads", "工会福利", "web:甲")
    assert not await phrases.remove("r1", "allow", "ads", "工会福利", "web:甲")
    assert (await repo.room_settings("r1"))["allow"] == []
    audit = [a.action for a in await repo.audit_log("r1")]
    assert "allow_remove" in audit and "allow" in audit and "deny" in audit
