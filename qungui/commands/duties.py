"""Commands for the group duties of the 群规: real-name nicknames and daily
work reports (每日汇报)."""

from __future__ import annotations

from qungui.commands import replies
from qungui.commands.router import ADMIN, Command, Reply
from qungui.pipeline.duties import china_day
from qungui.core.plugin import JoinContext
from qungui.pipeline.room_settings import parse_due
from qungui.commands.settings import OFF, switch

NO_REMIND = {"不提醒", "noremind", "silent", "静默"}
MAX_LISTED = 30


async def _checknames(engine, room, msg, args) -> Reply:
    """Every present member's nickname against the rulebook's pattern, with
    the room's own parameters; the ones that do not match are @mentioned."""
    view = await engine.settings.get(room.id)
    plugin = engine.plugins.get("realname")
    if plugin is None or "realname" not in view.params:
        return Reply(replies.REALNAME_OFF)
    wrong = []
    for member in room.members.values():
        if member.id == engine.bot_id:
            continue
        ctx = JoinContext(room=room, member=member, params=view.params, ts=msg.ts)
        if list(plugin.on_join(ctx)):
            wrong.append(member)
    if not wrong:
        return Reply(replies.names_all_good(len(room.members)))
    example = view.params["realname"].get("example", "")
    return Reply(replies.names_wrong(len(wrong), example),
                 mentions=tuple(m.id for m in wrong[:MAX_LISTED] if m.id != msg.sender_id))


async def _report_due(engine, room, msg, args) -> str:
    view = await engine.settings.get(room.id)
    marker = view.rulebook.work_report.marker
    if not args:
        return replies.report_due_state(view.report_due, view.report_remind, marker)
    if args[0].lower() in OFF or switch(args[0]) is False:
        if view.report_due is None:
            return replies.report_due_state(None, True, marker)
        await engine.settings.change(room.id, msg.sender_id, "report_due", "report_due", None)
        return replies.REPORT_DUE_OFF
    due = parse_due(args[0])
    if due is None:
        return replies.usage("report-due", "18:00 [不提醒] | off")
    remind = not (len(args) > 1 and args[1].lower() in NO_REMIND)
    value = {"time": due, "remind": remind}
    if view.raw.get("report_due") == value:
        return replies.report_due_state(due, remind, marker)
    await engine.settings.change(room.id, msg.sender_id, "report_due", "report_due", value)
    return replies.report_due_set(due, remind, marker)


async def _unreported(engine, room, msg, args) -> str:
    view = await engine.settings.get(room.id)
    if not view.report_due:
        return replies.REPORT_TRACKING_OFF
    day = china_day(msg.ts)
    missing = await engine.duties.unreported(room, day)
    return replies.unreported(day, view.report_due, [m.display for m in missing], MAX_LISTED)


COMMANDS = (
    Command("checknames", _checknames, ADMIN, "检查群昵称是否符合实名格式", ("检查昵称", "实名检查")),
    Command("report-due", _report_due, ADMIN, "开启每日工作汇报（截止时间提醒）；off 关闭",
            ("汇报时间",), "18:00 [不提醒]|off"),
    Command("unreported", _unreported, ADMIN, "今日尚未提交工作汇报的成员", ("未汇报",)),
)
