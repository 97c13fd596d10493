"""Everything the bot says, in one place, in Chinese: short, polite, naming
the rule and quoting the 群规 line. Classified content is never repeated:
warnings carry the rule and the clause, not the evidence."""

from __future__ import annotations

from qungui.core.events import Room
from qungui.core.plugin import Finding


def _clause(clause: tuple[int, str] | None) -> str:
    return f"群规第{clause[0]}条“{clause[1].rstrip('。')}”" if clause else "本群群规"


def _count(warnings: int) -> str:
    return f"（近期第{warnings}次提醒）" if warnings > 1 else ""


def group_warning(title: str, f: Finding, clause: tuple[int, str] | None, warnings: int) -> str:
    if f.rule == "realname":
        return (f"欢迎入群！根据{_clause(clause)}，请将群昵称修改为规范格式。{f.reason}")
    if f.rule == "classified":
        return (f"温馨提醒：您发送的内容疑似涉密（{title}），请立即撤回。"
                f"根据{_clause(clause)}，涉密信息严禁在微信群传送。{_count(warnings)}")
    return f"温馨提醒：您的发言涉及“{title}”，根据{_clause(clause)}，请注意。{_count(warnings)}"


def private_warning(room: Room, title: str, f: Finding, clause: tuple[int, str] | None) -> str:
    where = f"「{room.topic}」" if room.topic else "工作群"
    return (f"您好，您在{where}的发言涉及“{title}”（{f.reason}）。"
            f"根据{_clause(clause)}，请注意。如有异议可联系群主。")


def owner_note(room: Room, sender_name: str, title: str, f: Finding, warnings: int,
               window_days: float) -> str:
    where = f"「{room.topic}」" if room.topic else f"群 {room.id}"
    if f.rule == "classified":
        return (f"【群规助手】{where}检测到疑似涉密信息：{sender_name}，{f.evidence}。"
                f"已提醒撤回，请及时核查处置。")
    days = int(window_days) if window_days == int(window_days) else window_days
    return (f"【群规助手】{where}成员 {sender_name} 发言涉及“{title}”（{f.reason}），"
            f"{days}天内已被提醒{warnings}次。")


def removal_notice(sender_name: str, warnings: int) -> str:
    return f"{sender_name} 多次违反群规（{warnings}次），已按群规移出本群。"
