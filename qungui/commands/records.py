"""Commands that read and amend the room's records: a member's warnings, a
pardon, the room's log, statistics, and the owner's private export.

Replies in the group stay brief and never quote what a member wrote: the log
names the rule and the action, not the message. A pardon is a row of its own
(the warnings stay on record) and an audit row.
"""

from __future__ import annotations

import re
from datetime import timedelta

from qungui.commands import replies
from qungui.core.command import ADMIN, OWNER, RANK, Command, Reply
from qungui.commands.router import mentioned, role, words
from qungui.core.actions import SendPrivate

MAX_LOG = 30
DEFAULT_LOG = 10
MAX_REASON = 200
_SPAN = re.compile(r"^(\d{1,3})\s*(d|天|h|小时)?$", re.IGNORECASE)


def parse_span(arg: str | None, default_days: float = 7) -> timedelta | None:
    """'7d' / '7天' / '7' / '24h' / '24小时' -> a timedelta; None if not one."""
    if not arg:
        return timedelta(days=default_days)
    m = _SPAN.match(arg.strip())
    if not m or int(m.group(1)) == 0:
        return None
    n = int(m.group(1))
    span = timedelta(hours=n) if (m.group(2) or "").lower() in ("h", "小时") else timedelta(days=n)
    return span if span <= timedelta(days=366) else None


def _names(room) -> dict[str, str]:
    return {m.id: m.display for m in room.members.values()}


async def _warns(svc, room, msg, args) -> str:
    targets = mentioned(svc, msg)
    if not targets:
        return replies.NEED_MENTION
    view = await svc.settings.get(room.id)
    window = view.rulebook.escalation.window_days
    since = msg.ts - timedelta(days=window)
    names = _names(room)
    parts = []
    for member_id in targets[:5]:
        count = await svc.incidents.count_warnings(room.id, member_id, since)
        recent = [r for r in await svc.incidents.incidents(room_id=room.id, sender_id=member_id, limit=20)
                  if r.counted][:3]
        pardon = await svc.records.last_pardon(room.id, member_id)
        titles = [svc.title(r.rule) for r in recent]
        parts.append(replies.warns(names.get(member_id, member_id), window, count, recent, titles,
                                   pardon))
    return "\n".join(parts)


async def _pardon(svc, room, msg, args) -> str:
    targets = mentioned(svc, msg)
    if not targets:
        return replies.NEED_MENTION
    if msg.sender_id in targets and RANK[role(svc, room, msg.sender_id)] < RANK[OWNER]:
        return replies.NO_SELF_PARDON
    reason = " ".join(words(args)).strip()[:MAX_REASON] or replies.DEFAULT_PARDON_REASON
    view = await svc.settings.get(room.id)
    since = msg.ts - timedelta(days=view.rulebook.escalation.window_days)
    names = _names(room)
    done, clean = [], []
    for member_id in targets[:10]:
        before = await svc.incidents.count_warnings(room.id, member_id, since)
        if before == 0:
            clean.append(names.get(member_id, member_id))
            continue
        await svc.records.pardon(room.id, member_id, names.get(member_id, ""), msg.sender_id,
                                    reason, msg.ts, before)
        done.append((names.get(member_id, member_id), before))
    return replies.pardoned(done, reason, clean)


async def _log(svc, room, msg, args) -> str:
    n = DEFAULT_LOG
    if args:
        if not args[0].isdigit() or int(args[0]) == 0:
            return replies.usage("log", "[条数]")
        n = min(int(args[0]), MAX_LOG)
    rows = await svc.records.timeline(room.id, n)
    titles = svc.titles
    return replies.log(rows, titles, _names(room))


async def _stats(svc, room, msg, args) -> str:
    span = parse_span(args[0] if args else None)
    if span is None:
        return replies.usage("stats", "[7d]")
    stats = await svc.records.stats(room.id, msg.ts - span)
    titles = svc.titles
    return replies.stats(span, stats, titles)


async def _export(svc, room, msg, args) -> Reply:
    """A fuller summary than /stats, sent privately: it names members."""
    span = parse_span(args[0] if args else None)
    if span is None:
        return Reply(replies.usage("export", "[7d]"))
    since = msg.ts - span
    stats = await svc.records.stats(room.id, since)
    top = await svc.records.top_members(room.id, since)
    appeals = await svc.records.appeals(room.id)
    view = await svc.settings.get(room.id)
    titles = svc.titles
    text = replies.export(room, span, stats, top, len(appeals), view, titles)
    await svc.records.audit(room.id, msg.sender_id, "export", f"{span.days}d")
    return Reply(replies.EXPORT_SENT, private=(SendPrivate(msg.sender_id, text, room.id),))


COMMANDS = (
    Command("warns", _warns, ADMIN, "查看成员近期被提醒记录", ("警告记录",), "@成员"),
    Command("pardon", _pardon, ADMIN, "撤销成员的警告计数（记录保留）", ("撤销警告",), "@成员 [理由]"),
    Command("log", _log, ADMIN, "本群最近的违规与变更记录", ("日志",), "[条数]"),
    Command("stats", _stats, ADMIN, "本群统计", ("统计",), "[7d]"),
    Command("export", _export, OWNER, "私信发送本群近期汇总", ("导出",), "[7d]"),
)
