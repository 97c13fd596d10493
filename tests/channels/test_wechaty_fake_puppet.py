"""The WeChat channel end to end through the real wechaty classes (Wechaty,
Room, Contact, Message and the event bridge) over wechaty's FakePuppet: no
WeChat account, the real engine and a real database on the other side."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import pytest

from qungui.channels.wechaty import WechatyChannel, load_wechaty
from tests.channels.conftest import ROOM
from tests.channels.fakes import BOT_ID, outbox_empty, serving, until

from wechaty_puppet import MessageType  # noqa: E402  (after load_wechaty in fakes)

SEP = "\u2005"


@contextlib.asynccontextmanager
async def running(moderator, puppet, tmp_path, **kw):
    channel = WechatyChannel(moderator, moderator.directory, puppet,
                             sending=moderator.rulebook.sending, outbox=moderator.repo.outbox,
                             outbox_dir=tmp_path / "outbox", **kw)
    async with serving(channel):
        yield channel


async def settle(channel):
    """Every event handled and every outbox row sent."""
    await asyncio.wait_for(channel.inbox.join(), 10)
    await outbox_empty(channel.engine.repo)


async def test_violation_is_warned_with_a_highlighted_mention(live_moderator, puppet, tmp_path):
    async with running(live_moderator, puppet, tmp_path) as channel:
        assert live_moderator.bot_id == BOT_ID
        puppet.say(ROOM, "u2", "机密★1年 关于XX项目用地调整的内部方案，先发大家看看")
        await settle(channel)
    room_msgs = [s for s in puppet.sent if s[0] == ROOM]
    assert len(room_msgs) == 1
    _, text, mentions = room_msgs[0]
    assert mentions == ["u2"]
    assert text.startswith(f"@张伟-发改委-科长{SEP}温馨提醒：您发送的内容疑似涉密")
    assert "用地调整" not in text          # the warning never repeats classified content
    # classified material is also reported to the owner, privately
    owner = [s for s in puppet.sent if s[0] == "u1"]
    assert len(owner) == 1 and "疑似涉密" in owner[0][1] and owner[0][2] == []
    # the room was read from the puppet: owner resolved with room.owner(), nicknames per room
    room = live_moderator.room(ROOM)
    assert room.owner_id == "u1" and room.topic == "招商引资专项工作群"
    assert room.members["u3"].alias == "王芳-财政局-科员"
    rows = await live_moderator.repo.incidents(room_id=ROOM)
    assert [(r.rule, r.action) for r in rows] == [("classified", "warn")]


async def test_red_envelope_and_transfer_are_recognised_by_type(live_moderator, puppet, tmp_path):
    async with running(live_moderator, puppet, tmp_path) as channel:
        puppet.say(ROOM, "u3", "<msg><appmsg><title>恭喜发财，大吉大利</title>"
                   "<wcpayinfo><receivertitle>恭喜发财，大吉大利</receivertitle></wcpayinfo>"
                   "</appmsg></msg>", type=MessageType.MESSAGE_TYPE_RED_ENVELOPE)
        puppet.say(ROOM, "u4", "<msg><appmsg><des>收到转账200.00元</des><wcpayinfo>"
                   "<feedesc><![CDATA[￥200.00]]></feedesc></wcpayinfo></appmsg></msg>",
                   type=MessageType.MESSAGE_TYPE_TRANSFER)
        await settle(channel)
    rows = await live_moderator.repo.incidents(room_id=ROOM)
    assert sorted((r.sender_id, r.rule) for r in rows) == [("u3", "red_envelope"),
                                                           ("u4", "red_envelope")]
    warned = {tuple(s[2]): s[1] for s in puppet.sent if s[0] == ROOM}
    assert set(warned) == {("u3",), ("u4",)}
    assert warned[("u3",)].startswith(f"@王芳-财政局-科员{SEP}")
    assert "红包" in warned[("u3",)]


async def test_owner_command_is_answered_and_an_impostor_refused(live_moderator, puppet, tmp_path):
    async with running(live_moderator, puppet, tmp_path) as channel:
        # "@群规助手 /status" from the owner: the leading mention is not part of the command
        puppet.say(ROOM, "u1", f"@群规助手{SEP}/status", mention_ids=[BOT_ID])
        await settle(channel)
        # a member renames themselves to the owner's nickname: still refused (ids, not names)
        puppet.add_member(ROOM, "u4", "赵强", "李明-商务局-局长")
        puppet.say(ROOM, "u4", "/status")
        await settle(channel)
    replies = [s for s in puppet.sent if s[0] == ROOM]
    assert len(replies) == 2
    to_owner, to_impostor = replies
    assert to_owner[2] == ["u1"] and to_owner[1].startswith(f"@李明-商务局-局长{SEP}")
    assert "群规" in to_owner[1] or "规则" in to_owner[1]
    assert to_impostor[2] == ["u4"]
    assert to_impostor[1] != to_owner[1]


async def test_join_with_bad_nickname_is_reminded_and_leave_is_recorded(live_moderator, puppet,
                                                                        tmp_path):
    async with running(live_moderator, puppet, tmp_path) as channel:
        puppet.add_member(ROOM, "u9", "小王")
        puppet.join(ROOM, ["u9"], "u1")
        await settle(channel)
        assert "u9" in live_moderator.room(ROOM).members
        puppet.leave(ROOM, ["u9"], "u1")
        await settle(channel)
        assert "u9" not in live_moderator.room(ROOM).members
    reminder = [s for s in puppet.sent if s[0] == ROOM]
    assert len(reminder) == 1
    assert reminder[0][2] == ["u9"]
    assert reminder[0][1].startswith(f"@小王{SEP}欢迎入群！") and "姓名-单位-职务" in \
        live_moderator.rulebook.clauses[11]
    rows = await live_moderator.repo.incidents(room_id=ROOM)
    assert [(r.sender_id, r.rule) for r in rows] == [("u9", "realname")]


async def test_bot_added_posts_greeting_and_rules(live_moderator, puppet, tmp_path):
    puppet.add_room("r2@chatroom", "项目指挥部群", "u1", [("u1", "李明", "李明-商务局-局长")],
                    with_bot=False)
    async with running(live_moderator, puppet, tmp_path) as channel:
        puppet.add_member("r2@chatroom", BOT_ID, "群规助手")
        puppet.join("r2@chatroom", [BOT_ID], "u1")
        await settle(channel)
    greeting = [s for s in puppet.sent if s[0] == "r2@chatroom"]
    assert len(greeting) == 1 and greeting[0][2] == []
    assert "群规助手" in greeting[0][1] and "【工作群群规】" in greeting[0][1]
    assert "1. 本群为工作群" in greeting[0][1]
    assert live_moderator.room("r2@chatroom").owner_id == "u1"


async def test_own_messages_never_trigger_rules(live_moderator, puppet, tmp_path):
    async with running(live_moderator, puppet, tmp_path) as channel:
        puppet.say(ROOM, BOT_ID, "温馨提醒：您发送的内容疑似涉密（机密★1年），请立即撤回。")
        await settle(channel)
        assert channel.stats.own == 1
    assert puppet.sent == []
    assert await live_moderator.repo.incidents(room_id=ROOM) == []


async def test_stale_replay_is_logged_not_warned(live_moderator, puppet, tmp_path):
    hour_ago = time.time() - 3600
    async with running(live_moderator, puppet, tmp_path) as channel:
        puppet.say(ROOM, "u2", "机密★1年 关于XX项目的内部方案", ts=hour_ago)
        puppet.say(ROOM, "u1", "/status", ts=hour_ago)      # an old command is not answered
        await settle(channel)
        assert channel.stats.stale == 2
    assert puppet.sent == []
    rows = await live_moderator.repo.incidents(room_id=ROOM)
    assert [(r.rule, r.action) for r in rows] == [("classified", "review")]


async def test_duplicate_delivery_warns_once_even_after_a_restart(repo, plugins, fast_rulebook,
                                                                  matcher, puppet, tmp_path):
    from qungui.app import build_moderator
    from wechaty.utils.async_helper import SingleIdContainer

    async def fresh_moderator():
        m = build_moderator(repo, fast_rulebook, plugins, matcher, durable=True)
        await m.start()
        return m

    dup = f"dup-{uuid.uuid4().hex}"
    first = await fresh_moderator()
    async with running(first, puppet, tmp_path) as channel:
        puppet.say(ROOM, "u2", "代购面膜，原价399现价99，加微信 wxdemo2026", message_id=dup)
        puppet.say(ROOM, "u2", "代购面膜，原价399现价99，加微信 wxdemo2026", message_id=dup)
        await settle(channel)
    assert len([s for s in puppet.sent if s[0] == ROOM]) == 1
    # a new process (wechaty's in-memory de-duplication is gone) gets the same message again
    SingleIdContainer._instance = None
    second = await fresh_moderator()
    async with running(second, puppet, tmp_path) as channel:
        puppet.say(ROOM, "u2", "代购面膜，原价399现价99，加微信 wxdemo2026", message_id=dup)
        await settle(channel)
        assert channel.stats.duplicates == 1
    assert len([s for s in puppet.sent if s[0] == ROOM]) == 1
    assert len(await repo.incidents(room_id=ROOM)) == 1


async def test_topic_and_owner_changes_reach_the_engine(live_moderator, puppet, tmp_path):
    async with running(live_moderator, puppet, tmp_path) as channel:
        puppet.say(ROOM, "u3", "收到")
        await settle(channel)
        assert live_moderator.room(ROOM).owner_id == "u1"
        # ownership handed over, then the group renamed: the refresh picks up both
        puppet.get_fake_room(ROOM).owner_id = "u3"
        puppet.rename(ROOM, "招商引资专项工作群（2027）", "u3")
        await settle(channel)
    room = live_moderator.room(ROOM)
    assert room.topic == "招商引资专项工作群（2027）"
    assert room.owner_id == "u3"
    stored = {r.id: r for r in await live_moderator.repo.load_rooms()}
    assert stored[ROOM].owner_id == "u3"


async def test_mentions_in_incoming_text_are_resolved_to_ids(live_moderator, puppet, tmp_path):
    async with running(live_moderator, puppet, tmp_path) as channel:
        room = await channel.room_state(ROOM)
        payload = puppet.get_fake_message(
            puppet.say(ROOM, "u2", f"@李明-商务局-局长{SEP}@王芳{SEP}请审阅附件"))
        event = channel.message_event(payload, room)
        await settle(channel)
    assert event.mention_ids == ("u1", "u3")
    assert event.text == f"@李明-商务局-局长{SEP}@王芳{SEP}请审阅附件"


async def test_failed_send_is_retried(live_moderator, puppet, tmp_path):
    puppet.fail_sends = 2
    async with running(live_moderator, puppet, tmp_path) as channel:
        puppet.say(ROOM, "u2", "代购面膜，原价399现价99，加微信 wxdemo2026")
        await settle(channel)
        assert channel.outbound.stats.retried == 2
    assert len([s for s in puppet.sent if s[0] == ROOM]) == 1


async def test_a_broken_event_is_reported_and_the_bot_carries_on(live_moderator, puppet, tmp_path,
                                                                 caplog):
    async with running(live_moderator, puppet, tmp_path) as channel:
        channel.inbox.put_nowait(("message", (object(),)))   # not a wechaty Message
        puppet.say(ROOM, "u2", "代购面膜，原价399现价99，加微信 wxdemo2026")
        await settle(channel)
        assert channel.stats.errors == 1
    assert len([s for s in puppet.sent if s[0] == ROOM]) == 1
    assert "could not handle a message event" in caplog.text


async def test_private_report_is_filed_without_naming_the_reporter(live_moderator, puppet, tmp_path):
    async with running(live_moderator, puppet, tmp_path) as channel:
        # a private chat has no room id; the text goes to the engine's private commands
        puppet.say("", "u3", "/举报 有人在群里用化名推销保健品")
        await settle(channel)
    to_reporter = [s for s in puppet.sent if s[0] == "u3"]
    assert len(to_reporter) == 1 and to_reporter[0][2] == []
    to_owner = [s for s in puppet.sent if s[0] == "u1"]
    assert len(to_owner) == 1 and "王芳" not in to_owner[0][1] and "u3" not in to_owner[0][1]
    reports = await live_moderator.repo.incidents(kind="report")
    assert len(reports) == 1 and reports[0].room_id == ROOM and reports[0].sender_id == ""
    assert not [s for s in puppet.sent if s[0] == ROOM]     # nothing said in the group


async def test_daily_report_reminder_is_posted_by_the_channel(live_moderator, puppet, tmp_path):
    from datetime import datetime, timedelta
    from qungui.core.events import CHINA_TZ
    now = datetime(2026, 11, 20, 17, 59, tzinfo=CHINA_TZ)
    async with running(live_moderator, puppet, tmp_path, wall=lambda: now) as channel:
        puppet.say(ROOM, "u1", "/report-due 18:00", ts=now.timestamp())
        await settle(channel)
        from qungui.channels.ticker import tick_once
        assert await tick_once(live_moderator, channel, now + timedelta(minutes=2)) >= 1
        await settle(channel)
    reminders = [s for s in puppet.sent if s[0] == ROOM and "汇报" in s[1]]
    assert reminders, puppet.sent
