"""What the bot says on its own initiative, in Chinese: warnings, owners'
notes, removal notices, reminders. Short, polite, naming the rule and quoting
the 群规 line. A secret rule's content (classified) is never repeated:
warnings carry the rule and the clause, not the evidence. (Answers to
commands are in ``qungui.commands.replies``; a rule's own command answers
live with the rule.)"""

from __future__ import annotations

from qungui.core.events import Room
from qungui.core.plugin import Finding, RuleSpec
from qungui.core.ports import INCIDENT_HINT, INCIDENT_NUMBER, strip_marks


def _clause(clause: tuple[int, str] | None) -> str:
    return f"群规第{clause[0]}条“{clause[1].rstrip('。')}”" if clause else "本群群规"


def _count(warnings: int) -> str:
    return f"（近期第{warnings}次提醒）" if warnings > 1 else ""


def group_warning(spec: RuleSpec, f: Finding, clause: tuple[int, str] | None,
                  warnings: int) -> str:
    title = spec.title
    if spec.event == "join":
        return (f"欢迎入群！根据{_clause(clause)}，请将群昵称修改为规范格式。{f.reason}")
    if spec.secret:
        return (f"温馨提醒：您发送的内容疑似涉密（{title}），请立即撤回。"
                f"根据{_clause(clause)}，涉密信息严禁在微信群传送。{_count(warnings)}")
    return f"温馨提醒：您的发言涉及“{title}”，根据{_clause(clause)}，请注意。{_count(warnings)}"


def private_warning(room: Room, spec: RuleSpec, f: Finding,
                    clause: tuple[int, str] | None) -> str:
    where = f"「{room.topic}」" if room.topic else "工作群"
    return (f"您好，您在{where}的发言涉及“{spec.title}”（{f.reason}）。"
            f"根据{_clause(clause)}，请注意。如有异议可联系群主。")


def owner_note(room: Room, sender_name: str, spec: RuleSpec, f: Finding, warnings: int,
               window_days: float) -> str:
    """The note to the room's owner, ending with the incident's number and how
    to answer it (``commands.reviews``). The number is not known yet: it is
    marked, and filled in when the incident is written (``core.ports.fill_incident``)."""
    title = spec.title
    where = f"「{room.topic}」" if room.topic else f"群 {room.id}"
    if spec.secret:
        text = (f"【群规助手】{where}检测到疑似涉密信息：{sender_name}，{f.evidence}。"
                f"已提醒撤回，请及时核查处置。")
    else:
        days = int(window_days) if window_days == int(window_days) else window_days
        text = (f"【群规助手】{where}成员 {sender_name} 发言涉及“{title}”（{f.reason}），"
                f"{days}天内已被提醒{warnings}次。")
    return strip_marks(text) + INCIDENT_HINT + act_hint(INCIDENT_NUMBER)


def act_hint(number: str) -> str:
    """The owner's note's last line: the incident's number and how to answer."""
    return f"\n编号 {number}：回复“确认 {number}”或“撤销 {number} 理由”。"


def removal_notice(sender_name: str, warnings: int) -> str:
    return f"{sender_name} 多次违反群规（{warnings}次），已按群规移出本群。"


def report_reminder(due: str, marker: str, missing: int) -> str:
    return (f"【每日汇报提醒】今日工作汇报截止{due}，以下{missing}位同志尚未提交，"
            f"请以“{marker}”开头发送：")


def room_term_reason(term: str) -> str:
    return f"含有本群禁用词“{term}”"


def sealed_reason(title: str) -> str:
    """The reason of a finding on a message found secret: the rule, never the words."""
    return f"疑似{title}（消息涉密，内容已隐去）"
