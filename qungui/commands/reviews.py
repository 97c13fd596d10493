"""The owner's answer to the bot's private note: ``确认 123`` or ``撤销 123 理由``.

The note the owner receives when the bot escalates (``pipeline.texts.owner_note``)
ends with the incident's number and these two answers. In a private chat
with the bot, the owner of the incident's group (by contact id, the room's
``owner_id``, never by nickname) or an operator may confirm or dismiss it,
with or without the slash and with ASCII or full-width digits. The decision
is recorded exactly as the web review records one (``IncidentReviews.review``:
the review row, the incident's status, the audit row), the reviewer named
``wechat:<contact id>``; the review page shows the owner's name.

A dismissal takes an optional reason (a reviewer who sees a false alarm
often has nothing to add); it is kept as the review's note. No allow phrase
is ever filed from here: that stays a deliberate choice on the web page.
An incident reviewed already is not decided again here (the answer says by
whom and how); changing a decision is done on the web page. The answers
never quote the message or the evidence: they name the group, the member
and the rule.
"""

from __future__ import annotations

import re

from qungui.commands import replies
from qungui.core.command import OWNER, Command
from qungui.core.ports import WECHAT_REVIEWER

MAX_NOTE = 200
_NUMBER = re.compile(r"^(?:#|＃|编号)?(\d{1,12})$")
# the names the owner's note tells them to answer with, accepted without the slash
BARE = frozenset({"确认", "撤销"})


def parse_number(arg: str) -> int | None:
    """'123', '１２３', '#123', '编号123' -> 123; None if not a number."""
    m = _NUMBER.match(arg.strip())
    return int(m.group(1)) if m else None


def _may(svc, room, contact_id: str) -> bool:
    """The incident's group's owner or an operator, by contact id only."""
    if contact_id in svc.operators:
        return True
    return room is not None and bool(room.owner_id) and contact_id == room.owner_id


async def _decide(svc, msg, args: list[str], decision: str, name: str) -> str:
    if svc.reviews is None:
        return replies.REVIEW_UNAVAILABLE
    number = parse_number(args[0]) if args else None
    if number is None:
        return replies.usage(name, "编号" + (" [理由]" if decision == "dismiss" else ""))
    detail = await svc.reviews.incident(number, context=0)
    if detail is None:
        return replies.no_incident(number)
    row = detail.incident
    room = svc.rooms.rooms.get(row.room_id)
    if not _may(svc, room, msg.sender_id):
        await svc.records.audit(row.room_id, msg.sender_id, "refused", f"/{name} {number}",
                                after={"incident": number})
        return replies.not_your_incident(number)
    names = detail.names
    if row.status != "open":
        who = names.reviewer(row.room_id, row.reviewed_by) if names else (row.reviewed_by or "")
        return replies.already_reviewed(number, row.status, who, row.reviewed_at)
    note = " ".join(args[1:]).strip()[:MAX_NOTE] if decision == "dismiss" else ""
    try:
        await svc.reviews.review(number, WECHAT_REVIEWER + msg.sender_id, decision, note=note)
    except ValueError as exc:
        if getattr(exc, "code", "") == "not_found":
            return replies.no_incident(number)
        raise
    topic = room.topic if room is not None and room.topic else detail.room_topic
    member = names.member(row.room_id, row.sender_id, row.sender_name) if names else row.sender_name
    subject = replies.incident_subject(row.kind, topic or row.room_id, member, svc.title(row.rule))
    return replies.reviewed(number, decision, subject, note)


async def _confirm(svc, msg, args):
    return await _decide(svc, msg, args, "confirm", "确认")


async def _dismiss(svc, msg, args):
    return await _decide(svc, msg, args, "dismiss", "撤销")


COMMANDS = (
    Command("confirm", None, OWNER, "私聊：确认提醒中编号所指的违规（群主）", ("确认",), "编号",
            private=_confirm, in_group=replies.ANSWER_PRIVATELY),
    Command("dismiss", None, OWNER, "私聊：撤销提醒中编号所指的违规，可附理由（群主）", ("撤销",),
            "编号 [理由]", private=_dismiss, in_group=replies.ANSWER_PRIVATELY),
)
