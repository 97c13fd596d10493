"""Test doubles for what cannot run here (WeChat itself): wechaty's own
FakePuppet with its 0.10.7 defects fixed, and a fake clock for the queue."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import datetime

from qungui.channels.wechaty import load_wechaty

load_wechaty()   # the Python 3.11 fix must come before wechaty is imported

from wechaty.fake_puppet import FakePuppet  # noqa: E402
from wechaty_puppet import (ContactPayload, EventLoginPayload, EventMessagePayload,  # noqa: E402
                            EventRoomJoinPayload, EventRoomLeavePayload, EventRoomTopicPayload,
                            MessagePayload, MessageType, RoomMemberPayload, RoomPayload)

BOT_ID = "wxid_bot"


class WorkGroupPuppet(FakePuppet):
    """wechaty's FakePuppet, fixed where 0.10.7 is broken, plus helpers that
    emit events the way a puppet does.

    Fixed: ``start`` logs in as a hard-coded id (not the puppet's own) and never
    returns; ``stop`` keeps the event listeners; ``room_member_payload`` pops the payload, so only the first look-up
    of a member ever answers, and it is not per room; sends are not recorded.
    """

    def __init__(self, options):
        super().__init__(options)
        self.login_user_id = BOT_ID
        self.add_fake_contact(ContactPayload(id=BOT_ID, name="群规助手", friend=True))
        self.sent: list[tuple[str, str, list[str]]] = []
        self.removed: list[tuple[str, str]] = []
        self.fail_sends = 0
        self.calls: list[str] = []
        self._members: dict[tuple[str, str], RoomMemberPayload] = {}
        self._stop = asyncio.Event()

    # --- fixed puppet methods ---------------------------------------------------

    async def start(self) -> None:
        self._stop.clear()
        self.emitter.emit("login", EventLoginPayload(contact_id=self.login_user_id))
        await self._stop.wait()

    async def stop(self) -> None:
        # like PuppetService: a stopped puppet forgets its listeners, so the next
        # bridge (after a reconnect) does not receive every event twice
        self.emitter.remove_all_listeners()
        self._stop.set()

    async def room_member_payload(self, room_id: str, contact_id: str):
        self.calls.append(f"room_member_payload:{room_id}:{contact_id}")
        return self._members.get((room_id, contact_id))

    async def room_payload(self, room_id: str):
        self.calls.append(f"room_payload:{room_id}")
        return self.get_fake_room(room_id)

    async def message_send_text(self, conversation_id, message, mention_ids=None):
        if self.fail_sends:
            self.fail_sends -= 1
            raise ConnectionError("puppet service unavailable")
        self.sent.append((conversation_id, message, list(mention_ids or [])))
        return f"sent-{len(self.sent)}"

    async def room_delete(self, room_id, contact_id):
        self.removed.append((room_id, contact_id))
        await super().room_delete(room_id, contact_id)

    # --- building the world -------------------------------------------------------------

    def add_member(self, room_id: str, contact_id: str, name: str, alias: str = "") -> None:
        if self.get_fake_contact(contact_id) is None:
            self.add_fake_contact(ContactPayload(id=contact_id, name=name))
        room = self.get_fake_room(room_id)
        if contact_id not in room.member_ids:
            room.member_ids.append(contact_id)
        self._members[(room_id, contact_id)] = RoomMemberPayload(id=contact_id, name=name,
                                                                 room_alias=alias)

    def add_room(self, room_id: str, topic: str, owner_id: str,
                 members: list[tuple[str, str, str]], with_bot: bool = True) -> None:
        self.add_fake_room(RoomPayload(id=room_id, topic=topic, owner_id=owner_id, member_ids=[],
                                       admin_ids=[owner_id]))
        for cid, name, alias in members:
            self.add_member(room_id, cid, name, alias)
        if with_bot:
            self.add_member(room_id, BOT_ID, "群规助手")

    # --- emitting events ----------------------------------------------------------------

    def say(self, room_id: str, sender_id: str, text: str = "", *,
            type: MessageType = MessageType.MESSAGE_TYPE_TEXT, mention_ids=(), filename: str = "",
            ts: float | None = None, message_id: str | None = None) -> str:
        # ids are unique per process: wechaty drops a message id it has seen before
        message_id = message_id or f"msg-{uuid.uuid4().hex[:12]}"
        self.add_fake_message(MessagePayload(
            id=message_id, text=text, type=type, from_id=sender_id, room_id=room_id,
            mention_ids=list(mention_ids), filename=filename,
            timestamp=int(ts if ts is not None else time.time())))
        self.emitter.emit("message", EventMessagePayload(message_id=message_id))
        return message_id

    def join(self, room_id: str, invitee_ids: list[str], inviter_id: str, ts: float | None = None):
        self.emitter.emit("room-join", EventRoomJoinPayload(
            invited_ids=invitee_ids, inviter_id=inviter_id, room_id=room_id,
            timestamp=ts if ts is not None else time.time()))

    def leave(self, room_id: str, leaver_ids: list[str], remover_id: str):
        for cid in leaver_ids:
            room = self.get_fake_room(room_id)
            if cid in room.member_ids:
                room.member_ids.remove(cid)
        self.emitter.emit("room-leave", EventRoomLeavePayload(
            removed_ids=leaver_ids, remover_id=remover_id, room_id=room_id, timestamp=time.time()))

    def rename(self, room_id: str, new_topic: str, changer_id: str):
        room = self.get_fake_room(room_id)
        old, room.topic = room.topic, new_topic
        self.emitter.emit("room-topic", EventRoomTopicPayload(
            changer_id=changer_id, new_topic=new_topic, old_topic=old, room_id=room_id,
            timestamp=time.time()))


class FakeClock:
    """The outbound queue's clock, advanced by the queue's own waits: a burst
    of hundreds of sends runs in milliseconds and its timing is exact."""

    def __init__(self, start: float = 1000.0):
        self.t = start

    def now(self) -> float:
        return self.t

    async def wait(self, delay, wake: asyncio.Event) -> None:
        if wake.is_set():
            return
        if delay is None:
            await wake.wait()
            return
        self.t += max(delay, 0.0)
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def serving(channel):
    """The channel's ``serve`` in a task while the block runs, connected when
    it starts; ``channel.stop`` and ``channel.task`` let a test stop it itself."""
    channel.stop = asyncio.Event()
    channel.task = asyncio.create_task(channel.serve(channel.stop))
    await asyncio.wait_for(channel.connected.wait(), 10)
    try:
        yield channel
    finally:
        channel.stop.set()
        await asyncio.wait_for(channel.task, 20)


async def until(predicate, timeout: float = 10.0, what: str = "condition"):
    """Wait (real time) for something the bot does in the background."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def outbox_empty(repo, timeout: float = 10.0) -> None:
    """Wait until no outbox row waits or is being sent."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        counts = await repo.outbox_counts()
        if counts.pending == 0 and counts.sending == 0:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the outbox did not empty: {counts}")
        await asyncio.sleep(0.02)


def epoch(dt: datetime) -> float:
    return dt.timestamp()
