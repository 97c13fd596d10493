"""SQLAlchemy 2 models. Every table carries the room id.

Incidents are never deleted or overwritten: a pardon is a row of its own, and
a review changes only the review columns. The unique key on
(room_id, message_id, rule) makes a redelivered message harmless.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON, Boolean, DateTime, Float, Index, Integer, LargeBinary, String, Text, TypeDecorator,
    UniqueConstraint, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# made by the migrations alone, not by these models: SQLite's full-text
# table of the incidents (with FTS5's own tables behind it) and PostgreSQL's
# trigram index of the same columns (migration 0008_text)
UNMODELLED = ("incidents_fts", "ix_incidents_text_trgm")


def modelled(name, type_=None, parent_names=None) -> bool:
    """False for what the models leave to the migrations (Alembic's
    ``include_name``: comparing the models with a database skips it)."""
    return not (name or "").startswith(UNMODELLED)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class RoomRow(Base):
    __tablename__ = "rooms"

    room_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    topic: Mapped[str] = mapped_column(String(500), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberRow(Base):
    __tablename__ = "members"

    room_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    alias: Mapped[str] = mapped_column(String(200), default="")
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("room_id", "message_id", "rule", name="uq_incident_message_rule"),
        Index("ix_incidents_room_sender_ts", "room_id", "sender_id", "ts"),
        Index("ix_incidents_rule_ts", "rule", "ts"),
        # the review desk's orders and filters (keyset paging on ts, id)
        Index("ix_incidents_ts_id", "ts", "id"),
        Index("ix_incidents_status_ts_id", "status", "ts", "id"),
        Index("ix_incidents_rule_status_ts_id", "rule", "status", "ts", "id"),
        Index("ix_incidents_room_ts_id", "room_id", "ts", "id"),
        Index("ix_incidents_room_status_ts_id", "room_id", "status", "ts", "id"),
        # a reviewer's own work (the list's "mine" view and its count on the
        # overview); only reviewed incidents, so the planners' statistics are of
        # those (over every row they would see one reviewer, NULL, on all of them)
        Index("ix_incidents_reviewer_ts_id", "reviewed_by", "ts", "id",
              sqlite_where=text("reviewed_by IS NOT NULL"),
              postgresql_where=text("reviewed_by IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(256))
    # "violation" (a rule fired), "pardon" (an owner forgave earlier warnings)
    kind: Mapped[str] = mapped_column(String(20), default="violation")
    message_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    rule: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sender_id: Mapped[str] = mapped_column(String(256))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    evidence: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # what the message said, cut short; for classified only a marking and hash
    excerpt: Mapped[str] = mapped_column(Text, default="")
    # every plugin's verdict on the message, hit or not (why it was flagged)
    trace: Mapped[list] = mapped_column(JSON, default=list)
    # warn | private | review | exempt | log
    action: Mapped[str] = mapped_column(String(20), default="log")
    # True on the one row per message whose warning counts toward escalation
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    warning_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    # what became of the warning or note it caused (its first outbox row):
    # "" (nothing to send) | pending | sent | expired | failed | unknown
    delivery: Mapped[str] = mapped_column(String(20), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)        # when it happened
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "room_id": self.room_id, "kind": self.kind,
            "message_id": self.message_id, "rule": self.rule,
            "sender_id": self.sender_id, "sender_name": self.sender_name,
            "score": self.score, "evidence": self.evidence, "reason": self.reason,
            "excerpt": self.excerpt, "action": self.action, "counted": self.counted,
            "escalated": self.escalated, "status": self.status,
            "delivery": self.delivery,
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "ts": self.ts.isoformat() if self.ts else None,
        }


class IncidentDayRow(Base):
    """How many incidents one room had on one China-time day, per rule, kind
    and review status: the overview's and the list's counts, kept in step in
    the same transaction as every incident insert and review
    (``storage.tally``), so no count has to read the incidents."""

    __tablename__ = "incident_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)       # YYYY-MM-DD, China time
    room_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)      # "" for none (a report)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class IncidentTotalRow(Base):
    """The same counts as ``incident_days`` over all days: what the totals
    read when no time range is asked for (a few rows per room)."""

    __tablename__ = "incident_totals"

    room_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class IncidentMemberRow(Base):
    """How many messages of one member, on one China-time day, rules flagged
    (violations only), kept in step like ``incident_days``: the overview's
    members flagged more than once read these, never the incidents.

    ``rule`` and ``status`` are a rule and a status (then ``n`` counts that
    rule's incidents, one per message), or "*" for any: ``("*", status)``
    counts the messages with an incident of that status, ``("*", "*")`` the
    messages with any. ``name`` is the sender's name on the incidents (on a
    "*" row the greatest of the message's), so the greatest name of a member
    is that of its rows with ``n > 0``. Keyed rule and status first, so a
    range of days of one of them is one stretch of the key."""

    __tablename__ = "incident_members"
    __table_args__ = {"sqlite_with_rowid": False}

    rule: Mapped[str] = mapped_column(String(40), primary_key=True)      # a rule, "" or "*"
    status: Mapped[str] = mapped_column(String(20), primary_key=True)    # a status or "*"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)       # YYYY-MM-DD, China time
    room_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class AuditRow(Base):
    """Every change an owner, admin or reviewer makes: who, what, before, after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_room_ts", "room_id", "ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(256))
    actor_id: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(60))          # e.g. "disable", "allow", "dismiss"
    target: Mapped[str] = mapped_column(String(256), default="")
    before: Mapped[dict | list | str | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | list | str | None] = mapped_column(JSON, nullable=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppealRow(Base):
    """A member disputes a warning; the owner sees it in the review queue."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(256))
    incident_id: Mapped[int] = mapped_column(Integer, index=True)
    member_id: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")   # open | accepted | rejected
    resolved_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewRow(Base):
    """A reviewer's judgement of an incident (confirm / dismiss / reopen)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(256))
    incident_id: Mapped[int] = mapped_column(Integer, index=True)
    reviewer: Mapped[str] = mapped_column(String(256))
    decision: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    allow_phrase: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DismissalRow(Base):
    """A false alarm a reviewer dismissed, remembered in its room so that a
    near-duplicate of the message is not reported again under the same rule.
    Holds the message's sentence vector (float16 bytes), never its words, and
    is never kept for a secret rule. At most ``core.ports.DISMISSALS_KEPT``
    per room (the oldest go); forgotten when the incident is confirmed or
    reopened. Ids are never reused (SQLite AUTOINCREMENT), so (count, newest
    id) tells a reader whether a room's dismissals changed."""

    __tablename__ = "dismissals"
    __table_args__ = (
        UniqueConstraint("incident_id", name="uq_dismissal_incident"),
        Index("ix_dismissals_room_id", "room_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(256))
    rule: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(256))
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class WorkReportRow(Base):
    """One member's daily work report (每日汇报) in one room on one day."""

    __tablename__ = "work_reports"

    room_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)      # YYYY-MM-DD, China time
    message_id: Mapped[str] = mapped_column(String(256))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageRow(Base):
    """Recent messages kept for the context shown beside an incident.

    Classified content is never stored: such a message keeps only its marking
    and hash, like the incident itself.
    """

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_room_ts", "room_id", "ts"),)

    room_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(256))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(20), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    ts: Mapped[datetime] = mapped_column(UTCDateTime)


class WebAccountRow(Base):
    """A reviewer account for the web page; room_id "*" reviews every room."""

    __tablename__ = "web_accounts"

    room_id: Mapped[str] = mapped_column(String(256), primary_key=True, default="*")
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSessionRow(Base):
    """A reviewer's signed-in session, one row per room it may review ("*"
    for every room), like ``web_accounts``. Only a SHA-256 hash of the
    session id is stored; ``account_stamp`` fingerprints the account's
    password hash and rooms when the session began, so a changed account
    no longer matches it."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_username", "username"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(256), primary_key=True, default="*")
    username: Mapped[str] = mapped_column(String(100))
    account_stamp: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInAttemptRow(Base):
    """A sign-in attempt, written before its password is checked: an attempt
    in flight or a failure; a success removes its account's rows. The
    account name is kept only as a hash (people type passwords into the name
    field). Not about one room: room_id is "*"."""

    __tablename__ = "web_sign_in_attempts"
    __table_args__ = (
        Index("ix_web_sign_in_attempts_account_ts", "account_hash", "ts"),
        Index("ix_web_sign_in_attempts_address_ts", "address", "ts"),
        Index("ix_web_sign_in_attempts_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(256), default="*")
    account_hash: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxRow(Base):
    """One thing the bot is to say or do in one chat, written in the same
    transaction as the incident or command that caused it and worked off by
    the account's sender (``channels.outbound``).

    status: pending -> sending (claimed, with a lease) -> sent; a failed
    attempt goes back to pending with a later ``not_before``; too old:
    expired; too many failed attempts: failed; merged into another row:
    merged (``merged_into``); left ``sending`` by a sender that died
    mid-send: unknown (never sent again: at most once)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_account_status_due", "account", "status", "not_before"),
        Index("ix_outbox_account_attempt", "account", "last_attempt_at"),
        Index("ix_outbox_incident", "incident_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(256))          # the bot's contact id
    conversation: Mapped[str] = mapped_column(String(256))     # the room, or a contact
    room_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    mention_ids: Mapped[list] = mapped_column(JSON, default=list)
    member_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    mergeable: Mapped[bool] = mapped_column(Boolean, default=False)
    # the incident this row carries out (None: a command's answer, a greeting);
    # incident_ids: every incident carried by this row once others merged into it
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    incident_ids: Mapped[list] = mapped_column(JSON, default=list)
    tells_incident: Mapped[bool] = mapped_column(Boolean, default=False)   # its status is the incident's delivery
    parts: Mapped[int] = mapped_column(Integer, default=1)
    merged_into: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HandledRow(Base):
    """An event the bot acted on, once across restarts and accounts: a
    message with an incident, a command, a join, the bot being added, a
    day's reminder. Written in the same transaction as what it caused."""

    __tablename__ = "handled"
    __table_args__ = (UniqueConstraint("room_id", "kind", "key", name="uq_handled_room_kind_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(256))     # the room, or the contact of a private chat
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    account: Mapped[str] = mapped_column(String(256), default="")
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditPartRow(Base):
    """One part of an archive that audits on several hosts share out
    (``bot.py audit --store --claim P``): the archive's rooms with
    ``part_of(room, parts) == part``. ``archive`` is the job's name or the
    SHA-256 of the file.

    state: open -> claimed (``claimed_by`` host:pid, ``claimed_at`` renewed
    while the part runs) -> done (``done_at``, the part's counts). A claim
    older than the lease may be taken over; ``claims`` counts the takes. Not
    about one room: room_id is "*"."""

    __tablename__ = "audit_parts"

    archive: Mapped[str] = mapped_column(String(256), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    room_id: Mapped[str] = mapped_column(String(256), default="*")
    parts: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="open")
    claimed_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claims: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
