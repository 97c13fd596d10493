"""The engine's actions as outbox items (``core.ports.Outgoing``), and the keys
that mark an event handled once (``core.ports.Handled``).

A message's key is what every account in the room sees alike: the room, the
sender, the time to the second and a hash of the text (WeChat gives each
account its own message ids), so a room served by two accounts is moderated
once. The same text from the same member within the same second counts as one
message.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from qungui.core.actions import Action, Remove, Send, SendPrivate
from qungui.core.events import Message, PrivateMessage
from qungui.core.ports import Handled, Outgoing

SECRET_PRIORITY = 40     # a secret rule's warning and note go before anything else


def fingerprint(chat: str, sender_id: str, ts: datetime, text: str, kind: str = "") -> str:
    raw = "\x1f".join((chat, sender_id, str(int(ts.timestamp())), kind, text))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def message_key(msg: Message | PrivateMessage, kind: str = "message") -> Handled:
    """The handled key of a message (``kind`` message or command) or a private message."""
    if isinstance(msg, PrivateMessage):
        return Handled(msg.sender_id, "private",
                       fingerprint("", msg.sender_id, msg.ts, msg.text), msg.id)
    return Handled(msg.room_id, kind,
                   fingerprint(msg.room_id, msg.sender_id, msg.ts,
                               msg.text or msg.file_name or "", msg.type.value), msg.id)


def warnings_out(actions: list[Action], sender_id: str, *, hold: float,
                 secret: bool) -> list[Outgoing]:
    """What a violation's actions become: the warning (in the group or
    private), the owner's note, a removal and its notice."""
    out = []
    priority = SECRET_PRIORITY if secret else None
    for a in actions:
        if isinstance(a, Send):
            kind = "warning" if a.mention_ids else "removal"
            out.append(Outgoing(kind, a.room_id, a.text, a.mention_ids, room_id=a.room_id,
                                mergeable=bool(a.mention_ids),
                                hold_seconds=hold if a.mention_ids else 0.0, priority=priority))
        elif isinstance(a, SendPrivate):
            kind = "private" if a.contact_id == sender_id else "owner_note"
            out.append(Outgoing(kind, a.contact_id, a.text, room_id=a.room_id, mergeable=True,
                                hold_seconds=hold, priority=priority))
        elif isinstance(a, Remove):
            out.append(_removal(a, priority))
    return out


def replies_out(actions: list[Action], kind: str) -> list[Outgoing]:
    """A command's answer, a greeting or a reminder (``kind``), as sent."""
    out = []
    for a in actions:
        if isinstance(a, Send):
            out.append(Outgoing(kind, a.room_id, a.text, a.mention_ids, room_id=a.room_id))
        elif isinstance(a, SendPrivate):
            out.append(Outgoing(kind, a.contact_id, a.text, room_id=a.room_id))
        elif isinstance(a, Remove):
            out.append(_removal(a, None))
    return out


def _removal(a: Remove, priority: int | None) -> Outgoing:
    return Outgoing("removal", a.room_id, room_id=a.room_id, member_id=a.member_id,
                    priority=priority)
