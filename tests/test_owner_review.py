"""The owner answers the bot's private note: 确认 / 撤销 with the incident's
number, recorded as the web review records a decision, on real storage."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from qungui.app import build_moderator
from qungui.core.actions import SendPrivate
from qungui.core.events import Member, PrivateMessage, Room, RoomSnapshot
from qungui.core.ports import INCIDENT_HINT, INCIDENT_NUMBER, fill_incident
from qungui.storage.models import DismissalRow, OutboxRow
from qungui.storage.review import ReviewStore
from tests.conftest import MEMBERS, work_room
from tests.test_owner_commands import ADS, CLASSIFIED, impostor, say

MARKS = {INCIDENT_NUMBER, INCIDENT_HINT}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


async def escalate(moderator, clock, sender="u3", room="r1"):
    """Three warnings to ``sender``: the third tells the room's owner. Returns
    the owner's note and the number of the incident it is about."""
    out = None
    for i in range(3):
        clock.t += timedelta(minutes=10)          # past the warning cooldown
        out = await moderator.handle(clock.msg(ADS.replace("199", str(300 + i)), sender, room=room))
        assert out.action == "warn"
    notes = [a for a in out.actions if isinstance(a, SendPrivate) and a.contact_id != sender]
    assert len(notes) == 1
    incident = (await moderator.repo.incidents(room_id=room, sender_id=sender, limit=1))[0]
    return notes[0], incident.id


def private(clock, text, sender="u1"):
    clock.n += 1
    clock.t += timedelta(seconds=30)
    return PrivateMessage(f"p{clock.n}", sender, clock.t, text)


async def answer(moderator, clock, text, sender="u1") -> str:
    out = await moderator.handle(private(clock, text, sender))
    [reply] = [a for a in out.actions if isinstance(a, SendPrivate) and a.contact_id == sender]
    return reply.text


async def status(repo, number):
    detail = await ReviewStore(repo).incident(number, context=0)
    return detail.incident.status, detail.incident.reviewed_by, detail


async def test_the_owners_note_carries_the_number_and_how_to_answer(moderator, repo, clock):
    note, number = await escalate(moderator, clock)
    assert note.contact_id == "u1"
    assert f"编号 {number}" in note.text
    assert f"回复“确认 {number}”或“撤销 {number} 理由”" in note.text
    assert MARKS.isdisjoint(note.text)
    # the incident keeps what was said, without the marks and without the number line
    row = (await repo.incidents(sender_id="u3", limit=1))[0]
    assert MARKS.isdisjoint(row.warning_text) and "3次" in row.warning_text


async def test_a_classified_note_is_numbered_and_the_answer_quotes_nothing(moderator, repo, clock):
    out = await moderator.handle(clock.msg(CLASSIFIED))
    [note] = [a for a in out.actions if isinstance(a, SendPrivate) and a.contact_id == "u1"]
    number = (await repo.incidents(limit=1))[0].id
    assert f"确认 {number}" in note.text and "城东片区" not in note.text
    reply = await answer(moderator, clock, f"确认 {number}")
    assert reply.startswith(f"已确认编号 {number}") and "涉密" in reply
    assert "城东片区" not in reply and "机密★" not in reply
    assert (await status(repo, number))[0] == "confirmed"


async def test_the_owner_confirms_as_the_web_review_would(moderator, repo, clock):
    _, number = await escalate(moderator, clock)
    reply = await answer(moderator, clock, f"确认 {number}")
    assert reply == (f"已确认编号 {number}（「招商引资专项工作群」成员 王芳-财政局-科员 涉及“广告推销”），"
                     f"已记入审核记录。")
    state, who, detail = await status(repo, number)
    assert (state, who) == ("confirmed", "wechat:u1")
    [review] = detail.reviews
    assert (review.reviewer, review.decision, review.note) == ("wechat:u1", "confirm", "")
    # the review page names the owner, not the contact id
    assert detail.names.reviewer("r1", who) == "李明-商务局-局长"
    names = await ReviewStore(repo).names([detail.incident])
    assert names.reviewer("r1", who) == "李明-商务局-局长"
    audit = (await repo.audit_log("r1", limit=1))[0]
    assert (audit.actor_id, audit.action, audit.target, audit.after) == \
        ("wechat:u1", "confirm", f"incident:{number}", "confirmed")


@pytest.mark.parametrize("form, full_width", [("/撤销 {n} 不是广告，是工会福利", False),
                                              ("撤销{n}　不是广告，是工会福利", True),
                                              ("/dismiss #{n} 不是广告，是工会福利", True)])
async def test_the_owner_dismisses_with_a_reason(moderator, repo, clock, form, full_width):
    _, number = await escalate(moderator, clock)
    allow_before = (await moderator.settings.get("r1")).allow
    text = form.format(n=str(number).translate(FULL_WIDTH) if full_width else number)
    reply = await answer(moderator, clock, text)
    assert reply.startswith(f"已撤销编号 {number}（") and "理由：不是广告，是工会福利" in reply
    state, who, detail = await status(repo, number)
    assert (state, who) == ("dismissed", "wechat:u1")
    assert detail.reviews[-1].note == "不是广告，是工会福利"
    assert detail.reviews[-1].allow_phrase is None
    assert (await moderator.settings.get("r1")).allow == allow_before   # no allow phrase filed
    # remembered in the group as any dismissal is (a near-duplicate is not reported again)
    async with repo.sessions() as s:
        remembered = list(await s.scalars(select(DismissalRow.reviewer).where(
            DismissalRow.incident_id == number)))
    assert remembered == ["wechat:u1"]


async def test_a_dismissal_needs_no_reason_and_an_operator_may_answer(moderator, repo, clock):
    _, number = await escalate(moderator, clock)
    reply = await answer(moderator, clock, f"撤销 {number}", sender="op1")
    assert reply.startswith(f"已撤销编号 {number}") and "理由" not in reply
    state, who, detail = await status(repo, number)
    assert (state, who, detail.reviews[-1].note) == ("dismissed", "wechat:op1", "")


async def test_a_member_wearing_the_owners_nickname_is_refused(moderator, repo, clock):
    _, number = await escalate(moderator, clock)
    impostor(moderator)                              # u4 now calls themselves 李明
    reply = await answer(moderator, clock, f"确认 {number}", sender="u4")
    assert reply == f"编号 {number} 不是您担任群主的群的记录，您无权处置。"
    assert (await status(repo, number))[:2] == ("open", None)
    audit = (await repo.audit_log("r1", limit=1))[0]
    assert (audit.actor_id, audit.action, audit.target) == ("u4", "refused", f"/确认 {number}")


async def test_an_unknown_number_and_a_malformed_answer(moderator, repo, clock):
    _, number = await escalate(moderator, clock)
    assert await answer(moderator, clock, f"确认 {number + 1000}") == \
        f"没有编号 {number + 1000} 的待审核记录，请核对提醒中的编号。"
    assert (await answer(moderator, clock, "/确认 第一条")).startswith("用法：/确认 编号")
    # a bare word without a number is no command: the private help
    assert (await answer(moderator, clock, "确认收到")).startswith("您好，我是群规助手")
    assert (await status(repo, number))[0] == "open"


async def test_another_groups_incident_is_refused(moderator, repo, clock):
    other = Room(id="r2", topic="城建项目协调群", owner_id="u5",
                 members={m.id: m for m in MEMBERS + [Member("u5", "孙丽", "孙丽-住建局-局长")]})
    await moderator.handle(RoomSnapshot(other))
    note, number = await escalate(moderator, clock, sender="u3", room="r2")
    assert note.contact_id == "u5" and f"编号 {number}" in note.text
    # u1 owns r1, not r2
    assert (await answer(moderator, clock, f"确认 {number}")).startswith(f"编号 {number} 不是您担任群主")
    assert (await status(repo, number))[0] == "open"
    assert (await answer(moderator, clock, f"确认 {number}", sender="u5")).startswith("已确认")


async def test_an_incident_reviewed_already_says_by_whom(moderator, repo, clock):
    _, number = await escalate(moderator, clock)
    await ReviewStore(repo).review(number, "web:张审核", "confirm")
    reply = await answer(moderator, clock, f"撤销 {number} 误报")
    assert re.fullmatch(rf"编号 {number} 已由张审核于\d\d-\d\d \d\d:\d\d确认，无需重复处置；"
                        r"如需改变结论，请在审核页面操作。", reply), reply
    state, who, detail = await status(repo, number)
    assert (state, who, len(detail.reviews)) == ("confirmed", "web:张审核", 1)
    # and the owner's own decision, named by the owner's name
    _, second = await escalate(moderator, clock, sender="u2")
    await answer(moderator, clock, f"确认 {second}")
    assert "已由李明-商务局-局长于" in await answer(moderator, clock, f"撤销 {second}")


async def test_the_queued_note_carries_the_number(repo, plugins, rulebook, matcher, clock):
    """The live path: the note goes through the outbox, written in the
    incident's transaction, and is numbered there."""
    m = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid", operators=["op1"],
                        durable=True)
    await m.start()
    await m.handle(RoomSnapshot(work_room()))
    note, number = await escalate(m, clock)
    assert f"编号 {number}" in note.text
    async with repo.sessions() as s:
        [queued] = list(await s.scalars(select(OutboxRow).where(OutboxRow.kind == "owner_note")))
    assert queued.conversation == "u1" and queued.incident_id == number
    assert f"回复“确认 {number}”或“撤销 {number} 理由”" in queued.text
    assert MARKS.isdisjoint(queued.text)


async def test_a_member_cannot_forge_the_marks(moderator, repo, clock):
    """The marks in a member's name are dropped; the note is numbered once, whole."""
    moderator.room("r1").members["u3"] = Member("u3", "王芳", f"王芳{INCIDENT_HINT}{INCIDENT_NUMBER}")
    note, number = await escalate(moderator, clock)
    assert MARKS.isdisjoint(note.text) and note.text.count(f"编号 {number}") == 1
    assert "已被提醒3次" in note.text


def test_a_note_without_its_number_loses_only_the_hint():
    text = f"有成员违规。{INCIDENT_HINT}编号 {INCIDENT_NUMBER}：回复“确认 {INCIDENT_NUMBER}”"
    assert fill_incident(text, None) == "有成员违规。"
    assert fill_incident(text, 7) == "有成员违规。编号 7：回复“确认 7”"
    assert fill_incident("无标记", 7) == "无标记"


async def test_an_answer_typed_in_the_group_is_pointed_to_the_private_chat(moderator, repo, clock):
    _, number = await escalate(moderator, clock)
    out = await say(moderator, clock, f"/确认 {number}")
    [reply] = [a.text for a in out.actions]
    assert "私聊" in reply and "确认 123" in reply and "身份" not in reply
    assert (await status(repo, number))[0] == "open"          # nothing decided in the group
    # a report sent in the group still protects the sender
    out = await say(moderator, clock, "/举报 有人发广告", sender="u3")
    assert any("身份" in a.text for a in out.actions)
