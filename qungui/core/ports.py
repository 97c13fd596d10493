"""The ports: what the pipeline needs from storage, as small Protocols, and
the records that cross them. ``qungui.storage`` implements them with
SQLAlchemy; the engine, the policy and the commands see only these.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from qungui.core.events import Member, Room


class StoreDown(RuntimeError):
    """The store cannot be reached now (a database outage); the caller degrades."""


# dismissed false alarms remembered per room; past this the oldest are dropped
DISMISSALS_KEPT = 500


@dataclass
class IncidentIn:
    """One incident row as the engine writes it: a rule's finding on a message
    (or a join), a pardon, or a report."""

    room_id: str
    message_id: str | None
    rule: str | None
    sender_id: str
    ts: datetime
    kind: str = "violation"
    sender_name: str = ""
    score: float = 0.0
    evidence: str = ""
    reason: str = ""
    excerpt: str = ""
    trace: list = field(default_factory=list)
    action: str = "log"
    counted: bool = False
    escalated: bool = False
    warning_text: str = ""
    # carried by the first row of a message, written in the same transaction:
    # what the bot is to say about it (``Outgoing.record()``), and the key that
    # marks the message handled (``Handled.key()``); kept in the spool with it
    outgoing: list = field(default_factory=list)
    handled: list | None = None

    def row_fields(self) -> dict:
        """The incident row's own columns (without what it carries)."""
        d = asdict(self)
        del d["outgoing"], d["handled"]
        return d

    def to_json(self) -> str:
        d = asdict(self)
        d["ts"] = self.ts.isoformat()
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> "IncidentIn":
        d = json.loads(line)
        d["ts"] = datetime.fromisoformat(d["ts"])
        return cls(**d)


# what goes out: the kinds of outgoing item and their priority (higher first;
# a secret rule's warning and note are raised above them all)
OUTGOING_PRIORITY = {
    "warning": 30,       # a group warning @mentioning the member
    "private": 30,       # a private warning
    "owner_note": 30,    # the escalation note to the owner
    "removal": 30,       # a member removed, and the notice of it
    "answer": 20,        # a command's answer
    "reminder": 10,      # the daily work-report reminder
    "greeting": 0,       # the greeting and the 群规 when the bot joins a room
}


# A text that names the incident it is about before that incident has a
# number (the owner's note, composed before the incident is written) carries
# these marks (private-use characters, which survive the store's cleaning);
# ``fill_incident`` puts the number in once it is known. Whoever composes
# such a text removes the marks from what members wrote (``strip_marks``),
# so no member can forge them.
INCIDENT_NUMBER = "\ue000"
INCIDENT_HINT = "\ue001"      # from here on the text only makes sense with the number


def strip_marks(text: str) -> str:
    return text.replace(INCIDENT_NUMBER, "").replace(INCIDENT_HINT, "")


def fill_incident(text: str, incident_id: int | None) -> str:
    """``text`` with the incident's number in place of its marks; without a
    number (the incident waits in the spool), the part that needs it is cut."""
    if INCIDENT_NUMBER not in text and INCIDENT_HINT not in text:
        return text
    if incident_id is None:
        return text.split(INCIDENT_HINT, 1)[0].replace(INCIDENT_NUMBER, "")
    return text.replace(INCIDENT_HINT, "").replace(INCIDENT_NUMBER, str(incident_id))


@dataclass
class Outgoing:
    """One thing the bot is to say or do in one chat, as the outbox keeps it.

    ``conversation`` is the room or, for a private message, the contact;
    ``mention_ids`` are rendered by the channel; ``mergeable``: warnings to
    one member in one chat within the merge window become one message, so
    the item is held that long first (``hold_seconds``)."""

    kind: str
    conversation: str
    text: str = ""
    mention_ids: tuple[str, ...] = ()
    room_id: str | None = None
    member_id: str | None = None
    mergeable: bool = False
    hold_seconds: float = 0.0
    priority: int | None = None

    def __post_init__(self):
        if self.kind not in OUTGOING_PRIORITY:
            raise ValueError(f"unknown outgoing kind {self.kind!r}")
        if self.priority is None:
            self.priority = OUTGOING_PRIORITY[self.kind]
        self.mention_ids = tuple(self.mention_ids)

    def record(self) -> dict:
        d = asdict(self)
        d["mention_ids"] = list(self.mention_ids)
        return d


@dataclass(frozen=True)
class Handled:
    """An event handled once, across restarts and accounts: (chat, kind, key)
    is unique. ``kind``: message | command | private | join | bot_added |
    reminder; ``key``: what identifies the event whichever account saw it."""

    chat: str
    kind: str
    key: str
    message_id: str | None = None

    def key_list(self) -> list:
        return [self.chat, self.kind, self.key, self.message_id]

    @classmethod
    def from_list(cls, value: list | None) -> "Handled | None":
        return cls(*value) if value else None


@dataclass(frozen=True)
class OutboxItem:
    """A claimed outbox row, as the sender carries it out."""

    id: int
    account: str
    kind: str
    conversation: str
    text: str
    mention_ids: tuple[str, ...]
    room_id: str | None
    member_id: str | None
    attempts: int
    created_at: datetime
    parts: int = 1


@dataclass
class OutboxCounts:
    """What waits in the outbox and what became of the rest (one account, or all)."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    expired: int = 0
    failed: int = 0
    unknown: int = 0
    merged: int = 0
    oldest_pending: datetime | None = None


@dataclass(frozen=True)
class StoredMessage:
    """A message kept as context for reviewers."""

    room_id: str
    message_id: str
    sender_id: str
    sender_name: str
    type: str
    text: str          # already redacted by the caller where a finding is secret
    ts: datetime


@dataclass(frozen=True)
class Dismissal:
    """A false alarm a reviewer dismissed, remembered in its room: what the
    message meant (its sentence vector, ``core.embedding.pack``), never its
    words. Never kept for a secret rule."""

    id: int
    room_id: str
    rule: str
    incident_id: int
    reviewer: str
    ts: datetime
    vector: bytes


@dataclass(frozen=True)
class WarningState:
    """What ``IncidentLog.warnings`` returns: the escalation count and, per
    rule, when the member was last warned under it."""

    count: int = 0
    last: dict[str, datetime] = field(default_factory=dict)


class IncidentLog(Protocol):
    """The incident log: committed before anything is sent, never deleted."""

    degraded: bool                     # the database is down or incidents wait in the spool
    spool_problem: str | None          # why the spool cannot be written (rows wait in memory)

    async def record(self, rows: list[IncidentIn]) -> bool:
        """Commit one message's rows together, with what its first row carries
        (the outgoing items, the handled mark); False if they were there
        already (the message, or another account's copy of it)."""

    async def count_warnings(self, room_id: str, sender_id: str, since: datetime) -> int: ...

    async def warnings(self, room_id: str, sender_id: str, since: datetime,
                       recent_since: datetime | None = None) -> "WarningState":
        """A member's counted warnings in a room from ``since`` (as
        ``count_warnings``) and, per rule, the time of the last warning from
        ``recent_since`` on (the cooldown): what the database holds, so every
        process moderating the room sees the same."""

    async def incidents(self, *, room_id: str | None = None, rule: str | None = None,
                        sender_id: str | None = None, since: datetime | None = None,
                        kind: str | None = "violation", limit: int = 200) -> list: ...

    async def incident_id(self, room_id: str, message_id: str, rule: str | None) -> int | None:
        """The number of the incident a message's rule made, if it is written."""

    async def audit_log(self, room_id: str | None = None, limit: int = 50) -> list: ...


class Outbox(Protocol):
    """The durable outbox: everything the bot says or does in a chat is a row,
    written in the same transaction as what caused it, and worked off by the
    channel's sender. And the record of events handled once."""

    async def deliver(self, outgoing: list[Outgoing], *, account: str,
                      handled: Handled | None = None, incident_id: int | None = None) -> bool:
        """Commit outgoing items (and the handled mark) together; False (and
        nothing written) if ``handled`` was handled already. During an outage
        they wait in the spool."""

    async def claim_handled(self, handled: Handled, account: str) -> bool:
        """Mark an event handled before acting on it (a command); False if it
        was handled already (a replay, or another account's copy)."""

    async def was_handled(self, chat: str, kind: str, since: datetime | None = None) -> bool:
        """Any event of this kind in this chat handled (since a time)."""

    async def outbox_counts(self, account: str | None = None) -> OutboxCounts: ...


class OutboxQueue(Protocol):
    """What the channel's sender needs of the outbox (one account's rows)."""

    async def due(self, account: str, now: datetime, limit: int = 200) -> list[tuple]:
        """Pending rows of the account due by ``now``: (id, conversation,
        priority, created_at), in the order they should go."""

    async def waiting(self, account: str) -> int:
        """How many of the account's rows wait to be sent (pending or in flight)."""

    async def next_due(self, account: str) -> datetime | None:
        """When the account's next pending row falls due (held or backing off)."""

    async def claim(self, row_id: int, claimant: str, until: datetime,
                    merge_window: float) -> OutboxItem | None:
        """Take one pending row (None if another claimant has it), merging
        into it the account's pending, never attempted warnings of the same
        member in the same chat created within ``merge_window`` of it."""

    async def sent(self, item: OutboxItem, claimant: str, at: datetime) -> None: ...

    async def failed(self, item: OutboxItem, claimant: str, error: str, *,
                     retry_at: datetime | None) -> None:
        """Back to pending until ``retry_at``; None: given up (``failed``)."""

    async def expire(self, account: str, older_than: datetime, now: datetime) -> int: ...

    async def settle_leases(self, account: str, now: datetime) -> int:
        """Rows left ``sending`` by a claimant whose lease ran out (a crash
        mid-send) become ``unknown``: never sent again."""

    async def recent_sends(self, account: str, since: datetime) -> list[tuple[datetime, str]]:
        """(time, conversation) of the account's send attempts since a time."""

    async def import_records(self, records: list[dict], account: str, now: datetime,
                             stale_after: float) -> tuple[int, int]:
        """Records of the JSONL files of earlier versions into the outbox:
        (queued, expired)."""


class RoomStore(Protocol):
    """Rooms, their members and their owners' settings."""

    async def save_room(self, room: Room) -> None: ...

    async def save_member(self, room_id: str, member: Member, present: bool = True) -> None: ...

    async def load_rooms(self) -> list[Room]: ...

    async def room_settings(self, room_id: str) -> dict:
        """The room's own settings; raises ``StoreDown`` during an outage."""

    async def all_room_settings(self) -> dict[str, dict]: ...

    async def change_settings(self, room_id: str, actor_id: str, action: str, key: str,
                              value: Any) -> tuple[Any, Any]: ...

    async def add_allow_phrase(self, room_id: str, phrase: str, actor_id: str,
                               rule: str | None = None) -> bool:
        """File a phrase in the room's allow-list under ``rule`` (None: every
        rule); False if it was there already."""


class DismissalMemory(Protocol):
    """The dismissed false alarms of each room (the review tools write them)."""

    async def dismissals(self, room_id: str, limit: int = DISMISSALS_KEPT) -> list[Dismissal]:
        """The room's newest ``limit`` dismissals, oldest first; raises
        ``StoreDown`` during an outage."""

    async def dismissals_stamp(self, room_id: str) -> tuple[int, int]:
        """(how many, the newest id): changes whenever the room's dismissals
        do, so a reader reloads them only then; raises ``StoreDown``."""


class MessageLog(Protocol):
    """Recent messages as context for reviewers; ``add`` never waits."""

    def add(self, message: StoredMessage) -> None: ...


class GroupRecords(Protocol):
    """The group's own records beside incidents: the audit log of owners'
    actions, pardons, appeals, reports and daily work reports."""

    async def audit(self, room_id: str, actor_id: str, action: str, target: str = "",
                    before: Any = None, after: Any = None) -> None: ...

    async def last_audit(self, room_id: str, action: str, target: str | None = None): ...

    async def audit_once(self, room_id: str, actor_id: str, action: str, target: str,
                         after: Any = None) -> bool:
        """The audit row of something done once per room and target (a day's
        reminder), claimed by an insert-if-absent: False if it was claimed."""

    async def work_report(self, room_id: str, member_id: str, day: str, message_id: str,
                          ts: datetime) -> bool: ...

    async def reported(self, room_id: str, day: str) -> set[str]: ...


# how a contact who answered the owner's note in WeChat is named in review
# and audit rows (the web review's reviewers are ``web:<username>``)
WECHAT_REVIEWER = "wechat:"


def reviewer_contact(reviewer: str) -> str:
    """The contact id behind a ``wechat:`` reviewer, else ``reviewer`` itself."""
    return reviewer[len(WECHAT_REVIEWER):] if reviewer.startswith(WECHAT_REVIEWER) else reviewer


class IncidentReviews(Protocol):
    """The reviewers' word on incidents (``storage.review.ReviewStore``): the
    web review and the owner's answer in a private chat record it alike."""

    async def incident(self, incident_id: int, scope: frozenset[str] | None = None,
                       context: int = 3) -> Any:
        """The incident (``.incident``: its row; ``.names``: who is who), or
        None if there is no reviewable incident of that number."""

    async def review(self, incident_id: int, reviewer: str, decision: str, *, note: str = "",
                     allow_phrase: str | None = None,
                     scope: frozenset[str] | None = None) -> Any:
        """Record a decision (confirm, dismiss, reopen); raises a ValueError
        with a ``code`` when it cannot be carried out."""


@dataclass(frozen=True)
class ConnectionReport:
    """The live channel's connection to WeChat at one moment."""

    connected: bool
    seconds: float            # how long it has been connected, or offline
    waiting: int              # messages queued to send
    attempts: int = 0         # reconnect attempts since it went offline
    logged_out: bool = False  # the gateway answers but the account is logged out


class ConnectionState(Protocol):
    """What a live channel tells of its connection (``/status``); the console
    and a replay have none."""

    def report(self) -> ConnectionReport: ...


class Store(IncidentLog, Outbox, RoomStore, DismissalMemory, Protocol):
    """Everything the engine is given: one object implementing the ports."""

    @property
    def records(self) -> GroupRecords: ...

    def message_log(self, retention_days: int) -> MessageLog: ...
