"""Platform-free events: what every channel translates its traffic into.

The same shapes are read from and written to the JSONL events file used by
the demo, the audit command and the tests (see README, "The events file").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone, timedelta
from typing import Any, Union

# A message longer than this is inspected on its first MAX_TEXT characters
# only; the engine records that it was cut (see core.engine).
MAX_TEXT = 20_000
# Identifiers longer than this are refused: they are never legitimate.
MAX_ID = 256

CHINA_TZ = timezone(timedelta(hours=8))


class EventError(ValueError):
    """An event that cannot be understood; the message says which field."""


class MessageType(str, enum.Enum):
    TEXT = "text"
    IMAGE = "image"
    FILE = "file"
    RED_ENVELOPE = "red_envelope"
    TRANSFER = "transfer"
    URL = "url"
    MINI_PROGRAM = "mini_program"
    AUDIO = "audio"
    VIDEO = "video"
    EMOTICON = "emoticon"
    RECALLED = "recalled"
    OTHER = "other"


@dataclass(frozen=True)
class Member:
    id: str
    name: str = ""
    alias: str = ""  # the group nickname (群昵称), e.g. 李明-商务局-局长

    @property
    def display(self) -> str:
        return self.alias or self.name or self.id


@dataclass
class Room:
    id: str
    topic: str = ""
    purpose: str = ""
    owner_id: str | None = None
    members: dict[str, Member] = field(default_factory=dict)

    @property
    def owner(self) -> Member | None:
        return self.members.get(self.owner_id) if self.owner_id else None


@dataclass(frozen=True)
class Message:
    id: str
    room_id: str
    sender_id: str
    ts: datetime
    type: MessageType = MessageType.TEXT
    text: str = ""
    sender_name: str = ""
    mention_ids: tuple[str, ...] = ()
    file_name: str | None = None
    amount: float | None = None


@dataclass(frozen=True)
class RoomSnapshot:
    """A room's current state: topic, purpose, owner and members."""

    room: Room
    ts: datetime | None = None


@dataclass(frozen=True)
class MemberJoined:
    room_id: str
    member: Member
    ts: datetime
    inviter_id: str | None = None


@dataclass(frozen=True)
class MemberLeft:
    room_id: str
    member_id: str
    ts: datetime


@dataclass(frozen=True)
class BotAdded:
    """The bot account was added to a room: it posts its greeting and 群规."""

    room_id: str
    ts: datetime
    inviter_id: str | None = None


@dataclass(frozen=True)
class PrivateMessage:
    """A message to the bot in a private chat (a 举报, an appeal, /help)."""

    id: str
    sender_id: str
    ts: datetime
    text: str = ""
    sender_name: str = ""


Event = Union[RoomSnapshot, MemberJoined, MemberLeft, BotAdded, Message, PrivateMessage]


# --- reading events from plain dicts (JSONL lines, exports) ---------------


def _str(d: dict, key: str, *, required: bool = False, limit: int = MAX_ID) -> str:
    value = d.get(key)
    if value is None or value == "":
        if required:
            raise EventError(f"missing field '{key}'")
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise EventError(f"field '{key}' must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise EventError(f"field '{key}' is longer than {limit} characters")
    return value


def parse_ts(value: Any, key: str = "ts") -> datetime:
    """ISO 8601 or epoch seconds; naive times are taken as China time."""
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ts = datetime.fromtimestamp(value, tz=timezone.utc)
    elif isinstance(value, str) and value:
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise EventError(f"field '{key}' is not an ISO 8601 time: {value[:40]!r}") from None
    else:
        raise EventError(f"missing field '{key}'")
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=CHINA_TZ)
    return ts


def _member(d: Any, where: str) -> Member:
    if not isinstance(d, dict):
        raise EventError(f"'{where}' must be an object")
    return Member(id=_str(d, "id", required=True), name=_str(d, "name", limit=200),
                  alias=_str(d, "alias", limit=200))


def event_from_dict(d: Any, *, now: datetime | None = None) -> Event:
    """Translate one events-file object; unknown keys are ignored."""
    if not isinstance(d, dict):
        raise EventError("an event must be a JSON object")
    kind = d.get("kind")
    if kind == "message":
        raw_type = d.get("type", "text") or "text"
        try:
            mtype = MessageType(raw_type)
        except ValueError:
            raise EventError(f"unknown message type {str(raw_type)[:40]!r}") from None
        text = d.get("text") or ""
        if not isinstance(text, str):
            raise EventError("field 'text' must be a string")
        mentions = d.get("mention_ids") or []
        if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
            raise EventError("field 'mention_ids' must be a list of strings")
        amount = d.get("amount")
        if amount is not None:
            try:
                amount = float(amount)
            except (TypeError, ValueError):
                raise EventError("field 'amount' must be a number") from None
        ts_raw = d.get("ts")
        return Message(
            id=_str(d, "id", required=True),
            room_id=_str(d, "room_id", required=True),
            sender_id=_str(d, "sender_id", required=True),
            sender_name=_str(d, "sender_name", limit=200),
            ts=parse_ts(ts_raw) if ts_raw is not None or now is None else now,
            type=mtype,
            text=text,
            mention_ids=tuple(mentions[:100]),
            file_name=_str(d, "file_name", limit=1000) or None,
            amount=amount,
        )
    if kind == "room":
        members_raw = d.get("members") or []
        if not isinstance(members_raw, list):
            raise EventError("field 'members' must be a list")
        members = {}
        for i, m in enumerate(members_raw):
            member = _member(m, f"members[{i}]")
            members[member.id] = member
        room = Room(
            id=_str(d, "room_id", required=True),
            topic=_str(d, "topic", limit=500),
            purpose=_str(d, "purpose", limit=2000),
            owner_id=_str(d, "owner_id") or None,
            members=members,
        )
        return RoomSnapshot(room=room, ts=parse_ts(d["ts"]) if d.get("ts") else None)
    if kind == "join":
        return MemberJoined(
            room_id=_str(d, "room_id", required=True),
            member=_member(d.get("member"), "member"),
            inviter_id=_str(d, "inviter_id") or None,
            ts=parse_ts(d.get("ts")) if d.get("ts") or now is None else now,
        )
    if kind == "leave":
        return MemberLeft(
            room_id=_str(d, "room_id", required=True),
            member_id=_str(d, "member_id", required=True),
            ts=parse_ts(d.get("ts")) if d.get("ts") or now is None else now,
        )
    if kind == "bot_added":
        return BotAdded(
            room_id=_str(d, "room_id", required=True),
            inviter_id=_str(d, "inviter_id") or None,
            ts=parse_ts(d.get("ts")) if d.get("ts") or now is None else now,
        )
    if kind == "private":
        text = d.get("text") or ""
        if not isinstance(text, str):
            raise EventError("field 'text' must be a string")
        return PrivateMessage(
            id=_str(d, "id", required=True),
            sender_id=_str(d, "sender_id", required=True),
            sender_name=_str(d, "sender_name", limit=200),
            text=text,
            ts=parse_ts(d.get("ts")) if d.get("ts") or now is None else now,
        )
    if kind is None:
        raise EventError("missing field 'kind'")
    raise EventError(f"unknown event kind {str(kind)[:40]!r}")


def event_to_dict(event: Event) -> dict:
    """The inverse of event_from_dict, for writing events files."""
    if isinstance(event, Message):
        return {"kind": "message", "id": event.id, "ts": event.ts.isoformat(),
                "room_id": event.room_id, "sender_id": event.sender_id,
                "sender_name": event.sender_name, "type": event.type.value,
                "text": event.text, "mention_ids": list(event.mention_ids),
                "file_name": event.file_name, "amount": event.amount}
    if isinstance(event, RoomSnapshot):
        r = event.room
        return {"kind": "room", "room_id": r.id, "topic": r.topic, "purpose": r.purpose,
                "owner_id": r.owner_id,
                "members": [{"id": m.id, "name": m.name, "alias": m.alias}
                            for m in r.members.values()]}
    if isinstance(event, MemberJoined):
        return {"kind": "join", "room_id": event.room_id, "ts": event.ts.isoformat(),
                "member": {"id": event.member.id, "name": event.member.name,
                           "alias": event.member.alias},
                "inviter_id": event.inviter_id}
    if isinstance(event, MemberLeft):
        return {"kind": "leave", "room_id": event.room_id, "member_id": event.member_id,
                "ts": event.ts.isoformat()}
    if isinstance(event, BotAdded):
        return {"kind": "bot_added", "room_id": event.room_id, "ts": event.ts.isoformat(),
                "inviter_id": event.inviter_id}
    if isinstance(event, PrivateMessage):
        return {"kind": "private", "id": event.id, "ts": event.ts.isoformat(),
                "sender_id": event.sender_id, "sender_name": event.sender_name,
                "text": event.text}
    raise TypeError(f"not an event: {event!r}")
