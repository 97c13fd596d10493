"""The console channel: a work group in the terminal (demo and chat modes)."""

from __future__ import annotations

import sys
from typing import TextIO

from qungui.core.actions import Action, Remove, Send, SendPrivate
from qungui.pipeline.directory import RoomDirectory
from qungui.core.events import (BotAdded, Event, MemberJoined, MemberLeft, Message, MessageType,
                         RoomSnapshot)

BOT_NAME = "群规助手"

_TYPE_LABELS = {
    MessageType.IMAGE: "[图片]", MessageType.AUDIO: "[语音]", MessageType.VIDEO: "[视频]",
    MessageType.EMOTICON: "[表情]", MessageType.URL: "[链接]", MessageType.MINI_PROGRAM: "[小程序]",
    MessageType.RECALLED: "[撤回了一条消息]", MessageType.OTHER: "[其他消息]",
}


class ConsoleChannel:
    """Prints a room's traffic as members would see it; names come from the
    engine's room directory."""

    def __init__(self, directory: RoomDirectory, out: TextIO | None = None):
        self.directory = directory
        self.out = out or sys.stdout

    def _name(self, room_id: str | None, contact_id: str) -> str:
        if room_id:
            name = self.directory.member_display(room_id, contact_id)
            if name:
                return name
        for room in self.directory.all():
            if contact_id in room.members:
                return room.members[contact_id].display
        return contact_id

    def show(self, event: Event) -> None:
        """Print an incoming event the way a member would see it."""
        w = self.out.write
        if isinstance(event, Message):
            when = event.ts.strftime("%H:%M")
            name = self._name(event.room_id, event.sender_id) if event.sender_id in \
                self.directory.room(event.room_id).members else (event.sender_name or event.sender_id)
            if event.type is MessageType.RED_ENVELOPE:
                body = f"[红包] {event.text}" + (f"（{event.amount:g}元）" if event.amount else "")
            elif event.type is MessageType.TRANSFER:
                body = "[转账]" + (f" {event.amount:g}元" if event.amount else "") + (f" {event.text}" if event.text else "")
            elif event.type is MessageType.FILE:
                body = f"[文件] {event.file_name or ''}" + (f" {event.text}" if event.text else "")
            elif event.type in _TYPE_LABELS:
                body = _TYPE_LABELS[event.type] + (f" {event.text}" if event.text else "")
            else:
                body = event.text
            w(f"[{when}] {name}：{body}\n")
        elif isinstance(event, RoomSnapshot):
            r = event.room
            w(f"━━ 群聊「{r.topic or r.id}」（{len(r.members)}人）群主：{self._name(r.id, r.owner_id or '')}\n")
        elif isinstance(event, MemberJoined):
            w(f"[{event.ts.strftime('%H:%M')}] ── “{event.member.display}”加入了群聊\n")
        elif isinstance(event, MemberLeft):
            w(f"[{event.ts.strftime('%H:%M')}] ── {self._name(event.room_id, event.member_id)} 退出了群聊\n")
        elif isinstance(event, BotAdded):
            w(f"[{event.ts.strftime('%H:%M')}] ── {BOT_NAME}被邀请加入了群聊\n")

    async def perform(self, actions: list[Action]) -> None:
        w = self.out.write
        for a in actions:
            if isinstance(a, Send):
                mentions = "".join(f"@{self._name(a.room_id, m)} " for m in a.mention_ids)
                body = a.text.replace("\n", "\n        ")
                w(f"    🤖 {BOT_NAME}：{mentions}{body}\n")
            elif isinstance(a, SendPrivate):
                w(f"    🤖 {BOT_NAME} → 私聊 {self._name(a.room_id, a.contact_id)}：{a.text}\n")
            elif isinstance(a, Remove):
                w(f"    🤖 {BOT_NAME} 已将 {self._name(a.room_id, a.member_id)} 移出群聊\n")
        self.out.flush()
