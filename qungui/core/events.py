"""Platform-free events: what every channel translates its traffic into.

The same shapes are read from and written to the JSONL events file used by
the demo, the audit command and the tests (see README, "The events file").
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from datetime import datetime, timezone, timedelta
from functools import lru_cache
from typing import Any, Union

# A message longer than this is inspected on its first MAX_TEXT characters
# only; the engine records that it was cut (see core.engine).
MAX_TEXT = 20_000
# Identifiers longer than this are refused: they are never legitimate.
MAX_ID = 256
# Names and group nicknames longer than this are refused (the store's limit).
MAX_NAME = 200

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

# Times outside [TS_MIN, TS_MAX) are refused: no chat message is that old or
# that far ahead, and the date arithmetic around them (time zones, warning
# windows, retention) would overflow.
TS_MIN = datetime(1970, 1, 1, tzinfo=timezone.utc)
TS_MAX = datetime(3000, 1, 1, tzinfo=timezone.utc)
_EPOCH_MAX = (TS_MAX - TS_MIN).total_seconds()
# A red envelope or transfer larger than this is not a number anyone typed.
MAX_AMOUNT = 1e12
# More members than this in one room snapshot is not a WeChat group (at most 2,000).
MAX_MEMBERS = 5_000
MAX_MENTIONS = 100

# What no database column can hold: NUL (PostgreSQL text) and lone surrogates
# (not encodable as UTF-8; JSON's "\ud800" escapes produce them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_str(value: str) -> tuple[str, str]:
    """``value`` without NUL characters and lone surrogates, and what was
    removed ("" when nothing was). Valid characters outside the BMP are
    kept: a JSON surrogate pair is decoded into one character before this."""
    if "\x00" not in value:
        try:
            value.encode("utf-8")
            return value, ""
        except UnicodeEncodeError:
            pass
    nul = value.count("\x00")
    cleaned, removed = _UNSTORABLE.subn("", value)
    what = []
    if removed - nul:
        what.append(f"{removed - nul} lone surrogate(s)")
    if nul:
        what.append(f"{nul} NUL character(s)")
    return cleaned, " and ".join(what)


def _show(value: Any) -> str:
    """A short, printable description of a value from the file (never its
    whole repr: it may be huge or nested thousands deep)."""
    if isinstance(value, str):
        return repr(clean_str(value[:40])[0]) + ("…" if len(value) > 40 else "")
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if abs(value) < 10 ** 15:
            return str(value)
        try:
            return f"{float(value):.3g}"        # str() of 4,300+ digits would raise
        except OverflowError:
            return "(a number too large to use)"
    if isinstance(value, float):
        return repr(value)
    return f"(a JSON {'list' if isinstance(value, list) else 'object' if isinstance(value, dict) else type(value).__name__})"


def _str(d: dict, key: str, *, required: bool = False, limit: int = MAX_ID) -> str:
    value = d.get(key)
    if value is None or value == "":
        if required:
            raise EventError(f"missing field '{key}'")
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10 ** 30:
            raise EventError(f"field '{key}' is a number too large to be an identifier")
        value = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise EventError(f"field '{key}' must be a string, got {value!r}")
        value = str(value)
    if not isinstance(value, str):
        raise EventError(f"field '{key}' must be a string, got {_kind_of(value)}")
    if len(value) > limit:
        raise EventError(f"field '{key}' is longer than {limit} characters")
    return value


def _kind_of(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def check_ts(ts: datetime, key: str = "ts") -> datetime:
    """An aware time inside [TS_MIN, TS_MAX); a naive one is taken as China time."""
    if not isinstance(ts, datetime):
        raise EventError(f"field '{key}' must be a time, got {_kind_of(ts)}")
    if ts.tzinfo is None or ts.utcoffset() is None:
        ts = ts.replace(tzinfo=CHINA_TZ)
    if not TS_MIN <= ts < TS_MAX:
        raise EventError(f"field '{key}' is out of range: {ts.isoformat()} "
                         f"(times from {TS_MIN.year} to {TS_MAX.year - 1} are accepted)")
    return ts


def parse_ts(value: Any, key: str = "ts") -> datetime:
    """ISO 8601 or epoch seconds; naive times are taken as China time; times
    outside [TS_MIN, TS_MAX), NaN and infinities are refused (EventError)."""
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise EventError(f"field '{key}' is not a finite number: {value!r}")
        if not 0 <= value < _EPOCH_MAX:
            hint = " (milliseconds? give seconds)" if _EPOCH_MAX <= value < _EPOCH_MAX * 1000 else ""
            raise EventError(f"field '{key}' is out of range: {_show(value)} seconds since 1970 "
                             f"(times from {TS_MIN.year} to {TS_MAX.year - 1} are accepted){hint}")
        ts = datetime.fromtimestamp(value, tz=timezone.utc)
    elif isinstance(value, str) and value:
        if len(value) > 64:
            raise EventError(f"field '{key}' is not an ISO 8601 time: {_show(value)}")
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise EventError(f"field '{key}' is not an ISO 8601 time: {_show(value)}") from None
    elif value is None or value == "":
        raise EventError(f"missing field '{key}'")
    else:
        raise EventError(f"field '{key}' must be an ISO 8601 time or epoch seconds, "
                         f"got {_kind_of(value)}")
    return check_ts(ts, key)


def _member(d: Any, where: str) -> Member:
    if not isinstance(d, dict):
        raise EventError(f"'{where}' must be an object")
    try:
        return Member(id=_str(d, "id", required=True), name=_str(d, "name", limit=MAX_NAME),
                      alias=_str(d, "alias", limit=MAX_NAME))
    except EventError as exc:
        raise EventError(f"'{where}': {exc}") from None


def _text(d: dict, key: str = "text") -> str:
    text = d.get(key)
    if text is None or text == "":
        return ""
    if not isinstance(text, str):
        raise EventError(f"field '{key}' must be a string, got {_kind_of(text)}")
    return text


def _amount(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise EventError(f"field 'amount' must be a number, got {_kind_of(value)}")
    try:
        amount = float(value) if not isinstance(value, str) or len(value) <= 40 else math.nan
    except (ValueError, OverflowError):
        amount = math.nan
    if not math.isfinite(amount) or abs(amount) > MAX_AMOUNT:
        raise EventError(f"field 'amount' must be a finite number of at most {MAX_AMOUNT:.0e}, "
                         f"got {_show(value)}")
    return amount


def _when(d: dict, now: datetime | None) -> datetime:
    """The event's "ts", or ``now`` where the field is absent and a default is given."""
    value = d.get("ts")
    if (value is None or value == "") and now is not None:
        return now
    return parse_ts(value)


def event_from_dict(d: Any, *, now: datetime | None = None,
                    notes: list[str] | None = None) -> Event:
    """Translate one events-file object; unknown keys are ignored.

    Raises ``EventError`` (saying which field) for anything that cannot be
    read. What can be mended is mended, and said in ``notes`` when a list is
    given: NUL characters and lone surrogates are removed from every string
    (see ``clean_event``)."""
    if not isinstance(d, dict):
        raise EventError(f"an event must be a JSON object, got {_kind_of(d)}")
    kind = d.get("kind")
    if kind == "message":
        raw_type = d.get("type", "text") or "text"
        try:
            mtype = MessageType(raw_type) if isinstance(raw_type, str) else None
        except ValueError:
            mtype = None
        if mtype is None:
            raise EventError(f"unknown message type {_show(raw_type)}")
        mentions = d.get("mention_ids") or []
        if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
            raise EventError("field 'mention_ids' must be a list of strings")
        if any(len(m) > MAX_ID for m in mentions):
            raise EventError(f"field 'mention_ids' holds an id longer than {MAX_ID} characters")
        event: Event = Message(
            id=_str(d, "id", required=True),
            room_id=_str(d, "room_id", required=True),
            sender_id=_str(d, "sender_id", required=True),
            sender_name=_str(d, "sender_name", limit=MAX_NAME),
            ts=_when(d, now),
            type=mtype,
            text=_text(d),
            mention_ids=tuple(m for m in mentions[:MAX_MENTIONS] if m),
            file_name=_str(d, "file_name", limit=1000) or None,
            amount=_amount(d.get("amount")),
        )
    elif kind == "room":
        members_raw = d.get("members") or []
        if not isinstance(members_raw, list):
            raise EventError(f"field 'members' must be a list, got {_kind_of(members_raw)}")
        if len(members_raw) > MAX_MEMBERS:
            raise EventError(f"field 'members' has {len(members_raw)} entries, "
                             f"more than {MAX_MEMBERS}")
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
        event = RoomSnapshot(room=room, ts=parse_ts(d["ts"]) if d.get("ts") else None)
    elif kind == "join":
        event = MemberJoined(
            room_id=_str(d, "room_id", required=True),
            member=_member(d.get("member"), "member"),
            inviter_id=_str(d, "inviter_id") or None,
            ts=_when(d, now),
        )
    elif kind == "leave":
        event = MemberLeft(
            room_id=_str(d, "room_id", required=True),
            member_id=_str(d, "member_id", required=True),
            ts=_when(d, now),
        )
    elif kind == "bot_added":
        event = BotAdded(
            room_id=_str(d, "room_id", required=True),
            inviter_id=_str(d, "inviter_id") or None,
            ts=_when(d, now),
        )
    elif kind == "private":
        event = PrivateMessage(
            id=_str(d, "id", required=True),
            sender_id=_str(d, "sender_id", required=True),
            sender_name=_str(d, "sender_name", limit=MAX_NAME),
            text=_text(d),
            ts=_when(d, now),
        )
    elif kind is None:
        raise EventError("missing field 'kind'")
    else:
        raise EventError(f"unknown event kind {_show(kind)}")
    event, mended = clean_event(event)
    if notes is not None:
        notes.extend(mended)
    return event


# --- one rule for every event, whichever channel made it -------------------


def clean_event(event: Event) -> tuple[Event, list[str]]:
    """The event with what no store can hold taken out, and notes saying so.

    Every string loses its NUL characters and lone surrogates; a naive time
    becomes China time. Raises ``EventError`` when the event cannot be used:
    a time outside [TS_MIN, TS_MAX) or not a time, a required identifier
    that is empty (once cleaned) or not a string, or a string longer than
    the events file allows (MAX_ID for ids, MAX_NAME for names). The engine applies this to every event it is handed; the
    events-file reader applies it too, to report what it mended per line."""
    notes: list[str] = []
    return _clean(event, "", notes), notes


# the longest value of a string field (an id: MAX_ID); text has none
_LIMITS = {"topic": 500, "purpose": 2000, "file_name": 1000, "name": MAX_NAME, "alias": MAX_NAME,
           "sender_name": MAX_NAME}


def _limit(field_name: str) -> int | None:
    if field_name in _LIMITS:
        return _LIMITS[field_name]
    return MAX_ID if field_name in ("id", "mention_ids") or field_name.endswith("_id") else None


@lru_cache(maxsize=None)
def _plan(kind: type) -> tuple[tuple[Field, str, int | None], ...]:
    """Each field of an event class (or of a room, a member) once: the field,
    its name in the events file ("room_id" of a room snapshot) and its limit."""
    return tuple((f, "room_id" if issubclass(kind, Room) and f.name == "id" else f.name,
                  _limit(f.name)) for f in fields(kind))


def _clean(obj: Any, where: str, notes: list[str]) -> Any:
    changes = {}
    for f, label, limit in _plan(type(obj)):
        value = getattr(obj, f.name)
        name = where + label
        if isinstance(value, str):
            new = _clean_str(value, name, notes)
            if not new and f.default is MISSING:       # a required id
                raise EventError(f"field '{name}' holds nothing but {clean_str(value)[1]}"
                                 if value else f"missing field '{name}'")
            if not new and value:
                new = None if f.default is None else new
            if limit is not None and new and len(new) > limit:
                raise EventError(f"field '{name}' is longer than {limit} characters")
        elif f.type == "str":
            raise EventError(f"field '{name}' must be a string, got {_kind_of(value)}")
        elif isinstance(value, datetime) or f.type == "datetime":
            new = check_ts(value, name)
        elif isinstance(value, tuple):
            new = tuple(c for c in (_clean_str(v, name, notes) if isinstance(v, str) else v
                                    for v in value) if c != "")
            if limit is not None and any(not isinstance(c, str) or len(c) > limit for c in new):
                raise EventError(f"field '{name}' must hold strings of at most {limit} characters")
        elif isinstance(value, Member):
            new = _clean(value, f"{name}.", notes)
        elif isinstance(value, Room):
            new = _clean(value, where, notes)
        elif isinstance(value, dict):
            members = (_clean(m, f"members[{i}].", notes) for i, m in enumerate(value.values()))
            new = {m.id: m for m in members}
            if list(new) == list(value) and all(a is b for a, b in zip(new.values(), value.values())):
                new = value
        else:
            continue
        if new is not value and not (isinstance(value, tuple) and new == value):
            changes[f.name] = new
    return replace(obj, **changes) if changes else obj


def _clean_str(value: str, where: str, notes: list[str]) -> str:
    cleaned, what = clean_str(value)
    if what:
        notes.append(f"field '{where}': {what} removed")
    return cleaned


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
