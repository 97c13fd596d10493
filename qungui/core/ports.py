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

    def to_json(self) -> str:
        d = asdict(self)
        d["ts"] = self.ts.isoformat()
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> "IncidentIn":
        d = json.loads(line)
        d["ts"] = datetime.fromisoformat(d["ts"])
        return cls(**d)


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


class IncidentLog(Protocol):
    """The incident log: committed before anything is sent, never deleted."""

    degraded: bool                     # the database is down or incidents wait in the spool
    spool_problem: str | None          # why the spool cannot be written (rows wait in memory)

    async def record(self, rows: list[IncidentIn]) -> bool:
        """Commit one message's rows together; False if they were there already."""

    async def count_warnings(self, room_id: str, sender_id: str, since: datetime) -> int: ...

    async def incidents(self, *, room_id: str | None = None, rule: str | None = None,
                        sender_id: str | None = None, since: datetime | None = None,
                        kind: str | None = "violation", limit: int = 200) -> list: ...

    async def audit_log(self, room_id: str | None = None, limit: int = 50) -> list: ...


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

    async def work_report(self, room_id: str, member_id: str, day: str, message_id: str,
                          ts: datetime) -> bool: ...

    async def reported(self, room_id: str, day: str) -> set[str]: ...


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


class Store(IncidentLog, RoomStore, DismissalMemory, Protocol):
    """Everything the engine is given: one object implementing the ports."""

    @property
    def records(self) -> GroupRecords: ...

    def message_log(self, retention_days: int) -> MessageLog: ...
