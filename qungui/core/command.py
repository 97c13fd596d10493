"""The group-command contract: levels, a command, its reply, and the
decorator a rule uses to bring commands of its own.

Permission goes by contact id, never by nickname. Four levels, each
including the ones below it: ``member``, ``admin`` (named by the owner),
``owner`` (from the room's data) and ``operator`` (the deployment's, in every
room). The router (``qungui.commands``) checks the level before a handler
runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Mapping, Union

from qungui.core.actions import SendPrivate
from qungui.core.events import Message, Room
from qungui.core.outcomes import Act

MEMBER, ADMIN, OWNER, OPERATOR = "member", "admin", "owner", "operator"
RANK = {MEMBER: 0, ADMIN: 1, OWNER: 2, OPERATOR: 3}


@dataclass(frozen=True)
class Reply:
    """A command's answer: text in the group (mentioning the sender and
    ``mentions``), or only private messages (``text`` empty)."""

    text: str = ""
    mentions: tuple[str, ...] = ()
    private: tuple[SendPrivate, ...] = ()
    action: Act = Act.REPLY


@dataclass(frozen=True)
class Command:
    """``handler`` answers in the group and ``private`` in a private chat;
    each is whatever the router that registers the command calls (the owners'
    commands take the router's services; a rule's commands take a
    ``RuleCommand``)."""

    name: str
    handler: Callable[..., Awaitable[Union[str, Reply]]] | None
    level: str = MEMBER
    help: str = ""
    aliases: tuple[str, ...] = ()
    usage: str = ""                   # arguments, shown by /help, e.g. "规则 0.8"
    private: Callable[..., Awaitable[Union[str, Reply]]] | None = None
    # a private-only command sent in the group is answered with this (None:
    # the reply that protects the sender's identity, for reports and appeals)
    in_group: str | None = None


@dataclass(frozen=True)
class RuleCommand:
    """What a rule's own command sees: the room, the message, the words after
    the command, and the rule's parameters in this room (None where the room
    has the rule switched off)."""

    room: Room
    message: Message
    args: list[str]
    params: Mapping[str, Any] | None
    bot_id: str

    @property
    def now(self) -> datetime:
        return self.message.ts


def command(name: str, *, level: str = MEMBER, help: str = "", aliases: tuple[str, ...] = (),
            usage: str = ""):
    """Mark a rule's method as a group command, as NoneBot2's ``on_command``
    does. The method takes a ``RuleCommand`` and returns a ``Reply`` or text;
    the rule's class collects it into its specification's commands."""
    if level not in RANK:
        raise ValueError(f"unknown command level {level!r}")

    def mark(method):
        method.__rule_command__ = Command(name, None, level, help, tuple(aliases), usage)
        return method

    return mark


def is_command(text: str) -> bool:
    return text.lstrip().startswith(("/", "／"))


# a slash and a plain word, perhaps with a few plain words after it
# (/frobnicate, /stauts on): shaped like a command, whether or not it is one
_COMMAND_SHAPED = re.compile(r"\s*[/／][A-Za-z][\w-]{0,31}(?:\s+[\w-]{1,32}){0,3}\s*", re.ASCII)


def command_shaped(text: str) -> bool:
    """A command's shape and nothing else: one the router does not know is
    a command mistyped, not talk (Chinese words or a contact after a slash
    are talk)."""
    return _COMMAND_SHAPED.fullmatch(text) is not None


def parse(text: str) -> tuple[str, list[str]]:
    """'/mode 广告 review' -> ('mode', ['广告', 'review'])."""
    body = text.lstrip()[1:]
    parts = body.split()
    if not parts:
        return "", []
    return parts[0].lower(), parts[1:]
