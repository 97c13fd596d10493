"""How the incident log names things to people, shared by ``bot.py`` (log,
stats, audit, demo) and the review web page."""

from __future__ import annotations

from qungui.core.outcomes import Act

# how actions are named to people; keyed by ``Act``, whose values are the
# stored strings, so a lookup by the plain string finds the same name
ACTION_CN: dict[Act, str] = {
    Act.WARN: "群内提醒", Act.PRIVATE: "私聊提醒", Act.REVIEW: "仅记录",
    Act.EXEMPT: "豁免（群主/管理员）", Act.NONE: "无违规", Act.DUPLICATE: "重复投递",
    Act.LOG: "仅记录（不重复提醒）", Act.REPLY: "指令回复", Act.REFUSED: "指令拒绝",
    Act.UNKNOWN: "未知指令", Act.IGNORED: "忽略", Act.ERROR: "出错",
}

# an incident's review status
STATUS_CN = {"open": "待审核", "confirmed": "已确认", "dismissed": "误报已撤销"}


# what became of an incident's warning (incidents.delivery) and of an outbox row
DELIVERY_CN = {"": "", "pending": "待发送", "sending": "发送中", "sent": "已发送",
               "expired": "超时未发", "failed": "发送失败", "unknown": "结果不明",
               "merged": "已合并"}
OUTGOING_CN = {"warning": "群内提醒", "private": "私信提醒", "owner_note": "告知群主",
               "removal": "移出", "answer": "指令回复", "reminder": "汇报提醒",
               "greeting": "入群问候"}
