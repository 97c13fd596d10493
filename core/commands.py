"""Slash commands typed in the group, and who may use them.

Permission goes by contact id: the room owner (from the room's data) and the
deployment's operators (configuration). A nickname never grants anything:
a member who renames themselves to the owner's name is still refused.
Plugins may add commands through a ``commands`` mapping of their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable

from core.actions import Send
from core.events import Message, Room

if TYPE_CHECKING:
    from core.engine import Moderator, Outcome

log = logging.getLogger(__name__)

Handler = Callable[["Moderator", Room, Message, list[str]], Awaitable[str]]

MEMBER, ADMIN = "member", "admin"
ACTION_NAMES = {"warn": "群内提醒", "private": "私聊提醒", "review": "仅记录"}
REFUSAL = "抱歉，该指令仅限群主或管理员使用。"


def is_command(text: str) -> bool:
    return text.lstrip().startswith(("/", "／"))


def parse(text: str) -> tuple[str, list[str]]:
    body = text.lstrip()[1:]
    parts = body.split()
    if not parts:
        return "", []
    return parts[0].lower(), parts[1:]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    level: str = MEMBER
    help: str = ""
    aliases: tuple[str, ...] = ()


async def _help(engine: "Moderator", room: Room, msg: Message, args: list[str]) -> str:
    privileged = engine.is_privileged(room, msg.sender_id)
    lines = ["可用指令："]
    for cmd in engine.commands.listing():
        if cmd.level == MEMBER or privileged:
            names = " ".join(f"/{n}" for n in (cmd.name, *cmd.aliases))
            lines.append(f"{names} — {cmd.help}")
    return "\n".join(lines)


async def _rules(engine: "Moderator", room: Room, msg: Message, args: list[str]) -> str:
    return engine.rulebook.rules_post()


async def _status(engine: "Moderator", room: Room, msg: Message, args: list[str]) -> str:
    rb = engine.rulebook
    mode = "仅记录（不发言）" if rb.mode == "review" else "正常"
    lines = [f"群规助手运行中。规则集：{rb.name}；模式：{mode}。"]
    for rule, cfg in rb.rules.items():
        plugin = engine.plugins.get(rule)
        title = plugin.title if plugin else rule
        state = f"{ACTION_NAMES[cfg.action]}，阈值{cfg.threshold:g}" if cfg.enabled else "已关闭"
        lines.append(f"· {title}（{rule}）：{state}")
    esc = rb.escalation
    lines.append(f"{esc.window_days:g}天内被提醒{esc.notify_owner_after}次将私信告知群主"
                 + (f"，{esc.remove_after}次移出本群。" if esc.remove_after else "。"))
    if engine.repo.degraded:
        lines.append("注意：数据库暂不可用，记录已暂存本地，恢复后自动写入。")
    return "\n".join(lines)


BUILTINS = (
    Command("help", _help, MEMBER, "查看可用指令", ("帮助",)),
    Command("rules", _rules, MEMBER, "查看本群群规", ("群规",)),
    Command("status", _status, ADMIN, "查看助手运行状态与各规则模式", ("状态",)),
)


class CommandRouter:
    def __init__(self, engine: "Moderator"):
        self.engine = engine
        self._table: dict[str, Command] = {}
        self._commands: list[Command] = []
        for cmd in BUILTINS:
            self.add(cmd)
        for plugin in engine.plugins.values():
            for cmd in getattr(plugin, "commands", ()):
                self.add(cmd)

    def add(self, cmd: Command) -> None:
        for name in (cmd.name, *cmd.aliases):
            if name in self._table:
                raise ValueError(f"command /{name} is defined twice")
            self._table[name] = cmd
        self._commands.append(cmd)

    def listing(self) -> list[Command]:
        return list(self._commands)

    async def dispatch(self, room: Room, msg: Message) -> "Outcome":
        from core.engine import Outcome

        name, args = parse(msg.text)
        cmd = self._table.get(name)
        if cmd is None:
            reply = f"未知指令 /{name}，发送 /help 查看可用指令。" if name else "发送 /help 查看可用指令。"
            return Outcome("command", "unknown", actions=[Send(room.id, reply, (msg.sender_id,))])
        if cmd.level == ADMIN and not self.engine.is_privileged(room, msg.sender_id):
            log.warning("refused /%s from %s in room %s (not owner or operator)",
                        cmd.name, msg.sender_id, room.id)
            return Outcome("command", "refused", actions=[Send(room.id, REFUSAL, (msg.sender_id,))])
        try:
            reply = await cmd.handler(self.engine, room, msg, args)
        except Exception as exc:  # noqa: BLE001 - a broken command must not stop the bot
            log.exception("command /%s failed", cmd.name)
            return Outcome("command", "error", error=str(exc)[:200],
                           actions=[Send(room.id, "指令执行出错，请稍后再试。", (msg.sender_id,))])
        return Outcome("command", "reply", actions=[Send(room.id, reply, (msg.sender_id,))])
