"""What the bot says in answer to commands, reminders and reports: short,
polite Chinese. (The warnings themselves are in ``qungui.pipeline.texts``.)

Replies in the group never quote what a member wrote and never name a
reporter; the fuller export goes privately to the one who asked for it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from qungui.core.events import CHINA_TZ
from qungui.core.ports import ConnectionReport

ACTION_NAMES = {"warn": "群内提醒", "private": "私聊提醒", "review": "仅记录"}
INCIDENT_ACTIONS = {**ACTION_NAMES, "exempt": "豁免", "log": "仅记录"}

REFUSAL = {
    "admin": "抱歉，该指令仅限群主或管理员使用。",
    "owner": "抱歉，该指令仅限群主使用。",
    "operator": "抱歉，该指令仅限系统管理员使用。",
    "member": "抱歉，您无权使用该指令。",
}
COMMAND_FAILED = "指令执行出错，请稍后再试。"
NEED_MENTION = "请在指令后 @ 要操作的成员。"
NO_SELF_PARDON = "不能撤销自己的警告，请联系群主。"
DEFAULT_PARDON_REASON = "群主/管理员撤销"
BAD_THRESHOLD = "阈值应为 0 到 1 之间的数字，如 0.8（越高越不容易触发）。"
PHRASE_TOO_SHORT = "短语至少两个字。"
EXPORT_SENT = "本群汇总已私信发送给您。"
REPORT_DUE_OFF = "已关闭每日工作汇报统计。"
REPORT_TRACKING_OFF = "本群未开启每日工作汇报统计，可发送 /report-due 18:00 开启。"
NOTHING_TO_APPEAL = "未找到您近期收到的提醒，无需申诉。"
NO_ROOM = "未找到您所在的工作群，请在群内发言后再试。"
REPORT_USAGE = "请发送：/举报 具体内容（如时间、群内发生了什么）。您的身份不会告知任何人。"
REPORT_TOO_MANY = "您一小时内的举报次数较多，请稍后再试。"
REPORT_ALREADY = "这条举报已收到，无需重复发送。"
PRIVATE_HELP = ("您好，我是群规助手。私聊可发送：\n"
                "/举报 内容 — 向群主匿名举报群内问题，您的身份不会告知任何人\n"
                "/申诉 [记录编号] [理由] — 对收到的提醒提出申诉\n"
                "在多个群时，请在指令后加群的序号，如 /举报 2 内容。\n"
                "群主收到提醒后，可回复“确认 编号”或“撤销 编号 理由”处置。")
# audit actions that are not settings changes (kept out of "最近变更")
NOT_CHANGES = ("refused", "report_reminder", "export")

_CHANGE_NAMES = {
    "enable": "启用规则", "disable": "停用规则", "mode": "修改处置方式", "threshold": "修改阈值",
    "quiet": "静默模式", "topic": "设置群主题", "allow": "放行短语", "allow_remove": "取消放行",
    "deny": "添加禁用词", "deny_remove": "删除禁用词", "admin_add": "添加管理员",
    "admin_remove": "取消管理员", "period": "敏感期", "report_due": "每日汇报",
    "pardon": "撤销警告", "refused": "越权尝试", "export": "导出汇总",
    "report_reminder": "汇报提醒",
}


def when(ts: datetime) -> str:
    return ts.astimezone(CHINA_TZ).strftime("%m-%d %H:%M")


def span_text(span: timedelta) -> str:
    return f"{span.days}天" if span.days and not span.seconds else f"{int(span.total_seconds() // 3600)}小时"


def value_text(v: Any, names: Mapping[str, str] | None = None) -> str:
    if v is None:
        return "默认"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, list):
        if names is not None and all(isinstance(x, str) for x in v):
            return "、".join(names.get(x, x) for x in v) or "无"
        return f"{len(v)}项"
    if isinstance(v, dict) and "time" in v:          # report_due
        return f"{v['time']}截止，" + ("到点提醒" if v.get("remind", True) else "不提醒")
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def describe_change(row, names: Mapping[str, str]) -> str:
    """One audit row as a line: when, who, what, before → after."""
    who = names.get(row.actor_id, row.actor_id)
    what = _CHANGE_NAMES.get(row.action, row.action)
    if row.action == "refused":
        return f"{when(row.ts)} {who} {what} {row.target}（已拒绝）"
    if row.action in ("export", "report_reminder"):
        return f"{when(row.ts)} {who} {what}"
    if row.action == "pardon":
        return f"{when(row.ts)} {who} {what} {names.get(row.target, row.target)}"
    members = names if row.target == "admins" else None
    return (f"{when(row.ts)} {who} {what} {row.target}："
            f"{value_text(row.before, members)} → {value_text(row.after, members)}")


# --- commands and help ------------------------------------------------------


def help_line(name: str, aliases: Iterable[str], usage: str, text: str) -> str:
    names = " ".join(f"/{n}" for n in (name, *aliases))
    return f"{names}{' ' + usage if usage else ''} — {text}"


def unknown_command(name: str) -> str:
    return f"未知指令 /{name}，发送 /help 查看可用指令。" if name else "发送 /help 查看可用指令。"


def private_only(name: str, why: str | None = None) -> str:
    return f"/{name} {why or '请私聊我发送，以免暴露您的身份。'}"


# what an owner who answers a note in the group is told
ANSWER_PRIVATELY = "请在与我的私聊中回复我发给您的提醒，例如“确认 123”或“撤销 123 理由”。"


def group_only(name: str) -> str:
    return f"/{name} 请在群内发送。"


def usage(name: str, args: str) -> str:
    return f"用法：/{name} {args}"


def unknown_rule(name: str, rules: Iterable[str]) -> str:
    return f"没有规则“{name[:20]}”。可用：{'、'.join(rules)}"


def unchanged(subject: str, state: str) -> str:
    return f"{subject}{'' if state.startswith(('已', '未')) else '当前为'}{state}，无需更改。"


def too_long(what: str, limit: int) -> str:
    return f"{what}不能超过{limit}个字。"


def rule_switched(title: str, on: bool) -> str:
    return f"已{'启用' if on else '停用'}{title}。"


def rule_mode(title: str, action: str) -> str:
    return f"{title}的处置方式已改为：{action}。"


def rule_threshold(title: str, value: float) -> str:
    return f"{title}的阈值已改为 {value:g}。"


def quiet_state(on: bool) -> str:
    return "本群当前为静默模式：只记录，不提醒。" if on else "本群当前为正常模式。"


def quiet_switched(on: bool) -> str:
    return ("已开启静默模式：本群违规只记录、不提醒，群主可在日志中查看。" if on
            else "已关闭静默模式，恢复正常提醒。")


def topic_state(topic: str | None, default: str) -> str:
    if topic:
        return f"本群主题：{topic}"
    return f"本群未单独设置主题，按群名/简介判断：{default or '（无）'}"


def topic_set(topic: str) -> str:
    return f"已设置本群主题：{topic}。与此相关的讨论不再视为闲聊。"


def topic_cleared(default: str) -> str:
    return f"已清除本群主题，恢复按群名/简介判断：{default or '（无）'}"


def allow_list(phrases: Iterable[tuple[str, str]], titles: Mapping[str, str]) -> str:
    phrases = list(phrases)
    if not phrases:
        return "本群暂无放行短语。用法：/allow [规则] 短语"
    return "本群放行短语：" + "；".join(
        f"{p}（{'各项规则' if r == '*' else titles.get(r, r)}）" for r, p in phrases)


def allow_added(phrase: str, rule_title: str | None = None) -> str:
    scope = f"按{rule_title}" if rule_title else "按各项规则"
    return f"已放行“{phrase}”：本群含有该短语的发言不再{scope}提醒（涉密信息除外）。"


def allow_refused(rule_title: str) -> str:
    return f"{rule_title}不能由本群放行：泄露涉密信息是最不能漏的。"


def allow_removed(phrase: str) -> str:
    return f"已取消放行“{phrase}”。"


def not_listed(phrase: str) -> str:
    return f"“{phrase}”不在名单中。"


def deny_list(deny: Iterable[tuple[str, str]], titles: Mapping[str, str]) -> str:
    deny = list(deny)
    if not deny:
        return "本群暂无禁用词。用法：/deny [规则] 短语"
    return "本群禁用词：" + "；".join(f"{p}（{titles.get(r, r)}）" for r, p in deny)


def deny_added(phrase: str, title: str, enabled: bool) -> str:
    tail = "" if enabled else "（该规则目前停用，启用后生效）"
    return f"已添加禁用词“{phrase}”，按{title}提醒{tail}。"


def deny_removed(phrase: str) -> str:
    return f"已删除禁用词“{phrase}”。"


def admin_list(admins: Iterable[str], names: Mapping[str, str]) -> str:
    admins = sorted(admins)
    if not admins:
        return "本群暂无管理员。用法：/admin add @成员"
    return "本群管理员：" + "、".join(names.get(a, a) for a in admins)


def admins_changed(names: list[str], added: bool) -> str:
    return f"已{'设置' if added else '取消'}管理员：{'、'.join(names)}。"


def admins_unchanged(added: bool) -> str:
    return "所 @ 的成员已是管理员（或是群主）。" if added else "所 @ 的成员不是管理员。"


def period_state(period, periods: Mapping) -> str:
    if period is not None:
        return f"本群当前处于{period.title}。"
    names = "、".join(f"{k}（{p.title}）" for k, p in periods.items()) or "无"
    return f"本群未开启敏感期模式。可用：{names}"


def period_usage(periods: Mapping) -> str:
    names = "、".join(f"{k}（{p.title}）" for k, p in periods.items()) or "无"
    return f"用法：/period 名称 on|off。可用：{names}"


def period_on(title: str, rules: list[str]) -> str:
    return f"已开启{title}：{'、'.join(rules)}规则从严把握，每次发现都将私信告知群主。"


def period_off(title: str) -> str:
    return f"已结束{title}，相关规则恢复常规。"


# --- status -----------------------------------------------------------------


def status(view, titles: Mapping[str, str], changes, names: Mapping[str, str], *,
           degraded: bool, spool_problem: str | None = None,
           connection: ConnectionReport | None = None, outbox=None) -> str:
    book = view.rulebook
    if view.quiet or book.mode == "review":
        mode = "静默（只记录，不提醒）"
    else:
        mode = "正常"
    lines = [f"群规助手运行中。规则集：{book.name}；模式：{mode}。"]
    if connection is not None:
        lines.append(connection_line(connection))
    for rule, cfg in book.rules.items():
        state = f"{ACTION_NAMES[cfg.action]}，阈值{cfg.threshold:g}" if cfg.enabled else "已停用"
        lines.append(f"· {titles.get(rule, rule)}（{rule}）：{state}")
    if view.topic:
        lines.append(f"本群主题：{view.topic}")
    if view.period:
        lines.append(f"敏感期：{book.periods[view.period].title}")
    if view.report_due:
        lines.append(f"每日汇报：截止{view.report_due}" + ("，到点提醒" if view.report_remind else ""))
    lines.append(f"放行短语{len(view.allow)}条，禁用词{len(view.deny)}条，管理员{len(view.admins)}人。")
    esc = book.escalation
    lines.append(f"{esc.window_days:g}天内被提醒{esc.notify_owner_after}次将私信告知群主"
                 + (f"，{esc.remove_after}次移出本群。" if esc.remove_after else "。"))
    if changes:
        lines.append("最近变更：")
        lines += [f"· {describe_change(c, names)}" for c in changes]
    if outbox is not None:
        lines.append(outbox_line(outbox))
    if spool_problem:
        lines.append(f"注意：本地暂存文件无法写入（{spool_problem}），数据库不可用期间的记录只能暂存内存，"
                     "请管理员尽快处理。")
    elif degraded:
        lines.append("注意：数据库暂不可用，记录已暂存本地，恢复后自动写入。")
    return "\n".join(lines)


def connection_line(link: ConnectionReport) -> str:
    """连接状态：已连接, or 未连接（离线12分钟，待发3条）."""
    waiting = f"待发{link.waiting}条"
    if link.connected:
        return "连接状态：已连接" + (f"（{waiting}）" if link.waiting else "")
    minutes = int(link.seconds // 60)
    offline = f"离线{minutes}分钟" if minutes else "离线不到1分钟"
    why = "微信账号已退出登录，" if link.logged_out else ""
    return f"连接状态：未连接（{why}{offline}，{waiting}）"


def outbox_line(c) -> str:
    """What waits to be sent and what did not go out (``core.ports.OutboxCounts``)."""
    line = f"待发送消息{c.pending + c.sending}条"
    if c.oldest_pending is not None:
        line += f"（最早一条{when(c.oldest_pending)}）"
    line += f"；超时未发出{c.expired}条"
    if c.failed:
        line += f"，多次发送失败{c.failed}条"
    if c.unknown:
        line += f"，发送结果不明{c.unknown}条"
    return line + "。"


# --- records ------------------------------------------------------------------


def warns(name: str, window: float, count: int, recent, titles: list[str], pardon) -> str:
    days = f"{window:g}"
    head = f"{name}：近{days}天计入提醒{count}次。"
    if recent:
        head += "最近：" + "；".join(f"#{r.id} {when(r.ts)} {t}（{INCIDENT_ACTIONS.get(r.action, r.action)}）"
                                   for r, t in zip(recent, titles))
    if pardon is not None:
        head += f"（{when(pardon.ts)} 已撤销此前警告）"
    return head


def pardoned(done: list[tuple[str, int]], reason: str, clean: list[str]) -> str:
    parts = []
    if done:
        who = "、".join(f"{n}（原计{c}次）" for n, c in done)
        parts.append(f"已撤销警告计数：{who}。理由：{reason}。记录仍保留。")
    if clean:
        parts.append(f"{'、'.join(clean)}近期没有计入的提醒，无需撤销。")
    return "".join(parts)


def log(rows, titles: Mapping[str, str], names: Mapping[str, str]) -> str:
    if not rows:
        return "本群暂无记录。"
    lines = ["本群最近记录："]
    for r in rows:
        if hasattr(r, "actor_id"):
            lines.append(f"· {describe_change(r, names)}")
        elif r.kind == "pardon":
            lines.append(f"· #{r.id} {when(r.ts)} 撤销警告：{r.sender_name or names.get(r.sender_id, r.sender_id)}")
        elif r.kind == "report":
            lines.append(f"· #{r.id} {when(r.ts)} 匿名举报（{'待处理' if r.status == 'open' else r.status}）")
        else:
            who = names.get(r.sender_id) or r.sender_name or r.sender_id
            lines.append(f"· #{r.id} {when(r.ts)} {who} {titles.get(r.rule, r.rule)}"
                         f"（{INCIDENT_ACTIONS.get(r.action, r.action)}）")
    return "\n".join(lines)


def _by_rule(by_rule: Mapping[str, int], titles: Mapping[str, str]) -> str:
    items = sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    return "、".join(f"{titles.get(r, r)}{n}次" for r, n in items) or "无"


def stats(span: timedelta, s, titles: Mapping[str, str]) -> str:
    total = sum(s.by_rule.values())
    warned = s.by_action.get("warn", 0) + s.by_action.get("private", 0)
    return (f"近{span_text(span)}：发现{total}次（提醒{warned}次，涉及{s.members}人），"
            f"按规则：{_by_rule(s.by_rule, titles)}。"
            f"撤销警告{s.pardons}次，申诉{s.appeals}件，举报{s.reports}件，设置变更{s.changes}次。")


def export(room, span: timedelta, s, top, open_appeals: int, view, titles: Mapping[str, str]) -> str:
    where = f"「{room.topic}」" if room.topic else f"群 {room.id}"
    lines = [f"【群规助手】{where}近{span_text(span)}汇总", stats(span, s, titles)]
    if top:
        lines.append("提醒较多的成员：" + "；".join(f"{name or mid} {n}次" for mid, name, n in top))
    lines.append(f"待处理申诉{open_appeals}件。")
    settings = []
    if view.quiet:
        settings.append("静默模式")
    if view.period:
        settings.append(view.rulebook.periods[view.period].title)
    off = [titles.get(r, r) for r, c in view.rulebook.rules.items() if not c.enabled]
    if off:
        settings.append("停用：" + "、".join(off))
    if settings:
        lines.append("当前设置：" + "；".join(settings))
    lines.append("详情请在审核页面或 bot.py log 查看。")
    return "\n".join(lines)


# --- members: appeals and reports -------------------------------------------------


def appeal_not_yours(incident_id: int) -> str:
    return f"未找到您在本群的第{incident_id}号记录。"


def appeal_pending(incident_id: int) -> str:
    return f"第{incident_id}号记录的申诉已在处理中，请耐心等待。"


def appeal_filed(appeal_id: int, incident_id: int) -> str:
    return f"已收到您对第{incident_id}号记录的申诉（申诉编号{appeal_id}），群主将进行审核。"


def appeal_owner_note(room, name: str, incident_id: int, title: str, reason: str) -> str:
    where = f"「{room.topic}」" if room.topic else f"群 {room.id}"
    what = f"（{title}）" if title else ""
    return (f"【群规助手】{where}成员 {name} 对第{incident_id}号记录{what}提出申诉"
            + (f"：{reason}" if reason else "") + "。请在审核队列中处理。")


def choose_room(command: str, rooms: list[str]) -> str:
    listed = "\n".join(f"{i}. {t}" for i, t in enumerate(rooms, 1))
    return f"您在多个群中，请在指令后加群的序号，如 /{command} 1 ……\n{listed}"


def report_filed(incident_id: int) -> str:
    return f"已收到您的举报（编号{incident_id}），已转交群主处理。您的身份不会告知任何人。"


def report_owner_note(room, incident_id: int, text: str) -> str:
    where = f"「{room.topic}」" if room.topic else f"群 {room.id}"
    return f"【群规助手】{where}收到一条匿名举报（编号{incident_id}）：{text}"


# --- duties ---------------------------------------------------------------------


def report_due_state(due: str | None, remind: bool, marker: str) -> str:
    if not due:
        return "本群未开启每日工作汇报统计。用法：/report-due 18:00"
    return (f"每日工作汇报：截止{due}，以“{marker}”开头的消息计为当日汇报"
            + ("，到点提醒未汇报成员。" if remind else "，不自动提醒。"))


def report_due_set(due: str, remind: bool, marker: str) -> str:
    return "已开启。" + report_due_state(due, remind, marker)


def unreported(day: str, due: str, names: list[str], limit: int) -> str:
    if not names:
        return f"{day} 全部成员均已提交工作汇报。"
    shown = "、".join(names[:limit]) + (f"等{len(names)}人" if len(names) > limit else "")
    return f"{day} 尚未提交工作汇报（截止{due}）：{shown}。"


# --- the owner's answer to the bot's note (确认 / 撤销 编号) -------------------

REVIEW_UNAVAILABLE = "暂时无法处理该指令（未接入审核记录），请在审核页面处理。"
_DECIDED = {"confirmed": "确认", "dismissed": "撤销"}


def no_incident(number: int) -> str:
    return f"没有编号 {number} 的待审核记录，请核对提醒中的编号。"


def not_your_incident(number: int) -> str:
    return f"编号 {number} 不是您担任群主的群的记录，您无权处置。"


def already_reviewed(number: int, status: str, who: str, at: datetime | None) -> str:
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)      # as SQLite gives it back
    on = f"于{when(at)}" if at is not None else ""
    return (f"编号 {number} 已由{who or '审核人员'}{on}{_DECIDED.get(status, '处理')}，"
            f"无需重复处置；如需改变结论，请在审核页面操作。")


def incident_subject(kind: str, where: str, member: str, title: str) -> str:
    """What an incident is, without quoting the message or the evidence."""
    if kind == "report":
        return f"「{where}」的成员举报"
    return f"「{where}」成员 {member} 涉及“{title}”"


def reviewed(number: int, decision: str, subject: str, note: str = "") -> str:
    if decision == "confirm":
        return f"已确认编号 {number}（{subject}），已记入审核记录。"
    because = f"，理由：{note}" if note else ""
    return f"已撤销编号 {number}（{subject}）{because}，已记入审核记录。"
