"""Chat history that owners already exported, read as engine events.

Formats, detected by their header (or, for JSON, by their keys):

- WeChatMsg / 留痕 CSV: ``localId, TalkerId, Type, SubType, IsSender,
  CreateTime, Status, StrContent, StrTime, Remark, NickName, Sender``
- chatlog CSV: ``Time, Talker, TalkerName, Sender, SenderName, IsSelf, Type,
  TypeDesc, Content``
- chatlog JSON: a list of ``{seq, time, talker, talkerName, isChatRoom,
  sender, senderName, isSelf, type, subType, content}``
- PyWxDump CSV: ``id, MsgSvrID, type_name, is_sender, talker, room_name, msg,
  src, CreateTime``
- the bot's own JSONL events file (channels/replay.py).

Files in UTF-8 (with or without BOM) or GBK/GB18030 (what Excel on a Chinese
Windows saves) are both read. WeChat's type codes are mapped: 49/2001 and
436207665 are red envelopes, 49/2000 and 419430449 transfers, 49/6 files.
A malformed row is reported with its line number and skipped; the rest is read.
System notices (joins, recalls, "拍一拍") are not anyone's words and are skipped.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from qungui.channels.cards import describe_payload
from qungui.channels.replay import LineError, LineNote, LineReport, read_events
from qungui.core.events import (CHINA_TZ, MAX_TEXT, Event, EventError, Member, Message, MessageType, Room,
                         RoomSnapshot, clean_event, parse_ts)

SELF_ID = "self"          # the exporting account, when the export leaves its id out
MAX_FIELD = 1_000_000     # csv's default limit is 128 KiB; long messages exist

# WeChat's message type codes (Type, SubType)
_APPMSG = {5: MessageType.URL, 6: MessageType.FILE, 8: MessageType.EMOTICON,
           33: MessageType.MINI_PROGRAM, 36: MessageType.MINI_PROGRAM, 57: MessageType.TEXT,
           2000: MessageType.TRANSFER, 2001: MessageType.RED_ENVELOPE,
           2003: MessageType.RED_ENVELOPE}
_TYPES = {1: MessageType.TEXT, 3: MessageType.IMAGE, 34: MessageType.AUDIO, 43: MessageType.VIDEO,
          62: MessageType.VIDEO, 47: MessageType.EMOTICON, 42: MessageType.OTHER,
          48: MessageType.OTHER, 50: MessageType.OTHER,
          436207665: MessageType.RED_ENVELOPE, 419430449: MessageType.TRANSFER,
          1090519089: MessageType.FILE, 822083633: MessageType.TEXT, 285212721: MessageType.URL}
_SYSTEM = {10000, 10002}
# words in a type description (chatlog TypeDesc, PyWxDump type_name), first match wins
_TYPE_WORDS = (("撤回", None), ("系统", None), ("拍一拍", None), ("红包", MessageType.RED_ENVELOPE),
               ("转账", MessageType.TRANSFER), ("文件", MessageType.FILE),
               ("小程序", MessageType.MINI_PROGRAM), ("链接", MessageType.URL),
               ("卡片", MessageType.URL), ("图片", MessageType.IMAGE), ("语音", MessageType.AUDIO),
               ("视频号", MessageType.OTHER), ("视频", MessageType.VIDEO),
               ("表情", MessageType.EMOTICON), ("引用", MessageType.TEXT), ("文本", MessageType.TEXT),
               ("text", MessageType.TEXT))

HEADERS = {
    "wechatmsg": ("localid", "talkerid", "type", "subtype", "issender", "createtime", "strcontent",
                  "sender"),
    "chatlog-csv": ("time", "talker", "talkername", "sender", "sendername", "isself", "type",
                    "typedesc", "content"),
    "pywxdump": ("msgsvrid", "type_name", "is_sender", "talker", "room_name", "msg", "createtime"),
}
FORMATS = ("auto", "jsonl", *HEADERS, "chatlog-json")


class ExportError(ValueError):
    """The file as a whole cannot be read (unknown format, not JSON …)."""


@dataclass(frozen=True)
class RowError(LineError):
    label: str = "line"

    def __str__(self) -> str:
        return f"{self.label} {self.lineno}: {self.message}"


@dataclass(frozen=True)
class RowNote(LineNote):
    label: str = "line"

    def __str__(self) -> str:
        return f"{self.label} {self.lineno}: {self.message} (mended, the message is read)"


class _Note(str):
    """What was mended in a row (the row's message follows)."""


class _Skip(Exception):
    """A row that is fine but holds nobody's words (a system notice)."""


def detect_encoding(path: str | Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else GB18030 (a superset of GBK)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _norm(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def detect_format(path: str | Path, encoding: str | None = None) -> str:
    encoding = encoding or detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        head = f.read(4096)
    stripped = head.lstrip("\ufeff \r\n\t")
    if stripped.startswith("["):
        return "chatlog-json"
    if stripped.startswith("{"):
        # one object per line is the events file; a pretty-printed object wraps a chatlog list
        return "chatlog-json" if stripped.splitlines()[0].strip() == "{" else "jsonl"
    if Path(path).suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    first_line = next(csv.reader([stripped.splitlines()[0] if stripped else ""]), [])
    columns = {_norm(c) for c in first_line}
    for name, required in HEADERS.items():
        if set(required) <= columns:
            return name
    if any(line.strip().startswith("{") for line in stripped.splitlines()[1:]):
        return "jsonl"    # an events file whose first line is broken: the reader reports it
    raise ExportError(
        "unrecognised export: the first line is not a known header. Known: WeChatMsg/留痕 CSV "
        "(localId,TalkerId,Type,…), chatlog CSV (Time,Talker,TalkerName,…), chatlog JSON, "
        "PyWxDump CSV (id,MsgSvrID,type_name,…) and the JSONL events file")


def read_export(path: str | Path, fmt: str = "auto", *,
                owner_id: str | None = None) -> Iterator[tuple[int, Event | LineReport]]:
    """Events in file order, with a snapshot of each room (everyone who speaks
    in it, the owner if given) before its first message; errors carry the line
    (CSV) or item (JSON) number."""
    path = Path(path)
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "jsonl":
        yield from read_events(path)
        return
    encoding = detect_encoding(path)
    label = "item" if fmt == "chatlog-json" else "line"
    rooms = _rooms(_messages(path, fmt, encoding), owner_id)
    announced: set[str] = set()
    for number, item in _messages(path, fmt, encoding):
        if isinstance(item, _Note):
            yield number, RowNote(number, str(item), label)
            continue
        if isinstance(item, str):
            yield number, RowError(number, item, label)
            continue
        msg = item.msg if isinstance(item, _Titled) else item
        if msg.room_id not in announced:
            announced.add(msg.room_id)
            yield number, RoomSnapshot(rooms[msg.room_id])
        yield number, msg


def _messages(path: Path, fmt: str, encoding: str) -> Iterator[tuple[int, Message | str]]:
    """Messages, or the reason a row could not be read (a ``_Note`` before a
    message: what was mended in it)."""
    rows = _json_items(path, encoding) if fmt == "chatlog-json" else _csv_rows(path, encoding)
    to_message = _READERS[fmt]
    for number, row in rows:
        if isinstance(row, str):
            yield number, row
            continue
        try:
            msg, topic = to_message(row)
            msg, notes = clean_event(msg)
        except _Skip:
            continue
        except (EventError, ValueError, TypeError, KeyError, ArithmeticError) as exc:
            yield number, str(exc)[:300]
            continue
        for note in notes:
            yield number, _Note(note)
        yield number, (msg if not topic else _Titled(msg, topic))


class _Titled:
    """A message and the room's name as the export gives it (first pass only)."""

    def __init__(self, msg: Message, topic: str):
        self.msg, self.topic = msg, topic

    def __getattr__(self, name):
        return getattr(self.msg, name)


def _rooms(messages, owner_id: str | None) -> dict[str, Room]:
    """First pass: every room with everyone who speaks in it, so the engine
    knows the owner by name (praise of 李局长 is praise of the owner 李明)."""
    rooms: dict[str, Room] = {}
    for _, item in messages:
        if isinstance(item, str):     # an error or a note
            continue
        room = rooms.setdefault(item.room_id, Room(item.room_id, owner_id=owner_id))
        if isinstance(item, _Titled) and not room.topic:
            room.topic = item.topic[:500]
        if item.sender_id not in room.members:
            room.members[item.sender_id] = Member(item.sender_id, item.sender_name)
    return rooms


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, dict | str]]:
    csv.field_size_limit(min(MAX_FIELD, sys.maxsize))
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        try:
            header = [_norm(c) for c in next(reader)]
        except StopIteration:
            return
        while True:
            start = reader.line_num + 1   # a row may span lines: report where it starts
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, f"not valid CSV: {exc}"
                continue
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                yield start, f"{len(cells)} fields, the header has {len(header)}"
                continue
            yield start, dict(zip(header, cells))


def _json_items(path: Path, encoding: str) -> Iterator[tuple[int, dict | str]]:
    try:
        with open(path, encoding=encoding) as f:
            data = json.load(f)
    except json.JSONDecodeError as exc:
        raise ExportError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") \
            from None
    if isinstance(data, dict):   # {"items": [...]} / {"messages": [...]}
        data = next((v for k, v in data.items() if k in ("items", "messages", "data")
                     and isinstance(v, list)), None)
    if not isinstance(data, list):
        raise ExportError("a chatlog JSON export is a list of messages")
    for i, item in enumerate(data, 1):
        if isinstance(item, dict):
            yield i, {_norm(k): v for k, v in item.items()}
        else:
            yield i, "not a JSON object"


# --- one row in, one message out --------------------------------------------------------


def _field(row: dict, key: str, required: bool = False) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise EventError(f"missing {key}")
        return ""
    return str(value).strip() if not isinstance(value, str) else value


def _int(row: dict, key: str) -> int | None:
    value = _field(row, key)
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        raise EventError(f"{key} is not a number: {value[:40]!r}") from None


def _time(value: str, key: str) -> datetime:
    value = value.strip()
    if value.isdigit():
        number = int(value)
        return parse_ts(number / 1000 if number > 2_145_888_000 else number, key).astimezone(CHINA_TZ)
    return parse_ts(value, key)


def _by_code(code: int | None, sub: int | None) -> MessageType | None:
    """None for a system notice."""
    if code in _SYSTEM:
        return None
    if code == 49:
        return _APPMSG.get(sub or 0, MessageType.URL)
    return _TYPES.get(code, MessageType.OTHER) if code is not None else MessageType.TEXT


def _by_words(desc: str) -> MessageType | None | bool:
    """False when the description says nothing known."""
    low = desc.lower()
    for word, mtype in _TYPE_WORDS:
        if word in low:
            return mtype
    return False


def _message(*, mid: str, room_id: str, sender_id: str, sender_name: str, ts: datetime,
             mtype: MessageType | None, content: str, file_name: str = "") -> Message:
    if mtype is None:
        raise _Skip()
    if not room_id:
        raise EventError("missing the chat (talker/room)")
    content = content or ""
    # received group messages in WeChat's database start with "wxid_…:\n"
    if sender_id and content.startswith(sender_id + ":\n"):
        content = content[len(sender_id) + 2:]
    if mtype is MessageType.FILE and not file_name and not content.lstrip().startswith("<"):
        file_name = content.removeprefix("[文件]").strip()   # a plain-text export names the file
    text, name, amount = describe_payload(mtype, content[:MAX_TEXT * 2], file_name)
    if not mid:
        digest = hashlib.sha1(f"{room_id}\x1f{sender_id}\x1f{ts.isoformat()}\x1f{content}"
                              .encode("utf-8")).hexdigest()
        mid = f"h{digest[:16]}"
    return Message(id=mid[:256], room_id=room_id[:256], sender_id=(sender_id or SELF_ID)[:256],
                   sender_name=sender_name[:200], ts=ts, type=mtype, text=text,
                   file_name=(name or None) and name[:1000], amount=amount)


def _is_self(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes")


def _wechatmsg(row: dict) -> tuple[Message, str]:
    ts_raw = _field(row, "createtime") or _field(row, "strtime", required=True)
    sender = _field(row, "sender") or (SELF_ID if _is_self(_field(row, "issender")) else "")
    return _message(
        mid=_field(row, "localid"), room_id=_field(row, "talkerid", required=True),
        sender_id=sender, sender_name=_field(row, "remark") or _field(row, "nickname"),
        ts=_time(ts_raw, "CreateTime"), mtype=_by_code(_int(row, "type"), _int(row, "subtype")),
        content=_field(row, "strcontent")), ""


def _chatlog(row: dict) -> tuple[Message, str]:
    by_words = _by_words(_field(row, "typedesc"))
    mtype = by_words if by_words is not False else _by_code(_int(row, "type"), _int(row, "subtype"))
    sender = _field(row, "sender") or (SELF_ID if _is_self(_field(row, "isself")) else "")
    return _message(
        mid=_field(row, "seq"), room_id=_field(row, "talker", required=True), sender_id=sender,
        sender_name=_field(row, "sendername"), ts=_time(_field(row, "time", required=True), "time"),
        mtype=mtype, content=_field(row, "content")), _field(row, "talkername")


def _pywxdump(row: dict) -> tuple[Message, str]:
    by_words = _by_words(_field(row, "type_name"))
    mtype = by_words if by_words is not False else MessageType.OTHER
    src = _field(row, "src")
    sender = _field(row, "talker") or (SELF_ID if _is_self(_field(row, "is_sender")) else "")
    msg = _field(row, "msg")
    file_name = os.path.basename(src.replace("\\", "/")) if src and mtype is MessageType.FILE else ""
    return _message(
        mid=_field(row, "msgsvrid") or _field(row, "id"),
        room_id=_field(row, "room_name", required=True), sender_id=sender, sender_name=sender,
        ts=_time(_field(row, "createtime", required=True), "CreateTime"), mtype=mtype,
        content=msg, file_name=file_name or (msg if mtype is MessageType.FILE else "")), ""


_READERS: dict[str, Callable[[dict], tuple[Message, str]]] = {
    "wechatmsg": _wechatmsg, "chatlog-csv": _chatlog, "chatlog-json": _chatlog,
    "pywxdump": _pywxdump,
}
