"""Commands for the group duty of daily work reports (每日汇报). (The
real-name nickname check, /checknames, is the realname rule's own command.)"""

from __future__ import annotations

from qungui.commands import replies
from qungui.core.command import ADMIN, Command
from qungui.pipeline.duties import china_day
from qungui.pipeline.room_settings import parse_due
from qungui.commands.settings import OFF, switch

NO_REMIND = {"不提醒", "noremind", "silent", "静默"}
MAX_LISTED = 30


async def _report_due(svc, room, msg, args) -> str:
    view = await svc.settings.get(room.id)
    marker = view.rulebook.work_report.marker
    if not args:
        return replies.report_due_state(view.report_due, view.report_remind, marker)
    if args[0].lower() in OFF or switch(args[0]) is False:
        if view.report_due is None:
            return replies.report_due_state(None, True, marker)
        await svc.settings.change(room.id, msg.sender_id, "report_due", "report_due", None)
        return replies.REPORT_DUE_OFF
    due = parse_due(args[0])
    if due is None:
        return replies.usage("report-due", "18:00 [不提醒] | off")
    remind = not (len(args) > 1 and args[1].lower() in NO_REMIND)
    value = {"time": due, "remind": remind}
    if view.raw.get("report_due") == value:
        return replies.report_due_state(due, remind, marker)
    await svc.settings.change(room.id, msg.sender_id, "report_due", "report_due", value)
    return replies.report_due_set(due, remind, marker)


async def _unreported(svc, room, msg, args) -> str:
    view = await svc.settings.get(room.id)
    if not view.report_due:
        return replies.REPORT_TRACKING_OFF
    day = china_day(msg.ts)
    missing = await svc.duties.unreported(room, day)
    return replies.unreported(day, view.report_due, [m.display for m in missing], MAX_LISTED)


COMMANDS = (
    Command("report-due", _report_due, ADMIN, "开启每日工作汇报（截止时间提醒）；off 关闭",
            ("汇报时间",), "18:00 [不提醒]|off"),
    Command("unreported", _unreported, ADMIN, "今日尚未提交工作汇报的成员", ("未汇报",)),
)
