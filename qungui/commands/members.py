"""Members' own commands: disputing a warning (/appeal) and reporting
something to the owners privately (/report, 举报).

An appeal lands in the owners' review queue (the ``appeals`` table) and the
owner is told privately. A report is filed as an open incident that names
no one: the reporter's id is not stored and not told to the owner, and the
owner's note does not name them either. Reported text is inspected like a
message, so classified content in a report is kept only as its marking and
hash.
"""

from __future__ import annotations

from datetime import timedelta

from qungui.commands import replies
from qungui.core.actions import SendPrivate
from qungui.core.command import MEMBER, Command, Reply
from qungui.commands.router import words
from qungui.core.events import Message, PrivateMessage, Room

MIN_REPORT = 4
MAX_REPORT = 1000
MAX_REASON = 300
REPORTS_PER_HOUR = 5


def owner_contacts(svc, room: Room) -> list[str]:
    """Who hears of appeals and reports: the owner, or the operators if the
    room's owner is not known."""
    return [room.owner_id] if room.owner_id else sorted(svc.operators)


def _incident_id(arg: str) -> int | None:
    arg = arg.lstrip("#＃")
    return int(arg) if arg.isdigit() and len(arg) < 10 else None


async def _file_appeal(svc, room: Room, member_id: str, args: list[str], ts) -> Reply:
    args = words(args)
    incident_id = _incident_id(args[0]) if args else None
    reason = svc.screen(" ".join(args[1:] if incident_id is not None else args).strip(),
                        room)[:MAX_REASON]
    if incident_id is not None:
        incident = await svc.records.incident(room.id, incident_id)
        if incident is None or incident.kind != "violation" or incident.sender_id != member_id:
            return Reply(replies.appeal_not_yours(incident_id), action="refused")
    else:
        incident = await svc.records.latest_warning(room.id, member_id)
        if incident is None:
            return Reply(replies.NOTHING_TO_APPEAL, action="refused")
    if await svc.records.open_appeal(room.id, incident.id) is not None:
        return Reply(replies.appeal_pending(incident.id))
    appeal_id = await svc.records.appeal(room.id, incident.id, member_id, reason, ts)
    member = room.members.get(member_id)
    name = member.display if member else member_id
    title = svc.plugins[incident.rule].title if incident.rule in svc.plugins else ""
    notes = tuple(SendPrivate(c, replies.appeal_owner_note(room, name, incident.id, title, reason),
                              room.id)
                  for c in owner_contacts(svc, room) if c != member_id)
    return Reply(replies.appeal_filed(appeal_id, incident.id), private=notes)


async def _appeal(svc, room: Room, msg: Message, args: list[str]) -> Reply:
    return await _file_appeal(svc, room, msg.sender_id, args, msg.ts)


def _pick_room(svc, msg: PrivateMessage, args: list[str], command: str) -> tuple[Room | None, list[str], str]:
    """The room a private command is about: the sender's only room, or the
    one numbered in the first argument. Returns (room, rest, problem)."""
    rooms = svc.rooms.rooms_of(msg.sender_id)
    if not rooms:
        return None, args, replies.NO_ROOM
    if len(rooms) == 1:
        return rooms[0], args, ""
    if args and args[0].isdigit() and 1 <= int(args[0]) <= len(rooms):
        return rooms[int(args[0]) - 1], args[1:], ""
    return None, args, replies.choose_room(command, [r.topic or r.id for r in rooms])


async def _appeal_private(svc, msg: PrivateMessage, args: list[str]) -> Reply:
    room, rest, problem = _pick_room(svc, msg, args, "appeal")
    if room is None:
        return Reply(problem)
    return await _file_appeal(svc, room, msg.sender_id, rest, msg.ts)


async def _report_private(svc, msg: PrivateMessage, args: list[str]) -> Reply:
    room, rest, problem = _pick_room(svc, msg, args, "report")
    if room is None:
        return Reply(problem)
    text = " ".join(rest).strip()
    if len(text) < MIN_REPORT:
        return Reply(replies.REPORT_USAGE)
    if not svc.commands.within_rate(("report", msg.sender_id), msg.ts, REPORTS_PER_HOUR,
                                       timedelta(hours=1)):
        return Reply(replies.REPORT_TOO_MANY, action="refused")
    text = text[:MAX_REPORT]
    # a report is inspected like a message so classified text is never stored
    probe = Message(id=f"report:{msg.id}", room_id=room.id, sender_id="", ts=msg.ts, text=text)
    findings, _ = svc.inspect(probe, room, await svc.settings.get(room.id))
    secret = next((f for f in findings if f.rule == "classified"), None)
    kept = secret.evidence if secret else text
    incident_id = await svc.records.file_report(room.id, probe.id, msg.ts, kept,
                                                   secret.evidence if secret else "")
    if incident_id is None:
        return Reply(replies.REPORT_ALREADY)
    notes = tuple(SendPrivate(c, replies.report_owner_note(room, incident_id, kept), room.id)
                  for c in owner_contacts(svc, room) if c != msg.sender_id)
    return Reply(replies.report_filed(incident_id), private=notes)


COMMANDS = (
    Command("appeal", _appeal, MEMBER, "对收到的提醒提出申诉（可私聊发送）", ("申诉",), "[记录编号] [理由]",
            private=_appeal_private),
    Command("report", None, MEMBER, "私聊向群主匿名举报", ("举报",), "内容", private=_report_private),
)
