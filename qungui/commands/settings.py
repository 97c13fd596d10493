"""Commands that change a room's settings: rules on and off, how each rule
acts and how sure it must be, quiet mode, the room's purpose, its allow and
deny phrases, delegated admins and sensitive periods.

Every change goes through ``RoomSettings.change``, which writes the audit row
(who, what, before, after) in the same transaction, and takes effect at the
next message. A command that would change nothing says so and writes nothing.
"""

from __future__ import annotations

from qungui.commands import replies
from qungui.core.command import ADMIN, OWNER, Command
from qungui.commands.router import mentioned, words
from qungui.pipeline.services import Services
from qungui.core.events import Message, Room
from qungui.pipeline.room_settings import allow_entry, rule_key

MAX_PHRASE = 50
MAX_TOPIC = 200
ON = {"on", "开", "开启", "打开", "启用", "是", "1", "true"}
OFF = {"off", "关", "关闭", "停用", "否", "0", "false"}
REMOVE = {"remove", "del", "delete", "删除", "移除", "取消"}
ADD = {"add", "添加", "增加", "设置"}
# what a member may type for each action
ACTION_WORDS = {"warn": "warn", "群内": "warn", "群内提醒": "warn", "提醒": "warn",
                "private": "private", "私聊": "private", "私聊提醒": "private",
                "review": "review", "记录": "review", "仅记录": "review", "审核": "review"}


def resolve_rule(svc: Services, name: str) -> str | None:
    """A rule by its id (ads) or its Chinese title (广告推销), or a unique
    part of the title (广告)."""
    rules = svc.settings.rulebook.rules
    name = name.strip().lower()
    if name in rules:
        return name
    titled = {r: svc.plugins[r].title for r in rules if r in svc.plugins}
    exact = [r for r, t in titled.items() if t == name]
    if exact:
        return exact[0]
    partial = [r for r, t in titled.items() if len(name) >= 2 and name in t]
    return partial[0] if len(partial) == 1 else None


def title(svc: Services, rule: str) -> str:
    plugin = svc.plugins.get(rule)
    return f"“{plugin.title}”（{rule}）" if plugin else rule


def switch(value: str) -> bool | None:
    v = value.strip().lower()
    return True if v in ON else False if v in OFF else None


def _phrase(args: list[str]) -> str:
    return " ".join(words(args)).strip()


def rule_argument(svc, args: list[str], command: str, usage: str,
                  count: int) -> tuple[str | None, str]:
    """The rule named by the first of ``count`` arguments: (rule, "") or
    (None, what to tell the sender)."""
    if len(args) < count:
        return None, replies.usage(command, usage)
    rule = resolve_rule(svc, args[0])
    if rule is None:
        return None, replies.unknown_rule(args[0], svc.settings.rulebook.rules)
    return rule, ""


async def _set_rule(svc, room: Room, msg: Message, rule: str, what: str, value,
                    action: str) -> str | None:
    """Change one rule setting; None when it already had that value."""
    view = await svc.settings.get(room.id)
    current = getattr(view.rulebook.rules[rule], what)
    if current == value and rule_key(rule, what) in view.raw:
        return None
    await svc.settings.change(room.id, msg.sender_id, action, rule_key(rule, what), value)
    return "changed"


async def _enable(svc, room, msg, args, on: bool) -> str:
    rule, problem = rule_argument(svc, args, "enable" if on else "disable", "规则", 1)
    if rule is None:
        return problem
    done = await _set_rule(svc, room, msg, rule, "enabled", on, "enable" if on else "disable")
    if done is None:
        return replies.unchanged(title(svc, rule), "已启用" if on else "已停用")
    return replies.rule_switched(title(svc, rule), on)


async def _on(svc, room, msg, args):
    return await _enable(svc, room, msg, args, True)


async def _off(svc, room, msg, args):
    return await _enable(svc, room, msg, args, False)


async def _mode(svc, room, msg, args) -> str:
    rule, problem = rule_argument(svc, args, "mode", "规则 warn|private|review", 2)
    if rule is None:
        return problem
    action = ACTION_WORDS.get(args[1].lower())
    if action is None:
        return replies.usage("mode", "规则 warn|private|review（群内提醒|私聊提醒|仅记录）")
    done = await _set_rule(svc, room, msg, rule, "action", action, "mode")
    name = replies.ACTION_NAMES[action]
    return replies.unchanged(title(svc, rule), name) if done is None else \
        replies.rule_mode(title(svc, rule), name)


async def _threshold(svc, room, msg, args) -> str:
    rule, problem = rule_argument(svc, args, "threshold", "规则 0.8", 2)
    if rule is None:
        return problem
    try:
        value = float(args[1])
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        return replies.BAD_THRESHOLD
    done = await _set_rule(svc, room, msg, rule, "threshold", round(value, 3), "threshold")
    return replies.unchanged(title(svc, rule), f"阈值{value:g}") if done is None else \
        replies.rule_threshold(title(svc, rule), value)


async def _quiet(svc, room, msg, args) -> str:
    view = await svc.settings.get(room.id)
    if not args:
        return replies.quiet_state(view.quiet)
    on = switch(args[0])
    if on is None:
        return replies.usage("quiet", "on|off（开|关）")
    if view.quiet == on:
        return replies.quiet_state(on)
    await svc.settings.change(room.id, msg.sender_id, "quiet", "quiet", on)
    return replies.quiet_switched(on)


async def _topic(svc, room, msg, args) -> str:
    view = await svc.settings.get(room.id)
    text = " ".join(args).strip()
    if not text:
        return replies.topic_state(view.topic, room.purpose or room.topic)
    if text.lower() in REMOVE | OFF:
        if view.topic is None:
            return replies.topic_state(None, room.purpose or room.topic)
        await svc.settings.change(room.id, msg.sender_id, "topic", "topic", None)
        return replies.topic_cleared(room.purpose or room.topic)
    if len(text) > MAX_TOPIC:
        return replies.too_long("群主题", MAX_TOPIC)
    if text == view.topic:
        return replies.unchanged("本群主题", text)
    await svc.settings.change(room.id, msg.sender_id, "topic", "topic", text)
    return replies.topic_set(text)


def _check_phrase(phrase: str) -> str | None:
    if len(phrase) < 2:
        return replies.PHRASE_TOO_SHORT
    if len(phrase) > MAX_PHRASE:
        return replies.too_long("短语", MAX_PHRASE)
    return None


async def _allow(svc, room, msg, args) -> str:
    """``/allow [规则] 短语``: with no rule named, the phrase is filed for every
    rule (the classified rule is never silenced by a room's phrase)."""
    view = await svc.settings.get(room.id)
    if not args:
        return replies.allow_list(view.allow, {r: svc.plugins[r].title for r, _ in view.allow
                                               if r in svc.plugins})
    removing = args[0].lower() in REMOVE
    rest = args[1:] if removing else args
    rule = resolve_rule(svc, rest[0]) if len(rest) >= 2 else None
    if rule is not None:
        rest = rest[1:]
    phrase = _phrase(rest)
    problem = _check_phrase(phrase)
    if problem:
        return problem
    if removing:
        kept = [(r, p) for r, p in view.allow if not (p == phrase and rule in (None, r))]
        if len(kept) == len(view.allow):
            return replies.not_listed(phrase)
        await svc.settings.change(room.id, msg.sender_id, "allow_remove", "allow",
                                  [allow_entry(r, p) for r, p in kept])
        return replies.allow_removed(phrase)
    if rule is not None and not svc.plugins[rule].spec.room_allow:
        return replies.allow_refused(title(svc, rule))
    if not await svc.settings.add_allow(room.id, phrase, msg.sender_id, rule):
        return replies.unchanged(f"“{phrase}”", "已在放行名单中")
    return replies.allow_added(phrase, title(svc, rule) if rule else None)


async def _deny(svc, room, msg, args) -> str:
    """``/deny [规则] 短语``: with no rule named, the rulebook's ``deny_rule``."""
    view = await svc.settings.get(room.id)
    if not args:
        return replies.deny_list(view.deny, {r: svc.plugins[r].title for r, _ in view.deny})
    removing = args[0].lower() in REMOVE
    rest = args[1:] if removing else args
    rule = resolve_rule(svc, rest[0]) if len(rest) >= 2 else None
    if rule is not None:
        rest = rest[1:]
    phrase = _phrase(rest)
    problem = _check_phrase(phrase)
    if problem:
        return problem
    current = [{"rule": r, "phrase": p} for r, p in view.deny]
    if removing:
        kept = [d for d in current if d["phrase"] != phrase]
        if len(kept) == len(current):
            return replies.not_listed(phrase)
        await svc.settings.change(room.id, msg.sender_id, "deny_remove", "deny", kept)
        return replies.deny_removed(phrase)
    rule = rule or view.rulebook.deny_rule
    if {"rule": rule, "phrase": phrase} in current:
        return replies.unchanged(f"“{phrase}”", "已在禁用词中")
    await svc.settings.change(room.id, msg.sender_id, "deny", "deny",
                                 current + [{"rule": rule, "phrase": phrase}])
    return replies.deny_added(phrase, title(svc, rule), view.rulebook.rules[rule].enabled)


async def _admin(svc, room, msg, args) -> str:
    view = await svc.settings.get(room.id)
    names = {m.id: m.display for m in room.members.values()}
    verb = args[0].lower() if args else ""
    if verb not in ADD | REMOVE:
        return replies.admin_list(view.admins, names)
    targets = mentioned(svc, msg)
    if not targets:
        return replies.NEED_MENTION
    admins = set(view.admins)
    if verb in ADD:
        targets = [t for t in targets if t != room.owner_id]
        new = admins | set(targets)
    else:
        new = admins - set(targets)
    if new == admins:
        return replies.admins_unchanged(verb in ADD)
    await svc.settings.change(room.id, msg.sender_id, "admin_add" if verb in ADD else "admin_remove",
                                 "admins", sorted(new))
    changed = sorted((new - admins) if verb in ADD else (admins - new))
    return replies.admins_changed([names.get(t, t) for t in changed], verb in ADD)


def resolve_period(svc: Services, name: str) -> str | None:
    periods = svc.settings.rulebook.periods
    if name in periods:
        return name
    found = [k for k, p in periods.items() if len(name) >= 2 and name in p.title]
    return found[0] if len(found) == 1 else None


async def _period(svc, room, msg, args) -> str:
    view = await svc.settings.get(room.id)
    periods = svc.settings.rulebook.periods
    if not args:
        return replies.period_state(periods.get(view.period or ""), periods)
    name = resolve_period(svc, args[0])
    on = switch(args[1]) if len(args) > 1 else True
    if name is None or on is None:
        return replies.period_usage(periods)
    period = periods[name]
    if on:
        if view.period == name:
            return replies.unchanged(period.title, "已开启")
        await svc.settings.change(room.id, msg.sender_id, "period", "period", name)
        titles = [svc.plugins[r].title for r in period.rules if r in svc.plugins]
        return replies.period_on(period.title, titles)
    if view.period != name:
        return replies.unchanged(period.title, "未开启")
    await svc.settings.change(room.id, msg.sender_id, "period", "period", None)
    return replies.period_off(period.title)


COMMANDS = (
    Command("enable", _on, ADMIN, "启用一条规则", ("启用",), "规则"),
    Command("disable", _off, ADMIN, "停用一条规则", ("停用",), "规则"),
    Command("mode", _mode, ADMIN, "规则的处置方式：群内提醒、私聊提醒或仅记录", ("模式",),
            "规则 warn|private|review"),
    Command("threshold", _threshold, ADMIN, "规则的判定阈值（0~1，越高越严格）", ("阈值",), "规则 0.8"),
    Command("quiet", _quiet, ADMIN, "静默模式：全群只记录不提醒", ("静默",), "on|off"),
    Command("topic", _topic, ADMIN, "设置本群主题（判断闲聊时参照）", ("主题", "群主题"), "主题"),
    Command("allow", _allow, ADMIN, "本群放行短语（含此短语的发言不再按该规则提醒）；删除：/allow 删除 短语",
            ("放行",), "[规则] 短语"),
    Command("deny", _deny, ADMIN, "本群禁用词；可指定规则，默认按闲聊灌水", ("禁用词",), "[规则] 短语"),
    Command("admin", _admin, OWNER, "设置或取消本群管理员", ("管理员",), "add|remove @成员"),
    Command("period", _period, ADMIN, "敏感期模式（如换届选举期间加强拉票、红包规则）", ("敏感期",),
            "election on|off"),
)
