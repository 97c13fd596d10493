"""The overview's members flagged more than once, read from the per-day
member counts, and the text search through the trigram indexes: both give
what reading the incident rows gives, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import and_, distinct, func, select, text

from qungui.core.events import CHINA_TZ
from qungui.storage import review
from qungui.storage.models import IncidentMemberRow, IncidentRow
from qungui.storage.repository import MIGRATIONS
from qungui.storage.review import REPEAT_DAYS, IncidentFilter, ReviewStore
from tests.review.test_review_store import row


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA_TZ)


def store_of(repo):
    from qungui.app import rule_specs
    return ReviewStore(repo, rule_specs(), embed=lambda text: [0.0] * 8)


async def repeat_from_rows(store, f: IncidentFilter, ov, top: int = 10) -> list:
    """The members flagged more than once as the overview used to count
    them: a group-by over the incident rows of the series' last week."""
    if not ov.by_day:
        return []
    last = datetime.strptime(ov.by_day[-1][0], "%Y-%m-%d").date()
    first = datetime.strptime(ov.by_day[0][0], "%Y-%m-%d").date()
    start = datetime.combine(max(first, last - timedelta(days=REPEAT_DAYS - 1)), datetime.min.time(),
                             tzinfo=CHINA_TZ)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=CHINA_TZ)
    n = func.count(distinct(IncidentRow.message_id))
    async with store.sessions() as s:
        return [tuple(r) for r in (await s.execute(
            select(IncidentRow.room_id, IncidentRow.sender_id, func.max(IncidentRow.sender_name), n)
            .where(and_(*f.conditions()), IncidentRow.ts >= start, IncidentRow.ts < end,
                   IncidentRow.kind == "violation")
            .group_by(IncidentRow.room_id, IncidentRow.sender_id).having(n >= 2)
            .order_by(n.desc(), IncidentRow.sender_id, IncidentRow.room_id).limit(top))).all()]


FILTERS = [
    IncidentFilter(), IncidentFilter(room="r1"), IncidentFilter(rule="ads"),
    IncidentFilter(rule="rumor"), IncidentFilter(status="open"), IncidentFilter(status="confirmed"),
    IncidentFilter(status="dismissed"), IncidentFilter(rule="ads", status="open"),
    IncidentFilter(rule="ads", status="dismissed", room="r1"), IncidentFilter(kind="violation"),
    IncidentFilter(kind="report"), IncidentFilter(rooms=frozenset({"r2"})),
    IncidentFilter(since=at(18, 0), until=at(23, 0)), IncidentFilter(until=at(21, 0)),
    IncidentFilter(since=at(22, 0), status="open"),
]


async def assert_repeat_as_from_rows(store) -> None:
    for f in FILTERS:
        ov = await store.overview(f, days=30)
        assert ov.repeat_senders == await repeat_from_rows(store, f, ov), f


async def seed(repo, store) -> None:
    """Members flagged over nine days: messages several rules fired on, a
    member whose name changed, two rooms, a report, rules added to a
    message later (the spool's write-back), reviews of every kind."""
    rules = ["ads", "rumor", "gossip"]
    for day in range(14, 24):
        for i, sender in enumerate(["u2", "u3", "u4", "u5"]):
            if (day + i) % 3 == 0:
                continue
            name = "张伟" if (sender != "u2" or day < 20) else "张伟-发改委"
            fired = rules[: 1 + (day * (i + 1)) % 3]
            room = "r2" if (day + i) % 4 == 0 else "r1"
            await repo.record([row(f"m{day}-{sender}", rule=r, sender=sender, name=name, room=room,
                                   ts=at(day, 8 + i)) for r in fired])
    async with repo.batched(5):                       # the archive path: several messages at once
        for i in range(6):
            await repo.record([row(f"b{i}", rule=r, sender="u6", name="周杰", ts=at(22, 10, i))
                               for r in ("ads", "rumor")[: 1 + i % 2]])
    await repo.records.file_report("r1", "report:1", at(22, 9), "有人在群里拉票", "")
    # another rule of a message already there, written back from the spool
    await repo._store([row("m22-u3", rule="flood", sender="u3", ts=at(22, 9))], fill=True)
    await repo._store([row("m21-u2", rule="off_topic", sender="u2", name="张伟-发改委", ts=at(21, 8))],
                      fill=True)
    async with repo.sessions() as s:
        ids = list(await s.scalars(select(IncidentRow.id).where(IncidentRow.kind == "violation")
                                   .order_by(IncidentRow.id)))
    for n, incident_id in enumerate(ids):
        if n % 3 == 1:
            await store.review(incident_id, "web:甲", "confirm")
        if n % 5 == 2:
            await store.review(incident_id, "web:甲", "dismiss")
        if n % 7 == 3:
            await store.review(incident_id, "web:甲", "dismiss")
            await store.review(incident_id, "web:甲", "reopen")


async def test_repeat_senders_from_the_member_counts_equal_the_rows(repo):
    store = store_of(repo)
    await seed(repo, store)
    ov = await store.overview(IncidentFilter())
    assert ov.repeat_senders, "the scenario has members flagged more than once"
    names = {name for _, sender, name, _ in ov.repeat_senders if sender == "u2"}
    assert names == {"张伟-发改委"}                    # the greatest of the week's names
    await assert_repeat_as_from_rows(store)
    # the overview no longer reads the incidents for them: emptied counts, no members
    async with repo.sessions.begin() as s:
        await s.execute(IncidentMemberRow.__table__.delete())
    assert (await store.overview(IncidentFilter())).repeat_senders == []


async def run_alembic(repo, action: str, revision: str) -> None:
    def go(sync_conn):
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = sync_conn
        getattr(command, action)(cfg, revision)

    async with repo.engine.begin() as conn:
        await conn.run_sync(go)


async def test_the_migration_counts_the_incidents_already_there(repo):
    store = store_of(repo)
    await seed(repo, store)
    async with repo.sessions() as s:
        kept = sorted(tuple(r) for r in (await s.execute(select(*IncidentMemberRow.__table__.c)
                                                         .where(IncidentMemberRow.n > 0))).all())
    await run_alembic(repo, "downgrade", "0006_desk")
    await run_alembic(repo, "upgrade", "head")
    async with repo.sessions() as s:
        rebuilt = sorted(tuple(r) for r in (await s.execute(select(*IncidentMemberRow.__table__.c))).all())
    assert rebuilt == kept
    await assert_repeat_as_from_rows(store)
    # and the search index is made again, from the rows there
    rows, _ = await store.incidents(IncidentFilter(text="有人在群里"))
    assert [r.message_id for r in rows] == ["report:1"]


# --- text search ----------------------------------------------------------------

TEXTS = [
    ("t1", "自家代购面膜，加微信 wx123456", "推销"),
    ("t2", "网传明天全市停课，速转", "谣言"),
    ("t3", "返利100%，名额有限", "推销"),
    ("t4", "账号 a_b_c 的红包", "红包"),
    ("t5", "WeChat 群 ABC 加群", "推销"),
    ("t6", "ＡＢＣ全角字母的广告", "推销"),
    ("t7", "代购", "推销"),
    ("t8", "中\"引号\"的代购链接", "推销"),
]
TERMS = ["代购", "代购面", "购面膜", "面膜，加", "wx1", "WX123", "100%", "0%，", "%", "_", "a_b",
         "_b_", "abc", "ＡＢＣ", "ａｂｃ", "全市停课", "停", "\"引号\"", "引号\"的", "推销",
         "谣言", "张伟", "u2", "没有的词", "红包", "的红包", "  ", "a%b", "\\"]


async def test_text_search_through_the_index_equals_like(repo, monkeypatch):
    store = store_of(repo)
    for i, (message_id, evidence, reason) in enumerate(TEXTS):
        await repo.record([row(message_id, ts=at(20, 9, i), evidence=evidence, reason=reason,
                               excerpt=evidence + "……")])
    found_index = False
    async with repo.sessions() as s:
        if repo.engine.dialect.name == "sqlite":
            found_index = bool(await s.scalar(text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'incidents_fts'")))
        else:
            found_index = bool(await s.scalar(text(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_incidents_text_trgm'")))
    assert found_index

    async def by_like(term):
        async with repo.sessions() as s:
            return list(await s.scalars(select(IncidentRow.message_id).where(
                *IncidentFilter(text=term).conditions(fts=False)).order_by(IncidentRow.id)))

    # a page reads the index for a text in few rows, else the log newest first
    for candidates in (1, 5000):
        monkeypatch.setattr(review, "SEARCH_CANDIDATES", candidates)
        for term in TERMS:
            f = IncidentFilter(text=term)
            page = await store.page(f, limit=100)
            queue = await store.page(f, order="triage", limit=100)
            listed, _ = await store.incidents(f, limit=100)
            exported = [r.id async for rows, _ in store.export_chunks(f, chunk=3) for r in rows]
            expected = await by_like(term)
            assert sorted(r.message_id for r in page.rows) == sorted(expected), term
            assert sorted(r.message_id for r in queue.rows) == sorted(expected), term
            assert sorted(r.message_id for r in listed) == sorted(expected), term
            assert exported == [r.id for r in page.rows], term
    # a sanity check of the reference itself
    assert await by_like("代购") == ["t1", "t7", "t8"] and await by_like("100%") == ["t3"]
    assert await by_like("a_b") == ["t4"]


async def test_sqlite_searches_through_its_index(repo):
    if repo.engine.dialect.name != "sqlite":
        return
    store = store_of(repo)
    await repo.record([row("x1", ts=at(20, 9), evidence="统一代购渠道")])
    async with repo.sessions.begin() as s:       # the index emptied behind the incidents' back
        await s.execute(text("INSERT INTO incidents_fts (incidents_fts) VALUES ('delete-all')"))
    assert (await store.page(IncidentFilter(text="代购渠"))).rows == []
    # two characters are too few for trigrams: read by LIKE
    assert [r.message_id for r in (await store.page(IncidentFilter(text="代购"))).rows] == ["x1"]


async def test_the_search_index_follows_inserts_and_updates(repo):
    store = store_of(repo)
    await repo.record([row("x1", ts=at(20, 9), evidence="统一代购渠道")])
    assert [r.message_id for r in (await store.page(IncidentFilter(text="代购渠"))).rows] == ["x1"]
    async with repo.sessions.begin() as s:
        await s.execute(IncidentRow.__table__.update().values(warning_text="请勿发布招商广告")
                        .where(IncidentRow.message_id == "x1"))
    assert [r.message_id for r in (await store.page(IncidentFilter(text="招商广告"))).rows] == ["x1"]
    await repo.record([row("x2", ts=at(20, 10), evidence="代购渠道第二条")])
    assert [r.message_id for r in (await store.page(IncidentFilter(text="代购渠"))).rows] == ["x2", "x1"]
    # the export finds the same rows
    chunks = [rows async for rows, _ in store.export_chunks(IncidentFilter(text="代购渠"), chunk=1)]
    assert [r.id for rows in chunks for r in rows] == [
        r.id for r in (await store.page(IncidentFilter(text="代购渠"))).rows]


# --- the CSV export ---------------------------------------------------------------

async def test_the_export_writes_what_the_incident_rows_give(repo):
    """The export reads only the columns it shows, with their times made
    China-time text by the database: its CSV is the one the full incident
    rows make, times cut to the second (never rounded up) included."""
    import io

    from qungui.core.events import Member, Room
    from qungui.review.export import write_csv

    await repo.save_room(Room(id="r1", topic="=招商引资专项工作群"))
    await repo.save_member("r1", Member("u2", "张伟", "@SUM(张科长)"))
    await repo.record([row("a", ts=at(20, 23, 59) + timedelta(seconds=59, microseconds=999_999),
                           evidence="-2+3", excerpt="正常文本")])
    await repo.record([row("b", rule="rumor", ts=at(21, 0) + timedelta(microseconds=500),
                           sender="u3", name="", reason="=1+1")])
    await repo.records.file_report("r1", "report:1", at(21, 9), "有人在群里拉票", "")
    store = store_of(repo)
    ids = [r.id for r in (await store.page(IncidentFilter())).rows]
    await store.review(ids[0], "web:甲", "dismiss", note="@张三 看错了")
    await store.review(ids[1], "wechat:u2", "confirm")
    titles = {"ads": "广告推销"}

    exported = io.StringIO()
    async for rows, names in store.export_chunks(IncidentFilter(), chunk=2):
        write_csv(exported, rows, header=False, names=names, titles=titles)
    full = io.StringIO()
    async with repo.sessions() as s:
        incidents = list(await s.scalars(select(IncidentRow).where(*IncidentFilter().conditions())
                                         .order_by(IncidentRow.ts.desc(), IncidentRow.id.desc())))
        names = await store._names(s, incidents, notes=True)
    write_csv(full, incidents, header=False, names=names, titles=titles)
    assert exported.getvalue() == full.getvalue()
    lines = exported.getvalue().splitlines()
    assert len(lines) == 3 and "2026-11-20 23:59:59" in lines[2]


async def test_an_export_stopped_early_leaves_the_store_working(repo):
    store = store_of(repo)
    for i in range(5):
        await repo.record([row(f"e{i}", ts=at(20, 9, i))])
    chunks = store.export_chunks(IncidentFilter(), chunk=2)
    async for rows, _ in chunks:          # the next chunk is being read ahead meanwhile
        assert [r.key is not None for r in rows] == [True, True]
        break
    await chunks.aclose()
    assert len((await store.page(IncidentFilter())).rows) == 5
