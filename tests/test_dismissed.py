"""Dismissed near-duplicates: a false alarm a reviewer dismissed is not
reported again in that room under that rule when a message means the same
(sentence vectors from the real encoder, multilingual-e5-small), on real
SQLite and PostgreSQL databases, across restarts, and not while the store is
down. Secret rules are never remembered nor stood down."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import func, select

from qungui.app import build_moderator, rule_specs
from qungui.core.embedding import encoder, pack
from qungui.core.events import RoomSnapshot
from qungui.core.ports import IncidentIn
from qungui.pipeline.reviewed import NEAR_DUPLICATE, STAGE
from qungui.storage.models import DismissalRow
from qungui.storage.repository import Repository
from qungui.storage.review import IncidentFilter, ReviewStore
from tests.conftest import T0, Outage, work_room

# off-topic by its lexicon, yet a match the unions organize: a false alarm here
BASKETBALL = "篮球赛第三轮：周二晚七点，水利局对交通局"
BASKETBALL_AGAIN = "篮球赛第三轮：周二晚上七点，水利局对交通局。"       # cosine 0.994
PICKUP_GAME = "今晚有人去打篮球吗？老地方"                               # 0.895: chat
# a denial that quotes the rumour, and the rumour itself: cosine 0.954
DENIAL = "【辟谣】网传“上游水库今晚泄洪淹县城”系谣言，目前水库水位正常，请勿转发。"
RUMOUR = "网传上游水库今晚要泄洪了！下游的赶紧转移！！大家赶紧转发给家里人"
# the classified rule (secret) on a reminder: a false alarm that is never remembered
SECRET_REMINDER = "洽谈中涉及企业商业秘密的材料不要外传，这是基本要求。"
SECRET_REMINDER_AGAIN = "洽谈中涉及企业商业秘密的材料不要外传，这是基本要求！"


def rules(outcome) -> set[str]:
    return {f.rule for f in outcome.findings}


def stood_down(outcome) -> list[dict]:
    return [t for t in outcome.trace if t.get("plugin") == STAGE and t.get("stood_down")]


async def engine(repo, rulebook, plugins, matcher):
    """An engine without the learned stage: these false alarms are the
    lexicons' own, whatever a model makes of them."""
    rulebook = replace(rulebook, learned=replace(rulebook.learned, enabled=False))
    m = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid")
    await m.start()
    await m.handle(RoomSnapshot(work_room()))
    await m.handle(RoomSnapshot(work_room("r2")))
    return m


async def dismiss(repo, plugins, rule: str, reviewer: str = "web:li", **kw) -> int:
    store = ReviewStore(repo, rule_specs(plugins), **kw)
    rows, _ = await store.incidents(IncidentFilter(rule=rule, status="open"))
    await store.review(rows[0].id, reviewer, "dismiss")
    return rows[0].id


async def remembered(repo) -> list[DismissalRow]:
    async with repo.sessions() as s:
        return list(await s.scalars(select(DismissalRow).order_by(DismissalRow.id)))


def test_the_threshold_sits_between_rewordings_and_other_messages():
    e = encoder()
    near = e.encode([BASKETBALL, BASKETBALL_AGAIN])
    other = e.encode([DENIAL, RUMOUR])
    assert float(near[0] @ near[1]) >= NEAR_DUPLICATE > float(other[0] @ other[1]) > 0.95


async def test_a_near_duplicate_of_a_dismissed_false_alarm_is_stood_down(
        repo, rulebook, plugins, matcher, clock):
    m = await engine(repo, rulebook, plugins, matcher)
    first = await m.handle(clock.msg(BASKETBALL, "u2"))
    assert first.action == "warn" and rules(first) == {"off_topic"}
    incident = await dismiss(repo, plugins, "off_topic")
    (row,) = await remembered(repo)
    assert (row.room_id, row.rule, row.incident_id, row.reviewer) == ("r1", "off_topic", incident,
                                                                      "web:li")
    assert row.ts is not None and len(row.vector) == 2 * 384
    m.reviewed.ttl = 0                         # the review page writes from another process
    again = await m.handle(clock.msg(BASKETBALL_AGAIN, "u3"))
    assert again.action == "none" and again.findings == []
    (entry,) = stood_down(again)
    assert entry["rule"] == "off_topic" and entry["dismissed_incident"] == incident
    assert entry["cosine"] >= NEAR_DUPLICATE and f"#{incident}" in entry["note"]
    # the same rule on a different message still fires, and so does another room
    other = await m.handle(clock.msg(PICKUP_GAME, "u4"))
    assert "off_topic" in rules(other) and other.action == "warn" and not stood_down(other)
    elsewhere = await m.handle(clock.msg(BASKETBALL_AGAIN, "u3", room="r2"))
    assert elsewhere.action == "warn" and not stood_down(elsewhere)


async def test_a_message_on_the_same_theme_is_not_a_near_duplicate(
        repo, rulebook, plugins, matcher, clock):
    """A denial dismissed as a rumour false alarm does not let the rumour it
    quotes through (cosine 0.954: under the threshold)."""
    await repo.record([IncidentIn(room_id="r1", message_id="denial", rule="rumor", sender_id="u2",
                                  ts=T0, score=0.7, excerpt=DENIAL, action="warn")])
    incident = await dismiss(repo, plugins, "rumor")
    assert [r.incident_id for r in await remembered(repo)] == [incident]
    m = await engine(repo, rulebook, plugins, matcher)
    out = await m.handle(clock.msg(RUMOUR, "u3"))
    assert out.action == "warn" and "rumor" in rules(out) and not stood_down(out)


async def test_a_secret_rule_is_never_remembered_nor_stood_down(
        repo, rulebook, plugins, matcher, clock):
    m = await engine(repo, rulebook, plugins, matcher)
    assert "classified" in rules(await m.handle(clock.msg(SECRET_REMINDER, "u2")))
    await dismiss(repo, plugins, "classified")
    assert await remembered(repo) == []
    # even a remembered vector (written by hand) never stands a secret rule down
    (row,), _ = await ReviewStore(repo).incidents(IncidentFilter(rule="classified"))
    async with repo.sessions.begin() as s:
        s.add(DismissalRow(room_id="r1", rule="classified", incident_id=row.id, reviewer="x",
                           ts=T0, vector=pack(encoder().encode_one(SECRET_REMINDER))))
    m.reviewed.ttl = 0
    again = await m.handle(clock.msg(SECRET_REMINDER_AGAIN, "u3"))
    assert again.action == "warn" and "classified" in rules(again) and not stood_down(again)


async def test_no_vector_of_a_message_any_secret_rule_found_something_in(
        repo, rulebook, plugins, matcher, clock):
    """Another rule's false alarm on a message the classified rule also
    flagged: the stored copy holds only a marking and a hash; nothing is
    remembered of it."""
    await repo.record([
        IncidentIn(room_id="r1", message_id="both", rule="classified", sender_id="u2", ts=T0,
                   score=0.9, excerpt="不要外传（内容已隐去 sha256:0123456789abcdef）"),
        IncidentIn(room_id="r1", message_id="both", rule="ads", sender_id="u2", ts=T0,
                   score=0.8, excerpt="不要外传（内容已隐去 sha256:0123456789abcdef）")])
    await dismiss(repo, plugins, "ads")
    assert await remembered(repo) == []


async def test_the_memory_survives_a_restart(db_url, tmp_path_factory, rulebook, plugins,
                                             matcher, clock):
    spool = tmp_path_factory.mktemp("spool") / "incidents.jsonl"
    repo = await Repository.open(db_url, spool_path=spool)
    try:
        m = await engine(repo, rulebook, plugins, matcher)
        await m.handle(clock.msg(BASKETBALL, "u2"))
        incident = await dismiss(repo, plugins, "off_topic")
    finally:
        await repo.close()
    repo = await Repository.open(db_url, spool_path=spool)      # the bot restarted
    try:
        fresh = await engine(repo, rulebook, plugins, matcher)
        out = await fresh.handle(clock.msg(BASKETBALL_AGAIN, "u3"))
        assert out.action == "none"
        assert [t["dismissed_incident"] for t in stood_down(out)] == [incident]
    finally:
        await repo.close()


async def test_while_the_store_is_down_nothing_is_stood_down_and_a_warning_says_so(
        db_url, tmp_path_factory, rulebook, plugins, matcher, clock, caplog):
    spool = tmp_path_factory.mktemp("spool") / "incidents.jsonl"
    repo = await Repository.open(db_url, spool_path=spool)
    try:
        m = await engine(repo, rulebook, plugins, matcher)
        await m.handle(clock.msg(BASKETBALL, "u2"))
        await dismiss(repo, plugins, "off_topic")
        fresh = await engine(repo, rulebook, plugins, matcher)   # a restart, then an outage
        async with Outage(db_url, repo):
            with caplog.at_level(logging.WARNING, logger="qungui.pipeline.reviewed"):
                out = await fresh.handle(clock.msg(BASKETBALL_AGAIN, "u3"))
            assert "off_topic" in rules(out) and out.action == "warn" and not stood_down(out)
            assert "dismissed false alarms of room r1 not readable" in caplog.text
            assert "no near-duplicate is stood down" in caplog.text
        fresh.reviewed.ttl = 0                   # the database is back
        again = await fresh.handle(clock.msg(BASKETBALL_AGAIN + "！", "u4"))
        assert again.action == "none" and stood_down(again)
    finally:
        await repo.close()


async def test_confirming_or_reopening_forgets_and_the_room_keeps_the_newest(repo, plugins):
    for i in range(4):
        await repo.record([IncidentIn(room_id="r1", message_id=f"m{i}", rule="off_topic",
                                      sender_id="u2", ts=T0, score=0.8,
                                      excerpt=f"篮球赛第{i + 1}轮：周二晚七点，水利局对交通局")])
    store = ReviewStore(repo, rule_specs(plugins), keep=3)
    rows, _ = await store.incidents(IncidentFilter(rule="off_topic"))
    ids = sorted(r.id for r in rows)
    assert len(ids) == 4
    for i in ids:
        await store.review(i, "web:li", "dismiss")
    assert [r.incident_id for r in await remembered(repo)] == ids[1:]     # the oldest went
    await store.review(ids[1], "web:li", "confirm")
    await store.review(ids[2], "web:li", "reopen")
    assert [r.incident_id for r in await remembered(repo)] == ids[3:]
    await store.review(ids[2], "web:li", "dismiss")           # dismissed again: remembered again
    assert sorted(r.incident_id for r in await remembered(repo)) == [ids[2], ids[3]]


async def test_the_vector_is_computed_only_for_a_finding_of_a_remembered_rule(
        repo, rulebook, plugins, matcher, clock):
    m = await engine(repo, rulebook, plugins, matcher)
    await m.handle(clock.msg(BASKETBALL, "u2"))
    await dismiss(repo, plugins, "off_topic")
    texts: list[str] = []

    def counting(text):
        texts.append(text)
        return encoder().encode_one(text)

    m.reviewed._encode = counting
    m.reviewed.ttl = 0
    for text in ("收到", "明天上午九点在三楼会议室召开招商项目推进会", "请各单位周五前报送项目进展"):
        assert (await m.handle(clock.msg(text, "u3"))).action == "none"
    ads = await m.handle(clock.msg("自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456", "u3"))
    assert ads.action == "warn" and texts == []          # ads has no dismissal in this room
    await m.handle(clock.msg(PICKUP_GAME, "u4"))
    assert texts == [PICKUP_GAME]


async def test_the_store_counts_and_reloads_only_on_change(repo, rulebook, plugins, matcher,
                                                         clock):
    m = await engine(repo, rulebook, plugins, matcher)
    assert await repo.dismissals_stamp("r1") == (0, 0)
    await m.handle(clock.msg(BASKETBALL, "u2"))
    await dismiss(repo, plugins, "off_topic")
    count, newest = await repo.dismissals_stamp("r1")
    assert count == 1 and newest > 0
    (d,) = await repo.dismissals("r1")
    assert d.rule == "off_topic" and d.room_id == "r1" and len(d.vector) == 768
    async with repo.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(DismissalRow)) == 1
    assert await repo.dismissals("r2") == []
