"""Group duties: daily work reports across a day boundary with an injected
clock, the reminder at the due time, and the real-name check on joining and
on /checknames."""

from __future__ import annotations

from datetime import datetime

from qungui.core.actions import Send
from qungui.core.events import CHINA_TZ, Member, MemberJoined, Message
from tests.test_owner_commands import make_admin, restarted, say


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA_TZ)


def msg(n: str, sender: str, ts: datetime, text: str) -> Message:
    return Message(id=n, room_id="r1", sender_id=sender, ts=ts, text=text)


REPORT = "【工作汇报】今日对接客商两家，完成项目材料初审。"


async def test_daily_report_cycle_across_midnight(moderator, repo, clock, plugins, rulebook,
                                                   matcher):
    clock.t = at(20, 8, 0)
    assert "未开启" in (await say(moderator, clock, "/unreported")).actions[0].text
    await say(moderator, clock, "/report-due 18:00")

    # day one: u2 reports in the morning, u3 just before midnight; u4 never
    await moderator.handle(msg("d1", "u2", at(20, 9, 30), REPORT))
    await moderator.handle(msg("d1b", "u2", at(20, 10, 0), REPORT + "（补充）"))  # counted once
    await moderator.handle(msg("d1c", "u4", at(20, 11, 0), "工作汇报我晚点发"))    # no marker
    assert await moderator.tick(at(20, 17, 59)) == []                            # not yet due
    [reminder] = await moderator.tick(at(20, 18, 0))
    assert isinstance(reminder, Send) and set(reminder.mention_ids) == {"u3", "u4"}
    assert "截止18:00" in reminder.text and "【工作汇报】" in reminder.text
    assert await moderator.tick(at(20, 18, 30)) == []                            # once a day

    # a restart the same evening does not remind again
    fresh = await restarted(repo, plugins, rulebook, matcher)
    assert await fresh.tick(at(20, 19, 0)) == []

    await fresh.handle(msg("d1d", "u3", at(20, 23, 59), "  " + REPORT))
    clock.t = at(20, 23, 50)          # the command comes at 23:52
    unreported = (await say(fresh, clock, "/未汇报")).actions[0].text
    assert "2026-11-20" in unreported and "赵强" in unreported
    assert "张伟" not in unreported and "王芳" not in unreported

    # day two: everyone owes a new report
    await fresh.handle(msg("d2", "u3", at(21, 0, 1), REPORT))
    clock.t = at(21, 9, 0)
    day2 = (await say(fresh, clock, "/unreported")).actions[0].text
    assert "2026-11-21" in day2 and "张伟" in day2 and "赵强" in day2 and "王芳" not in day2
    assert "李明" not in day2                                  # the owner receives reports
    [reminder2] = await fresh.tick(at(21, 18, 1))
    assert set(reminder2.mention_ids) == {"u2", "u4"}
    assert await fresh.records.reported("r1", "2026-11-20") == {"u2", "u3"}
    assert await fresh.records.reported("r1", "2026-11-21") == {"u3"}


async def test_no_reminder_when_all_reported_or_turned_off(moderator, clock):
    clock.t = at(20, 8)
    await say(moderator, clock, "/report-due 17:30")
    for i, member in enumerate(("u2", "u3", "u4")):
        await moderator.handle(msg(f"a{i}", member, at(20, 9 + i), REPORT))
    assert await moderator.tick(at(20, 18)) == []
    await say(moderator, clock, "/汇报时间 17:30 不提醒")
    assert await moderator.tick(at(21, 18)) == []
    await say(moderator, clock, "/report-due off")
    assert "未开启" in (await say(moderator, clock, "/unreported")).actions[0].text
    await moderator.handle(msg("late", "u2", at(21, 9), REPORT))
    assert await moderator.records.reported("r1", "2026-11-21") == set()


async def test_quiet_room_gets_no_reminder(moderator, clock):
    clock.t = at(20, 8)
    await say(moderator, clock, "/report-due 18:00")
    await say(moderator, clock, "/quiet on")
    assert await moderator.tick(at(20, 18, 5)) == []


async def test_report_duties_permissions(moderator, clock):
    from tests.test_owner_commands import impostor
    impostor(moderator)
    assert (await say(moderator, clock, "/report-due 18:00", "u4")).action == "refused"
    assert (await say(moderator, clock, "/unreported", "u4")).action == "refused"
    await make_admin(moderator, clock, "u2")
    assert "已开启" in (await say(moderator, clock, "/report-due 18:00", "u2")).actions[0].text


async def test_realname_check_on_join_follows_the_room(moderator, repo, clock):
    out = await moderator.handle(MemberJoined("r1", Member("u9", "小王", "小王🌸"), clock.t, "u2"))
    assert out.action == "warn" and out.actions[0].mention_ids == ("u9",)
    assert "姓名-单位-职务" in out.actions[0].text
    await say(moderator, clock, "/disable realname")
    quiet = await moderator.handle(MemberJoined("r1", Member("u8", "小李", "小李"), clock.t, "u2"))
    assert quiet.action == "none" and quiet.actions == []


async def test_checknames_mentions_the_wrong_nicknames(moderator, clock):
    room = moderator.room("r1")
    room.members["u5"] = Member("u5", "小刘", "小刘")
    room.members["u6"] = Member("u6", "陈静", "陈静－统计局－科员")      # full-width dashes are fine
    from tests.test_owner_commands import impostor
    impostor(moderator)
    assert (await say(moderator, clock, "/checknames", "u4")).action == "refused"
    out = await say(moderator, clock, "/实名检查", "u1")
    send = out.actions[0]
    assert send.mention_ids == ("u1", "u5") and "1位成员" in send.text
    room.members["u5"] = Member("u5", "小刘", "刘洋-统计局-科员")
    out = await say(moderator, clock, "/检查昵称", "u1")
    assert "均符合" in out.actions[0].text
