"""Slash commands typed in the group (or privately to the bot), and who may use them.

Permission goes by contact id, never by nickname: a member who renames
themselves to the owner's name is still refused. Four levels, each including
the ones below it:

- ``member``: everyone in the group;
- ``admin``: delegated admins the owner named with ``/admin add @member``;
- ``owner``: the room's owner (from the room's data);
- ``operator``: the deployment's operators (configuration), in every room.

Anyone below a command's level gets one short refusal (at most once per
command in ``REFUSAL_COOLDOWN``, so a refused member cannot make the bot
flood the group), and every attempt is an audit-log row.

Every command has a Chinese alias. The commands themselves live beside this
module (settings, records, members, duties); a rule brings its own with the
``@command`` decorator (``qungui.core.command``), and the router registers
them from the rules' classes. Handlers receive the engine's ``Services``,
never the engine.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from qungui.commands import replies
from qungui.core.actions import Action, Send, SendPrivate
from qungui.core.command import (ADMIN, MEMBER, OPERATOR, OWNER, RANK, Command, Reply,
                                 RuleCommand, is_command, parse)
from qungui.core.events import Message, PrivateMessage, Room
from qungui.core.outcomes import Act
from qungui.core.plugin import Plugin
from qungui.pipeline.outcome import Outcome
from qungui.pipeline.services import Services

log = logging.getLogger(__name__)

REFUSAL_COOLDOWN = timedelta(minutes=10)
# a text that looks like a command but is none gets one pointer to /help per
# member in this time, never an echo of what was typed
UNKNOWN_HINT_COOLDOWN = timedelta(minutes=10)
HINTS_KEPT = 10_000


def role(svc: Services, room: Room, contact_id: str) -> str:
    """The contact's level in the room, by contact id only."""
    if contact_id in svc.operators:
        return OPERATOR
    if room.owner_id and contact_id == room.owner_id:
        return OWNER
    if contact_id in svc.settings.peek(room.id).admins:
        return ADMIN
    return MEMBER


def mentioned(svc: Services, msg: Message) -> list[str]:
    """The contact ids the message @mentions (never a typed nickname), the
    bot left out, in order, once each."""
    return list(dict.fromkeys(m for m in msg.mention_ids if m and m != svc.bot_id))


def words(args: list[str]) -> list[str]:
    """The arguments without the @mention text the client put there."""
    return [a for a in args if not a.startswith(("@", "＠"))]


async def _help(svc: Services, room: Room, msg: Message, args: list[str]) -> str:
    rank = RANK[role(svc, room, msg.sender_id)]
    lines = ["可用指令："]
    for cmd in svc.commands.listing():
        if RANK[cmd.level] <= rank:
            lines.append(replies.help_line(cmd.name, cmd.aliases, cmd.usage, cmd.help))
    return "\n".join(lines)


async def _rules(svc: Services, room: Room, msg: Message, args: list[str]) -> str:
    return svc.rulebook.rules_post()


async def _status(svc: Services, room: Room, msg: Message, args: list[str]) -> str:
    view = await svc.settings.get(room.id)
    titles = {r: svc.title(r) for r in view.rulebook.rules}
    changes = [r for r in await svc.incidents.audit_log(room.id, limit=20)
               if r.action not in replies.NOT_CHANGES][:3]
    names = {m.id: m.display for m in room.members.values()}
    link = svc.connection.report() if svc.connection is not None else None
    outbox = await svc.outbox.outbox_counts() if svc.outbox is not None else None
    return replies.status(view, titles, changes, names, degraded=svc.incidents.degraded,
                          spool_problem=svc.incidents.spool_problem, connection=link,
                          outbox=outbox)


async def _private_help(svc: Services, msg: PrivateMessage, args: list[str]) -> str:
    return replies.PRIVATE_HELP


BUILTINS = (
    Command("help", _help, MEMBER, "查看可用指令", ("帮助",), private=_private_help),
    Command("rules", _rules, MEMBER, "查看本群群规", ("群规",)),
    Command("status", _status, ADMIN, "查看各规则设置、本群设置与最近变更", ("状态",)),
)


def rule_command(plugin: Plugin, cmd: Command, method: str) -> Command:
    """A rule's own command, called with a ``RuleCommand``: the room, the
    message, the arguments, and the rule's parameters in that room."""
    bound = getattr(plugin, method)

    async def handler(svc: Services, room: Room, msg: Message, args: list[str]):
        view = await svc.settings.get(room.id)
        return await bound(RuleCommand(room=room, message=msg, args=args,
                                       params=view.params.get(plugin.name), bot_id=svc.bot_id))

    return replace(cmd, handler=handler)


class CommandRouter:
    """Commands are registered in order: the built-ins, then each of
    ``tables``, then the rules' own (in the order of the rules)."""

    def __init__(self, services: Services, tables: tuple[tuple[Command, ...], ...] = (),
                 bare: frozenset[str] = frozenset()):
        self.svc = services
        # names a private message may start with, without the slash, when a
        # number follows ("确认 123", the answer the owner's note asks for)
        self.bare = bare
        services.commands = self
        self._table: dict[str, Command] = {}
        self._commands: list[Command] = []
        # (room, contact, command) -> when that contact was last told "no"
        self._refused: dict[tuple[str, str, str], datetime] = {}
        self._uses: dict[tuple, list[datetime]] = {}
        self._hinted: dict[tuple[str, str], datetime] = {}
        for cmd in BUILTINS + tuple(c for table in tables for c in table):
            self.add(cmd)
        for plugin in services.plugins.values():
            for cmd, method in plugin.commands:
                self.add(rule_command(plugin, cmd, method))

    def add(self, cmd: Command) -> None:
        for name in (cmd.name, *cmd.aliases):
            if name in self._table:
                raise ValueError(f"command /{name} is defined twice")
            self._table[name] = cmd
        self._commands.append(cmd)

    def listing(self) -> list[Command]:
        return list(self._commands)

    def find(self, name: str) -> Command | None:
        return self._table.get(name)

    def knows(self, text: str) -> bool:
        return is_command(text) and parse(text)[0] in self._table

    def unknown_hint(self, room: Room, msg: Message) -> Action | None:
        key = (room.id, msg.sender_id)
        last = self._hinted.get(key)
        if last is not None and msg.ts - last < UNKNOWN_HINT_COOLDOWN:
            return None
        if len(self._hinted) >= HINTS_KEPT:
            self._hinted.clear()      # forgetting hints only risks one more pointer to /help
        self._hinted[key] = msg.ts
        return Send(room.id, replies.unknown_command(""), (msg.sender_id,))

    def within_rate(self, key: tuple, now: datetime, limit: int, per: timedelta) -> bool:
        """Count one use under ``key``; False when ``limit`` uses in ``per`` are exceeded."""
        uses = [t for t in self._uses.get(key, ()) if now - t < per]
        if len(uses) >= limit:
            self._uses[key] = uses
            return False
        self._uses[key] = uses + [now]
        return True

    async def dispatch(self, room: Room, msg: Message) -> Outcome:
        name, args = parse(msg.text)
        cmd = self._table.get(name)
        if cmd is None or cmd.handler is None:
            reply = (replies.private_only(name, cmd.in_group) if cmd is not None
                     else replies.unknown_command(""))
            return Outcome("command", Act.UNKNOWN, actions=[Send(room.id, reply, (msg.sender_id,))])
        level = role(self.svc, room, msg.sender_id)
        if RANK[level] < RANK[cmd.level]:
            return await self._refuse(room, msg, cmd, level)
        try:
            reply = await cmd.handler(self.svc, room, msg, args)
        except Exception as exc:  # noqa: BLE001 - a broken command must not stop the bot
            log.exception("command /%s failed", cmd.name)
            return Outcome("command", Act.ERROR, error=str(exc)[:200],
                           actions=[Send(room.id, replies.COMMAND_FAILED, (msg.sender_id,))])
        if isinstance(reply, str):
            reply = Reply(reply)
        actions: list[Action] = []
        if reply.text:
            actions.append(Send(room.id, reply.text, (msg.sender_id, *reply.mentions)))
        actions.extend(reply.private)
        return Outcome("command", reply.action, actions=actions)

    def _bare(self, text: str) -> tuple[str, list[str]]:
        """A private message without the slash: a command only if it starts
        with one of ``bare`` and a number follows (e.g. "确认 123", "撤销123 理由")."""
        body = text.strip()
        for name in self.bare:
            rest = body[len(name):]
            if body.startswith(name) and rest.lstrip()[:1].isdecimal():
                return name, rest.split()
        return "", []

    async def _refuse(self, room: Room, msg: Message, cmd: Command, level: str) -> Outcome:
        log.info("refused /%s from %s (%s) in room %s", cmd.name, msg.sender_id, level, room.id)
        try:
            text = self.svc.screen(msg.text, room)[:200]
            await self.svc.records.audit(room.id, msg.sender_id, "refused", f"/{cmd.name}",
                                         after={"level": level, "text": text})
        except Exception:  # noqa: BLE001 - the refusal still stands without its record
            log.exception("could not record the refused /%s", cmd.name)
        key = (room.id, msg.sender_id, cmd.name)
        last = self._refused.get(key)
        self._refused[key] = msg.ts
        if last is not None and msg.ts - last < REFUSAL_COOLDOWN:
            return Outcome("command", Act.REFUSED)
        return Outcome("command", Act.REFUSED,
                       actions=[Send(room.id, replies.REFUSAL[cmd.level], (msg.sender_id,))])

    async def dispatch_private(self, msg: PrivateMessage) -> "Outcome":
        """A message sent to the bot privately: only commands with a private
        form answer; anything else gets the short private help."""
        name, args = parse(msg.text) if is_command(msg.text) else self._bare(msg.text)
        cmd = self._table.get(name)
        if cmd is None or cmd.private is None:
            text = replies.PRIVATE_HELP if cmd is None else replies.group_only(name)
            return Outcome("private", Act.REPLY, actions=[SendPrivate(msg.sender_id, text)])
        try:
            reply = await cmd.private(self.svc, msg, args)
        except Exception as exc:  # noqa: BLE001 - a broken command must not stop the bot
            log.exception("private command /%s failed", cmd.name)
            return Outcome("private", Act.ERROR, error=str(exc)[:200],
                           actions=[SendPrivate(msg.sender_id, replies.COMMAND_FAILED)])
        if isinstance(reply, str):
            reply = Reply(reply)
        return Outcome("private", reply.action,
                       actions=[SendPrivate(msg.sender_id, reply.text), *reply.private])
