"""Chat history that owners already exported, read as engine events.

Each format is read as the tool's own writer produces it; the writers were
read at these versions:

- chatlog (github.com/sjzar/chatlog v0.0.28, commit a638aa9): the CSV of
  ``/api/v1/chatlog?format=csv`` (``internal/chatlog/http/route.go``) has the
  header ``Time, SenderName, Sender, TalkerName, Talker, Content`` and no type:
  the content is ``Message.PlainTextContent`` (``internal/model/message.go``),
  a placeholder for anything but text: ``![图片](http://host/image/…)``,
  ``![视频](…)``, ``[语音](…)``, ``[文件|name](http://host/file/…)``,
  ``[链接|title](url)``, ``[红包]``, ``[转账|发送 ￥500.00](memo)`` …; a quoted
  reply is ``> name(id) MM-DD HH:MM:SS`` and ``> `` lines of the quoted
  message, then the reply; a system notice has the sender ``系统消息``; a
  拍一拍 has the patting member as sender. The JSON (``format=json``) is a list
  of ``{seq, time, talker, talkerName, isChatRoom, sender, senderName, isSelf,
  type, subType, content}`` with WeChat's type codes (a quoted reply's content
  is the reply alone). A nine-column CSV ``Time, Talker, TalkerName, Sender,
  SenderName, IsSelf, Type, TypeDesc, Content`` (proposed for chatlog, not
  released) is read too.
- PyWxDump (github.com/xaoyaoo/PyWxDump 3.1.45, commit d62e846):
  ``pywxdump/api/export/exportCSV.py`` writes ``<chat id>_0_N.csv`` with
  ``id, MsgSvrID, type_name, is_sender, talker, room_name, msg, src,
  CreateTime`` and ``users.json`` beside it ({contact id: {nickname, remark,
  …}}, ``db/dbMicro.py`` ``get_user_list``); ``db/dbMSG.py``
  ``get_msg_detail`` makes each row: the sender (``talker``) is a contact id,
  ``未知`` when the row names none (system notices), ``我``/the account's id for
  its own; a quoted reply's msg is ``reply\\n\\n[引用](time)name:quoted``; type
  names come from ``db/utils/common_utils.py`` ``type_converter`` (系统通知,
  邀请加群, 拍一拍, 消息撤回…; a red envelope is ``未知``).
- WeChatMsg / 留痕 (github.com/LC044/WeChatMsg 2.0.5, commit 9d59919):
  ``app/util/exporter/exporter_csv.py`` writes ``聊天记录/<name>/<name>_utf8.csv``
  (UTF-8 with BOM) with ``localId, TalkerId, Type, SubType, IsSender,
  CreateTime, Status, StrContent, StrTime, Remark, NickName, Sender``.
  ``TalkerId`` is the row number of the chat in WeChat's database, not the
  chat's id, and the file names the chat by its display name only: the room
  is the id the caller gives (``room_id``), else ``wechatmsg-<TalkerId>``,
  with the name from the file name as its topic.
- the bot's own JSONL events file (channels/replay.py).

Formats are detected by their header (or, for JSON, by their keys). Files in
UTF-8 (with or without BOM) or GBK/GB18030 (what Excel on a Chinese Windows
saves) are both read. WeChat's type codes are mapped: 49/2001 and 436207665
are red envelopes, 49/2000 and 419430449 transfers, 49/6 files. A malformed
row is reported with its line number and skipped; the rest is read.

System notices are nobody's words: a join (邀请…加入了群聊, 通过扫描…分享的二维码
加入群聊) becomes a ``MemberJoined`` per member (channels/notices.py), any
other notice (recalls, 拍一拍, 领取了…的红包) is skipped. A quoted reply is the
replier's words only. Contact names (``read_contacts``: PyWxDump's
``users.json``, chatlog's contact list) name the senders of an export that
gives only their ids.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from qungui.channels.cards import describe_payload, xml_field
from qungui.channels.notices import Joined, Named, is_pat, joined
from qungui.channels.replay import LineError, LineNote, LineReport, read_events
from qungui.core.events import (CHINA_TZ, MAX_TEXT, Event, EventError, Member, MemberJoined, Message,
                                MessageType, Room, RoomSnapshot, clean_event, parse_ts)

SELF_ID = "self"          # the exporting account, when the export leaves its id out
MAX_FIELD = 1_000_000     # csv's default limit is 128 KiB; long messages exist
MAX_CONTACTS_BYTES = 64 << 20
WECHATMSG_ROOM = "wechatmsg-"   # + TalkerId: a WeChatMsg chat whose id was not given
CHATLOG_SYSTEM = "系统消息"       # chatlog's sender of a system notice
PYWXDUMP_NOBODY = ("未知", "系统")  # PyWxDump's sender when the row names none
PYWXDUMP_SELF = "我"
PYWXDUMP_CONTACTS = "users.json"

# WeChat's message type codes (Type, SubType); None: a system notice
_APPMSG = {5: MessageType.URL, 6: MessageType.FILE, 8: MessageType.EMOTICON,
           33: MessageType.MINI_PROGRAM, 36: MessageType.MINI_PROGRAM, 57: MessageType.TEXT,
           62: None, 2000: MessageType.TRANSFER, 2001: MessageType.RED_ENVELOPE,
           2003: MessageType.RED_ENVELOPE}
_TYPES = {1: MessageType.TEXT, 3: MessageType.IMAGE, 34: MessageType.AUDIO, 43: MessageType.VIDEO,
          62: MessageType.VIDEO, 47: MessageType.EMOTICON, 42: MessageType.OTHER,
          48: MessageType.OTHER, 50: MessageType.OTHER,
          436207665: MessageType.RED_ENVELOPE, 419430449: MessageType.TRANSFER,
          1090519089: MessageType.FILE, 822083633: MessageType.TEXT, 285212721: MessageType.URL}
_SYSTEM = {10000, 10002}
_QUOTE = 57               # SubType of a quoted reply
# words in a type description (chatlog TypeDesc, PyWxDump type_name), first match wins
_TYPE_WORDS = (("撤回", None), ("系统", None), ("拍一拍", None), ("邀请", None),
               ("红包", MessageType.RED_ENVELOPE),
               ("转账", MessageType.TRANSFER), ("文件", MessageType.FILE),
               ("小程序", MessageType.MINI_PROGRAM), ("链接", MessageType.URL),
               ("卡片", MessageType.URL), ("图片", MessageType.IMAGE), ("语音", MessageType.AUDIO),
               ("视频号", MessageType.OTHER), ("视频", MessageType.VIDEO),
               ("表情", MessageType.EMOTICON), ("引用", MessageType.TEXT), ("文本", MessageType.TEXT),
               ("text", MessageType.TEXT))
# chatlog's placeholders (PlainTextContent) for what is not text: the whole
# content, or how it starts; the text kept is the title between | and ] or nothing
_WHOLE = {"[动画表情]": MessageType.EMOTICON, "[GIF表情]": MessageType.EMOTICON,
          "[语音]": MessageType.AUDIO, "[语音通话]": MessageType.OTHER, "[名片]": MessageType.OTHER,
          "[小程序]": MessageType.MINI_PROGRAM, "[视频号]": MessageType.OTHER,
          "[视频号直播]": MessageType.OTHER, "[合并转发]": MessageType.URL, "[笔记]": MessageType.URL,
          "[群公告]": MessageType.URL, "[分享]": MessageType.URL, "[引用]": MessageType.TEXT,
          "[红包]": MessageType.RED_ENVELOPE, "[红包封面]": MessageType.RED_ENVELOPE}
_STARTS = (("![图片](", MessageType.IMAGE, False), ("![视频](", MessageType.VIDEO, False),
           ("![动画表情](", MessageType.EMOTICON, False), ("[语音](", MessageType.AUDIO, False),
           ("[位置|", MessageType.OTHER, False), ("[文件|", MessageType.FILE, True),
           ("[链接|", MessageType.URL, True), ("[小程序|", MessageType.MINI_PROGRAM, True),
           ("[视频号直播|", MessageType.OTHER, False), ("[视频号|", MessageType.OTHER, False),
           ("[音乐|", MessageType.URL, True), ("[合并转发|", MessageType.URL, True),
           ("[笔记|", MessageType.URL, True), ("[群公告|", MessageType.URL, True),
           ("[转账|", MessageType.TRANSFER, False))

HEADERS = {
    "wechatmsg": ("localid", "talkerid", "type", "subtype", "issender", "createtime", "strcontent",
                  "sender"),
    # chatlog's released header; the nine-column one has these too
    "chatlog-csv": ("time", "sendername", "sender", "talkername", "talker", "content"),
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


@dataclass(frozen=True)
class ExportNote:
    """Something said about the whole export (where names or the room came from)."""

    message: str

    def __str__(self) -> str:
        return self.message


class _Note(str):
    """What was mended in a row (the row's message follows)."""


class _Skip(Exception):
    """A row that is fine but holds nobody's words (a system notice)."""


@dataclass(frozen=True)
class _Join:
    """A join notice, its members' ids found in the second pass."""

    room_id: str
    ts: datetime
    joined: Joined


@dataclass
class _Export:
    """What reading one export needs besides its rows."""

    room_id: str | None = None        # the chat's id, for WeChatMsg (which leaves it out)
    topic: str = ""                   # the chat's name, from WeChatMsg's file name
    contacts: dict[str, str] = field(default_factory=dict)   # contact id -> name
    names: dict[str, str | None] = field(default_factory=dict)  # name -> the one id it is, or None

    def know(self, cid: str, *names: str) -> None:
        """``cid`` goes by these names; a name two ids go by names nobody."""
        for name in names:
            if name and name != cid and cid:
                self.names[name] = cid if self.names.get(name, cid) == cid else None

    def who(self, named: Named) -> str:
        """A member a join notice names: its id, the one id known by the name,
        else the name itself."""
        return named.id or self.names.get(named.name) or named.name


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
        "(localId,TalkerId,Type,…), chatlog CSV (Time,SenderName,Sender,TalkerName,Talker,"
        "Content), chatlog JSON, PyWxDump CSV (id,MsgSvrID,type_name,…) and the JSONL events file")


def read_contacts(path: str | Path) -> dict[str, str]:
    """Contact id -> name (the remark the account gave, else the nickname) from
    a contact list: PyWxDump's ``users.json`` ({id: {nickname, remark, …}}),
    chatlog's contacts as JSON ({"items": [{userName, remark, nickName}]}) or
    CSV (``UserName,Alias,Remark,NickName``)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CONTACTS_BYTES:
            raise ExportError(f"{path.name}: a contact list over {MAX_CONTACTS_BYTES >> 20} MiB")
        encoding = detect_encoding(path)
        with open(path, encoding=encoding, newline="") as f:
            text = f.read()
    except OSError as exc:
        raise ExportError(f"cannot read the contact list: {exc.strerror or exc}") from None
    if text.lstrip("\ufeff \r\n\t")[:1] in ("{", "["):
        try:
            data = json.loads(text.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            raise ExportError(f"{path.name}: not valid JSON: {exc.msg} (line {exc.lineno})") \
                from None
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]
        if isinstance(data, dict):                       # PyWxDump: {id: {...}}
            entries = [dict(v, wxid=k) for k, v in data.items() if isinstance(v, dict)]
        elif isinstance(data, list):
            entries = [e for e in data if isinstance(e, dict)]
        else:
            entries = []
    else:
        rows = csv.reader(text.splitlines())
        header = [_norm(c) for c in next(rows, [])]
        entries = [dict(zip(header, r)) for r in rows]
    contacts = {}
    for entry in entries:
        entry = {_norm(str(k)): v for k, v in entry.items()}
        cid = entry.get("wxid") or entry.get("username")
        name = entry.get("remark") or entry.get("nickname")
        if isinstance(cid, str) and isinstance(name, str) and cid.strip() and name.strip():
            contacts[cid.strip()] = name.strip()
    if not contacts:
        raise ExportError(f"{path.name}: no contact (id and name) found in it")
    return contacts


def contacts_beside(path: str | Path, fmt: str) -> Path | None:
    """The contact list an export's tool wrote next to it: PyWxDump's ``users.json``."""
    beside = Path(path).with_name(PYWXDUMP_CONTACTS)
    return beside if fmt == "pywxdump" and beside.is_file() else None


def read_export(path: str | Path, fmt: str = "auto", *, owner_id: str | None = None,
                room_id: str | None = None, contacts: str | Path | None = None,
                ) -> Iterator[tuple[int, Event | LineReport | ExportNote]]:
    """Events in file order, with a snapshot of each room (everyone who speaks
    in it, the owner if given) before its first event; errors carry the line
    (CSV) or item (JSON) number, notes about the whole export come first (0).

    ``room_id`` is the chat's id for a WeChatMsg CSV, which leaves it out;
    ``contacts`` a contact list naming the senders (for PyWxDump, its
    ``users.json`` beside the export is read when none is given)."""
    path = Path(path)
    if fmt == "auto":
        fmt = detect_format(path)
    if room_id and fmt != "wechatmsg":
        raise ExportError("the chat's id is given only for a WeChatMsg CSV; "
                          "this export names its chats itself")
    if fmt == "jsonl":
        if contacts:
            raise ExportError("a contact list is for chat exports, not the events file")
        yield from read_events(path)
        return
    export = _Export(room_id=room_id)
    found = Path(contacts) if contacts else contacts_beside(path, fmt)
    if found:
        export.contacts = read_contacts(found)
        for cid, name in export.contacts.items():
            export.know(cid, name)
        yield 0, ExportNote(f"{len(export.contacts)} contact name(s) read from {found}")
    if fmt == "wechatmsg" and path.stem.endswith("_utf8"):
        export.topic = path.stem[:-len("_utf8")]
    encoding = detect_encoding(path)
    label = "item" if fmt == "chatlog-json" else "line"
    rooms = _rooms(_messages(path, fmt, encoding, export), owner_id, export)
    unnamed = [r for r in rooms if r.startswith(WECHATMSG_ROOM)]
    if unnamed:
        yield 0, ExportNote(
            f"WeChatMsg writes the chat as a number (TalkerId), not its id: its messages are "
            f"filed under {', '.join(unnamed[:5])}; give the group's id (…@chatroom) to file "
            f"them under it")
    announced: set[str] = set()
    for number, item in _messages(path, fmt, encoding, export):
        if isinstance(item, _Note):
            yield number, RowNote(number, str(item), label)
            continue
        if isinstance(item, str):
            yield number, RowError(number, item, label)
            continue
        events: list[Event] = []
        if isinstance(item, _Join):
            for event in _joins(item, export):
                try:
                    event, notes = clean_event(event)
                except EventError as exc:
                    yield number, RowError(number, str(exc)[:300], label)
                    continue
                events.append(event)
                for note in notes:
                    yield number, RowNote(number, note, label)
        else:
            events.append(item.msg if isinstance(item, _Titled) else item)
        for event in events:
            if event.room_id not in announced:
                announced.add(event.room_id)
                room = rooms.setdefault(event.room_id, Room(event.room_id, owner_id=owner_id))
                yield number, RoomSnapshot(room)
            yield number, event


def _messages(path: Path, fmt: str, encoding: str,
              export: _Export) -> Iterator[tuple[int, Message | _Join | str]]:
    """Messages and join notices, or the reason a row could not be read (a
    ``_Note`` before a message: what was mended in it)."""
    rows = _json_items(path, encoding) if fmt == "chatlog-json" else _csv_rows(path, encoding)
    to_message = _READERS[fmt]
    for number, row in rows:
        if isinstance(row, str):
            yield number, row
            continue
        try:
            msg, topic = to_message(row, export)
            if isinstance(msg, _Join):
                yield number, msg
                continue
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


def _rooms(messages, owner_id: str | None, export: _Export) -> dict[str, Room]:
    """First pass: every room with everyone who speaks in it, so the engine
    knows the owner by name (praise of 李局长 is praise of the owner 李明), and
    the ids of the names join notices give without one."""
    rooms: dict[str, Room] = {}
    for _, item in messages:
        if isinstance(item, str):     # an error or a note
            continue
        room = rooms.setdefault(item.room_id, Room(item.room_id, owner_id=owner_id))
        if isinstance(item, _Titled) and not room.topic:
            room.topic = item.topic[:500]
        if isinstance(item, _Join):
            for named in (*item.joined.members, item.joined.inviter):
                if named and named.id:
                    export.know(named.id, named.name)
            continue
        export.know(item.sender_id, item.sender_name)
        if item.sender_id not in room.members:
            room.members[item.sender_id] = Member(item.sender_id, item.sender_name)
    return rooms


def _joins(item: _Join, export: _Export) -> list[MemberJoined]:
    """One event per member the notice says joined."""
    inviter = export.who(item.joined.inviter) if item.joined.inviter else None
    return [MemberJoined(item.room_id, Member(export.who(m), m.name), item.ts, inviter)
            for m in item.joined.members]


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
             mtype: MessageType | None, content: str, file_name: str = "") -> Message | _Join:
    """The row's message, or for a system notice (``mtype`` None) the members
    it says joined; any other notice raises ``_Skip``."""
    if not room_id:
        raise EventError("missing the chat (talker/room)")
    content = content or ""
    if mtype is None:
        said = joined(content)
        if said is None:
            raise _Skip()
        return _Join(room_id[:256], ts, said)
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


def _card_reply(content: str) -> str:
    """A quoted reply stored as its card (49/57): the reply is the title, the
    quoted message (``<refermsg>``) is not the replier's words."""
    return xml_field(content, "title") if content.lstrip().startswith("<") else content


def _chatlog_reply(content: str) -> str:
    """chatlog's quoted reply without the quoted lines: ``> name(id) MM-DD
    HH:MM:SS`` (or ``> [引用]``), the quoted message as ``> `` lines, then the
    reply. Any other text is returned as it is."""
    first = content[:content.find("\n")] if "\n" in content else content
    if not first.startswith("> ") or not (
            first == "> [引用]" or (len(first) > 16 and first[-15] == " " and _is_stamp(first[-14:]))):
        return content
    lines = content.split("\n")
    quoted = 0
    while quoted < len(lines) and lines[quoted].startswith("> "):
        quoted += 1
    return "\n".join(lines[quoted:])


def _is_stamp(value: str) -> bool:
    """``MM-DD HH:MM:SS``, as chatlog writes a quoted message's time."""
    return (len(value) == 14 and value[2] == "-" and value[5] == " " and value[8] == ":"
            and value[11] == ":" and all(value[i].isdigit() for i in (0, 1, 3, 4, 6, 7, 9, 10, 12, 13)))


def _placeholder(content: str) -> tuple[MessageType | None, str, str]:
    """(type, text, file name) of a row of chatlog's released CSV, which
    writes a placeholder instead of a type for what is not text."""
    whole = content.strip()
    if whole in _WHOLE:
        mtype = _WHOLE[whole]
        return mtype, (whole if mtype is MessageType.RED_ENVELOPE else ""), ""
    for start, mtype, titled in _STARTS:
        if whole.startswith(start):
            if mtype is MessageType.TRANSFER:
                return mtype, whole, ""     # [转账|发送 ￥500.00](memo): the amount is read from it
            title = _title(whole[len(start):]) if titled else ""
            return (mtype, "", title) if mtype is MessageType.FILE else (mtype, title, "")
    if whole.startswith("Type: "):                 # a type chatlog does not describe
        code = whole[6:whole.find(" ", 6)] if whole.find(" ", 6) != -1 else whole[6:]
        if code.isdigit() and int(code) in _SYSTEM:
            return None, whole, ""
        return MessageType.OTHER, "", ""
    return MessageType.TEXT, _chatlog_reply(content), ""


def _title(rest: str) -> str:
    """``title](url)`` or ``title]`` and what follows: the title."""
    if "\n" in rest:
        rest = rest[:rest.find("\n")]
    end = rest.rfind("](")
    if end == -1:
        end = rest.rfind("]")
    return rest[:end].strip() if end != -1 else rest.strip()


def _wechatmsg(row: dict, export: _Export) -> tuple[Message | _Join, str]:
    ts_raw = _field(row, "createtime") or _field(row, "strtime", required=True)
    sender = _field(row, "sender") or (SELF_ID if _is_self(_field(row, "issender")) else "")
    talker = _field(row, "talkerid", required=True).strip()
    room = export.room_id or (f"{WECHATMSG_ROOM}{talker}" if talker.isdigit() else talker)
    code, sub = _int(row, "type"), _int(row, "subtype")
    content = _field(row, "strcontent")
    if code == 49 and sub == _QUOTE:
        content = _card_reply(content)
    export.know(sender, _field(row, "nickname"))
    return _message(
        mid=_field(row, "localid"), room_id=room, sender_id=sender,
        sender_name=_field(row, "remark") or _field(row, "nickname") or export.contacts.get(sender, ""),
        ts=_time(ts_raw, "CreateTime"), mtype=_by_code(code, sub), content=content), export.topic


def _chatlog(row: dict, export: _Export) -> tuple[Message | _Join, str]:
    sender = _field(row, "sender")
    content = _field(row, "content")
    file_name = ""
    if sender == CHATLOG_SYSTEM:
        mtype = None
    elif "type" in row or "typedesc" in row:       # JSON, and the nine-column CSV
        by_words = _by_words(_field(row, "typedesc"))
        code, sub = _int(row, "type"), _int(row, "subtype")
        mtype = by_words if by_words is not False else _by_code(code, sub)
        if mtype is MessageType.TEXT:
            content = _card_reply(content) if (code, sub) == (49, _QUOTE) else _chatlog_reply(content)
    elif is_pat(content):                          # sent from the patting member's account
        mtype = None
    else:                                          # the released CSV: no type but the placeholder
        mtype, content, file_name = _placeholder(content)
    sender = sender or (SELF_ID if _is_self(_field(row, "isself")) else "")
    return _message(
        mid=_field(row, "seq"), room_id=_field(row, "talker", required=True), sender_id=sender,
        sender_name=_field(row, "sendername") or export.contacts.get(sender, ""),
        ts=_time(_field(row, "time", required=True), "time"), mtype=mtype, content=content,
        file_name=file_name), _field(row, "talkername")


def _pywxdump_reply(msg: str) -> str:
    """PyWxDump's quoted reply ``reply\\n\\n[引用](time)name:quoted``: the reply.
    The last such mark is taken: the replier cannot hide words behind one."""
    mark = msg.rfind("\n\n[引用](")
    if mark == -1 or ")" not in msg[mark + 7:mark + 40]:
        return msg
    return msg[:mark]


def _pywxdump(row: dict, export: _Export) -> tuple[Message | _Join, str]:
    type_name = _field(row, "type_name")
    by_words = _by_words(type_name)
    mtype = by_words if by_words is not False else MessageType.OTHER
    talker = _field(row, "talker").strip()
    if talker in PYWXDUMP_NOBODY and mtype is MessageType.OTHER:
        mtype = None                       # a row naming nobody, of a type PyWxDump does not name
    msg, src = _field(row, "msg"), _field(row, "src")
    file_name = ""
    if mtype is MessageType.TEXT and "引用" in type_name:
        msg = _pywxdump_reply(msg)
    elif mtype is MessageType.FILE:
        file_name = os.path.basename(src.replace("\\", "/")) or ("" if msg == type_name else msg)
    elif mtype is MessageType.URL and msg.rfind('\n\n<a href="') != -1:
        msg = msg[:msg.rfind('\n\n<a href="')].strip()       # title, description, then the link
    elif mtype is MessageType.AUDIO:
        msg = msg[msg.find("翻译结果：") + 5:] if "翻译结果：" in msg else ""   # what was said, if transcribed
    elif mtype in (MessageType.IMAGE, MessageType.VIDEO, MessageType.EMOTICON) or msg == type_name:
        msg = ""                           # 图片, 视频, 表情, or the type's name
    if talker == PYWXDUMP_SELF or (not talker and _is_self(_field(row, "is_sender"))):
        talker = SELF_ID
    return _message(
        mid=_field(row, "msgsvrid") or _field(row, "id"),
        room_id=_field(row, "room_name", required=True), sender_id=talker,
        sender_name=export.contacts.get(talker, ""),
        ts=_time(_field(row, "createtime", required=True), "CreateTime"), mtype=mtype,
        content=msg, file_name=file_name), ""


_READERS: dict[str, Callable[[dict, _Export], tuple[Message | _Join, str]]] = {
    "wechatmsg": _wechatmsg, "chatlog-csv": _chatlog, "chatlog-json": _chatlog,
    "pywxdump": _pywxdump,
}
