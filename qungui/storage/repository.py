"""The async repository: the only code that talks to the database.

It stores and returns data; it never formats text for people. When the
database cannot be reached, incidents go to the spool (``storage.spool``: an
fsynced file, or memory if even that cannot be written) and are written to
the database, idempotently, at start-up, every ``retry_seconds`` while
degraded and on close: a record is never lost because a server was down. A
row the database refuses (a data error) is quarantined, never taken for an
outage.
"""

from __future__ import annotations

from types import SimpleNamespace

import asyncio
import functools
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from qungui.core.events import Member, Room
from qungui.core.ports import (DISMISSALS_KEPT, Dismissal, Handled, IncidentIn, Outgoing,
                               OutboxCounts, StoreDown, WarningState)
from qungui.storage.bulk import incident_values, insert_ignoring
from qungui.storage.tasks import cancel_and_wait
from qungui.storage.clean import clean_incident
from qungui.storage.errors import DOWN as _DOWN, is_data_error
from qungui.storage.group_records import GroupRecords
from qungui.storage.messages import MessageLog
from qungui.storage.models import (AuditRow, DismissalRow, HandledRow, IncidentRow, MemberRow,
                                   RoomRow, utcnow)
from qungui.storage.outbox import OutboxStore, add_handled, add_outgoing, claim_handled, is_handled
from qungui.storage.spool import Spool, WarningKey
from qungui.storage.tally import count_new

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_URL = "sqlite+aiosqlite:///data/bot.sqlite3"
MIGRATION_LOCK = 0x71756E67   # PostgreSQL advisory lock held while migrating
RETRY_SECONDS = 15.0          # while degraded, the spool is written back this often
CLOSE_FLUSH_SECONDS = 10.0    # the last write-back on close waits at most this long
LEGACY_SPOOL = "incident-spool.jsonl"   # where versions before the spool folder kept it
# the spool's kind of a row that carries only outgoing items (a command's
# answer, a greeting, a reminder written during an outage): no incident
DELIVERY = "delivery"
# what ``_commit`` found
NEW, SEEN, HANDLED_ELSEWHERE = "new", "seen", "handled"
SQLITE_BUSY_SECONDS = 30.0
BATCH_MESSAGES = 500          # messages whose incident rows one batch writes (``batched``)
IN_CHUNK = 500                # ids per IN list when looking rows up


class StorageUnavailable(RuntimeError):
    """The database did not answer; the message says why (no secrets)."""


def async_url(url: str) -> str:
    """Accept plain SQLAlchemy URLs and pick the async driver for them."""
    u = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}.get(u.drivername)
    if driver:
        u = u.set(drivername=driver)
    return u.render_as_string(hide_password=False)


def data_folder(url: str) -> Path:
    """The bot's data folder: the SQLite file's folder, else ``data``."""
    u = make_url(url)
    if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
        return Path(u.database).parent
    return Path("data")


def default_spool_path(url: str) -> Path:
    """The spool when none is configured: ``spool/incidents.jsonl`` in the data
    folder (a folder of its own, not beside the database file)."""
    return data_folder(url) / "spool" / "incidents.jsonl"


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - never echo a URL we cannot parse
        return "<unparseable database URL>"




def _outage_tolerant(fallback):
    """For writes and reads the engine can do without during an outage (room
    data it also holds in memory, the audit log): log, mark the repository
    degraded, and carry on with ``fallback(self, *args)``. Incident rows never
    take this path: they go to the spool."""

    def wrap(method):
        @functools.wraps(method)
        async def tolerant(self, *args, **kwargs):
            try:
                result = await method(self, *args, **kwargs)
            except _DOWN as exc:
                self._down(exc, method.__name__)
                return fallback(self, *args, **kwargs)
            self._up()
            return result
        return tolerant
    return wrap


@dataclass
class _Warnings:
    """What the database was last seen to hold of one member's warnings in one
    room: (message, rule) -> (time, counts toward escalation, was a warning),
    and the last pardon. Kept so the escalation count stays whole while the
    database is down; in a batch (``Repository.batched``) also what the
    count is taken from, without asking the database again. ``since``: the
    rows are complete from this time on (None: not known to be)."""

    rows: dict[WarningKey, tuple[datetime, bool, bool]] = field(default_factory=dict)
    last_pardon: datetime | None = None
    since: datetime | None = None

    def total(self, since: datetime, waiting: dict[WarningKey, datetime]) -> int:
        """Counted warnings from ``since`` (after the last pardon): the
        database's, plus the spooled ones the database does not have."""
        pardon = self.last_pardon if self.last_pardon and self.last_pardon >= since else None

        def inside(ts: datetime) -> bool:
            return ts > pardon if pardon else ts >= since

        stored = sum(1 for ts, counts, _ in self.rows.values() if counts and inside(ts))
        return stored + sum(1 for key, ts in waiting.items() if key not in self.rows and inside(ts))

    def last(self, since: datetime, waiting: dict[WarningKey, datetime]) -> dict[str, datetime]:
        """Per rule, the time of the member's last warning from ``since`` on
        (a dismissed one too: the cooldown is about what was said)."""
        out: dict[str, datetime] = {}
        found = [(rule, ts) for (_, rule), (ts, _, warned) in self.rows.items() if warned]
        found += [(rule, ts) for key, ts in waiting.items() if key not in self.rows
                  for rule in (key[1],)]
        for rule, ts in found:
            if rule is not None and ts >= since and (rule not in out or ts > out[rule]):
                out[rule] = ts
        return out


def _keep_newer(known: "_Warnings", before: "_Warnings", since: datetime) -> None:
    """Add to ``known`` (just read) the rows and pardon this process kept in
    ``before`` that the read lacks: written meanwhile, so newer."""
    for key, value in before.rows.items():
        if key not in known.rows and value[0] >= since:
            known.rows[key] = value
    if before.last_pardon and (known.last_pardon is None
                               or before.last_pardon > known.last_pardon):
        known.last_pardon = before.last_pardon


class Repository:
    def __init__(self, engine: AsyncEngine, spool_path: str | Path | None = None, *,
                 retry_seconds: float = RETRY_SECONDS):
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.spool = Spool(spool_path if spool_path is not None
                           else default_spool_path(engine.url.render_as_string()))
        self.retry_seconds = retry_seconds
        self._db_down = False
        # each member's warnings as the database last showed them (see _Warnings)
        self._warnings: dict[tuple[str, str], _Warnings] = {}
        self._flush_lock = asyncio.Lock()
        # a batch (``batched``): each message's rows, written together at the flush
        self._batch: list[list[IncidentIn]] | None = None
        self._batch_keys: set[tuple[str, str]] = set()
        self._batch_size = BATCH_MESSAGES
        self._rooms_read: dict[str, datetime] = {}     # in a batch: rooms read whole, from when
        self.dialect = engine.dialect.name
        self._wake = asyncio.Event()
        self._retry: asyncio.Task | None = None
        self._closing = False
        # async callables run before the engine is disposed (buffers that must be written)
        self.on_close: list = []

    @property
    def spool_path(self) -> Path:
        return self.spool.path

    @property
    def degraded(self) -> bool:
        """The database is down, rows wait in the spool, or the spool cannot
        be written."""
        return self._db_down or self.spool.problem is not None or self.spool.pending()

    @property
    def spool_problem(self) -> str | None:
        """Why the spool cannot be written (rows then wait in memory), or None."""
        return self.spool.problem

    @cached_property
    def outbox(self) -> OutboxStore:
        """The sender's side of the outbox (``core.ports.OutboxQueue``)."""
        return OutboxStore(self)

    @cached_property
    def records(self) -> GroupRecords:
        """The group's own records (audit log, pardons, appeals, reports)."""
        return GroupRecords(self)

    def message_log(self, retention_days: int) -> MessageLog:
        """A buffered writer of recent messages, flushed when this closes."""
        return MessageLog(self, retention_days)

    # --- lifecycle -------------------------------------------------------

    @classmethod
    async def open(cls, url: str = DEFAULT_URL, *, spool_path: str | Path | None = None,
                   migrate: bool = True, retry_seconds: float = RETRY_SECONDS) -> "Repository":
        """Connect, bring the schema up to date and write back what the spool
        holds from earlier runs. ``spool_path`` None: ``default_spool_path``."""
        url = async_url(url)
        u = make_url(url)
        if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        sqlite = u.drivername.startswith("sqlite")
        # SQLite: a writer waits this long for another process's transaction (audit
        # --workers, a second bot on the file) before giving up as if it were down
        engine = create_async_engine(url, pool_pre_ping=not sqlite,
                                     connect_args={"timeout": SQLITE_BUSY_SECONDS} if sqlite else {})
        repo = cls(engine, spool_path if spool_path is not None else default_spool_path(url),
                   retry_seconds=retry_seconds)
        if migrate:
            try:
                await repo.migrate()
            except _DOWN as exc:
                await engine.dispose()
                raise StorageUnavailable(
                    f"cannot reach the database {safe_url(url)}: {type(exc).__name__}") from None
        await repo.start(legacy_spool=data_folder(url) / LEGACY_SPOOL)
        return repo

    async def start(self, legacy_spool: Path | None = None) -> None:
        """Recover the spool an earlier run left (a ``.flushing`` file too, and
        the file of the version before the spool folder), check that the spool
        can be written (an ERROR now, not during an outage), write it back."""
        if legacy_spool is not None:
            self.spool.adopt(legacy_spool)
        self.spool.load()
        await self.flush_spool()      # tries the spool file first: an ERROR now if it is unwritable
        if self.degraded:
            self._watch()

    async def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        def upgrade(sync_conn) -> None:
            if sync_conn.dialect.name == "postgresql":
                # several bots may start at once on one database: one migrates at a time
                sync_conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        async with self.engine.begin() as conn:
            await conn.run_sync(upgrade)

    async def close(self) -> None:
        """Write what is buffered, write the spool back (for at most
        ``CLOSE_FLUSH_SECONDS``; what the database does not take stays in the
        spool file for the next start), and disconnect. Safe in any state:
        twice, after a failed write, or on a database that is down (a buffer
        that cannot be written is logged, and the connections still go)."""
        self._closing = True
        task, self._retry = self._retry, None
        await cancel_and_wait(task)
        try:
            try:
                await self.flush_batch()
            except Exception:  # noqa: BLE001 - the engine must still go; the log says what
                log.exception("the last batch of incident rows could not be written on close")
            self._batch = None
            for flush in self.on_close:
                try:
                    await flush()
                except Exception:  # noqa: BLE001 - one buffer must not keep the others or the pool
                    log.exception("a buffer could not be written on close")
            try:
                await asyncio.wait_for(self.flush_spool(), CLOSE_FLUSH_SECONDS)
            except Exception as exc:  # noqa: BLE001 - the spool file keeps the rows for the next start
                log.warning("the spool was not written back on close (%s); it is at the next start",
                            type(exc).__name__)
            self.spool.abandon()
        finally:
            await self.engine.dispose()

    # --- rooms -------------------------------------------------------------

    @_outage_tolerant(lambda self, *a, **k: None)
    async def save_room(self, room: Room) -> None:
        """The room and its members as the channel sees them now. Rows are
        inserted if absent first (``ON CONFLICT DO NOTHING``), then updated:
        two processes saving a new room at once both succeed."""
        now = utcnow()
        async with self.sessions.begin() as s:
            await s.execute(insert_ignoring(self.dialect, RoomRow, ("room_id",)).values(
                room_id=room.id, topic=room.topic, purpose=room.purpose, owner_id=room.owner_id,
                settings={}, updated_at=now))
            if room.members:
                await s.execute(insert_ignoring(self.dialect, MemberRow, ("room_id", "member_id")),
                                [dict(room_id=room.id, member_id=m.id, name=m.name, alias=m.alias,
                                      present=True, updated_at=now)
                                 for _, m in sorted(room.members.items())])
            row = await s.get(RoomRow, room.id)
            row.topic, row.purpose, row.owner_id = room.topic, room.purpose, room.owner_id
            row.updated_at = utcnow()
            existing = {m.member_id: m for m in (await s.scalars(
                select(MemberRow).where(MemberRow.room_id == room.id)))}
            for member in room.members.values():
                m = existing.get(member.id)
                if m is None:
                    s.add(MemberRow(room_id=room.id, member_id=member.id, name=member.name,
                                    alias=member.alias, present=True))
                else:
                    m.name, m.alias, m.present, m.updated_at = member.name, member.alias, True, utcnow()
            for member_id, m in existing.items():
                if member_id not in room.members and m.present:
                    m.present = False

    @_outage_tolerant(lambda self, *a, **k: None)
    async def save_member(self, room_id: str, member: Member, present: bool = True) -> None:
        async with self.sessions.begin() as s:
            inserted = (await s.execute(
                insert_ignoring(self.dialect, MemberRow, ("room_id", "member_id")).values(
                    room_id=room_id, member_id=member.id, name=member.name, alias=member.alias,
                    present=present, updated_at=utcnow()))).rowcount
            if inserted:
                return
            m = await s.get(MemberRow, (room_id, member.id))
            if m is None:
                s.add(MemberRow(room_id=room_id, member_id=member.id, name=member.name,
                                alias=member.alias, present=present))
            else:
                if member.name:
                    m.name = member.name
                if member.alias or present:
                    m.alias = member.alias or m.alias
                m.present, m.updated_at = present, utcnow()

    async def room_settings(self, room_id: str) -> dict:
        """The room's own settings (overrides of the rulebook), {} if none;
        ``StoreDown`` when the database cannot be read."""
        try:
            async with self.sessions() as s:
                row = await s.get(RoomRow, room_id)
                return dict(row.settings or {}) if row else {}
        except (SQLAlchemyError, OSError, ConnectionError) as exc:
            raise StoreDown(f"room settings of {room_id}: {type(exc).__name__}") from exc

    async def all_room_settings(self) -> dict[str, dict]:
        """Every room's own settings, for loading them all at start-up."""
        async with self.sessions() as s:
            return {r.room_id: dict(r.settings or {}) for r in await s.scalars(select(RoomRow))}

    async def change_settings(self, room_id: str, actor_id: str, action: str, key: str,
                              value) -> tuple[object, object]:
        """Set one settings key and write the audit row in the same transaction.

        Returns (before, after). ``value`` None removes the key.
        """
        async with self.sessions.begin() as s:
            await s.execute(insert_ignoring(self.dialect, RoomRow, ("room_id",)).values(
                room_id=room_id, topic="", purpose="", settings={}, updated_at=utcnow()))
            row = await s.get(RoomRow, room_id)
            settings = dict(row.settings or {})
            before = settings.get(key)
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
            row.settings = settings          # a new dict, so the JSON column is saved
            row.updated_at = utcnow()
            s.add(AuditRow(room_id=room_id, actor_id=actor_id, action=action, target=key,
                           before=before, after=value))
        return before, value

    async def add_allow_phrase(self, room_id: str, phrase: str, actor_id: str,
                               rule: str | None = None) -> bool:
        """File a phrase in the room's allow-list under ``rule`` (None: every
        rule, stored as a plain string; else ``{"rule", "phrase"}``). False if
        it was there already, or filed for every rule."""
        current = (await self.room_settings(room_id)).get("allow", [])
        current = list(current) if isinstance(current, list) else []
        entry = phrase if rule is None else {"rule": rule, "phrase": phrase}
        if entry in current or phrase in current:
            return False
        await self.change_settings(room_id, actor_id, "allow", "allow", current + [entry])
        return True

    # --- dismissed false alarms (written by storage.review) -------------------

    async def dismissals(self, room_id: str, limit: int = DISMISSALS_KEPT) -> list[Dismissal]:
        """The room's newest ``limit`` dismissals, oldest first; ``StoreDown``
        when the database cannot be read."""
        try:
            async with self.sessions() as s:
                rows = list(await s.scalars(
                    select(DismissalRow).where(DismissalRow.room_id == room_id)
                    .order_by(DismissalRow.id.desc()).limit(max(0, limit))))
        except (SQLAlchemyError, OSError, ConnectionError) as exc:
            raise StoreDown(f"dismissals of {room_id}: {type(exc).__name__}") from exc
        return [Dismissal(id=r.id, room_id=r.room_id, rule=r.rule, incident_id=r.incident_id,
                          reviewer=r.reviewer, ts=r.ts, vector=bytes(r.vector))
                for r in reversed(rows)]

    async def dismissals_stamp(self, room_id: str) -> tuple[int, int]:
        """(how many, the newest id) of the room's dismissals; ``StoreDown``
        when the database cannot be read."""
        try:
            async with self.sessions() as s:
                count, newest = (await s.execute(
                    select(func.count(), func.max(DismissalRow.id))
                    .where(DismissalRow.room_id == room_id))).one()
        except (SQLAlchemyError, OSError, ConnectionError) as exc:
            raise StoreDown(f"dismissals of {room_id}: {type(exc).__name__}") from exc
        return int(count or 0), int(newest or 0)

    @_outage_tolerant(lambda self, *a, **k: [])
    async def audit_log(self, room_id: str | None = None, limit: int = 50) -> list[AuditRow]:
        stmt = select(AuditRow).order_by(AuditRow.ts.desc(), AuditRow.id.desc()).limit(limit)
        if room_id:
            stmt = stmt.where(AuditRow.room_id == room_id)
        async with self.sessions() as s:
            return list(await s.scalars(stmt))

    async def load_rooms(self) -> list[Room]:
        async with self.sessions() as s:
            rooms = {r.room_id: Room(id=r.room_id, topic=r.topic, purpose=r.purpose,
                                     owner_id=r.owner_id)
                     for r in await s.scalars(select(RoomRow))}
            for m in await s.scalars(select(MemberRow).where(MemberRow.present.is_(True))):
                room = rooms.setdefault(m.room_id, Room(id=m.room_id))
                room.members[m.member_id] = Member(m.member_id, m.name, m.alias)
        return list(rooms.values())

    # --- incidents ---------------------------------------------------------

    async def record(self, rows: list[IncidentIn]) -> bool:
        """Commit the incident rows of one message (or join) in one transaction.

        Returns False when that message was recorded before (a redelivery):
        the caller must then not act on it again. When the database is down
        the rows go to the spool first, so nothing is lost, and True is
        returned: the spool is the commit. A row the database refuses is
        quarantined and the others are written: a data error is not an outage.
        """
        if not rows:
            return True
        rows = [clean_incident(r) for r in rows]
        first = rows[0]
        if first.message_id is not None and self.spool.holds(first.room_id, first.message_id):
            return False
        if self._batch is not None:
            if self._batchable(first):
                key = (first.room_id, first.message_id)
                if key in self._batch_keys:
                    return False
                self._batch_keys.add(key)
                self._batch.append(rows)
                self._remember(rows)
                if len(self._batch) >= self._batch_size:
                    await self.flush_batch()
                return True
            await self.flush_batch()      # what was batched goes first: the order holds
        try:
            stored = await self._store(rows)
        except _DOWN as exc:
            self._down(exc, "record")
            self.spool.append(rows)
            self._watch()
            return True
        if self.spool.pending():
            self._watch()
            self._wake.set()          # the database answers: write the spool back now
        return stored is not None

    # --- batches (an archive's audit) -------------------------------------------

    @asynccontextmanager
    async def batched(self, size: int = BATCH_MESSAGES):
        """Within the block, ``record`` keeps each message's rows in memory and
        writes ``size`` messages' rows at a time in one transaction (one
        look-up of the messages there already, which are skipped as in
        ``record``, then one multi-row ``INSERT … ON CONFLICT DO NOTHING``);
        the rest is written when the block ends. Escalation counts and
        cooldowns are taken from what this process read and wrote, each
        member's rows read from the database once. Rows that carry outgoing
        items or a handled mark (the live path) are never batched: the
        batch is written first and they are committed before ``record``
        returns, as outside a batch.

        For a file that can be read again (``bot.py audit``): a batch not yet
        written is lost if the process dies; rerunning the file writes it
        and nothing twice. ``size`` 0: every message in its own transaction."""
        if self._batch is not None:
            raise RuntimeError("a batch is open already")
        self._batch, self._batch_keys = [], set()
        self._batch_size = size
        self._rooms_read = {}
        try:
            yield self
        finally:
            try:
                await self.flush_batch()
            finally:
                self._batch, self._batch_keys = None, set()

    @staticmethod
    def _batchable(first: IncidentIn) -> bool:
        return (first.message_id is not None and first.kind != DELIVERY
                and not first.outgoing and first.handled is None)

    def forget_warnings(self, room_id: str, member_id: str) -> None:
        """Another writer changed what counts (a pardon by ``GroupRecords``):
        the member's warnings are read from the database again."""
        known = self._warnings.get((room_id, member_id))
        if known is not None:
            known.since = None        # read again; rows of the open batch are kept
        self._rooms_read.pop(room_id, None)

    async def flush_batch(self) -> int:
        """Write the open batch's rows now; how many rows were new. An outage
        sends them to the spool; a row the database refuses makes the batch be
        written message by message (the refused row quarantined)."""
        if not self._batch:
            return 0
        batch, self._batch, self._batch_keys = self._batch, [], set()
        try:
            written = await self._insert_batch(batch)
        except Exception as exc:
            if not is_data_error(exc):
                if not isinstance(exc, _DOWN):
                    raise
                self._down(exc, "record")
                self.spool.append([r for rows in batch for r in rows])
                self._watch()
                return 0
            log.warning("the database refused a row of a batch of %d messages (%s); writing "
                        "them one by one", len(batch), type(exc).__name__)
            written = 0
            for i, rows in enumerate(batch):
                try:
                    written += await self._store(rows) or 0
                except _DOWN as down:
                    self._down(down, "record")
                    self.spool.append([r for left in batch[i:] for r in left])
                    self._watch()
                    break
            return written
        self._up()
        if self.spool.pending():
            self._watch()
            self._wake.set()
        return written

    async def _insert_batch(self, batch: list[list[IncidentIn]]) -> int:
        keys = {(rows[0].room_id, rows[0].message_id) for rows in batch}
        async with self.sessions.begin() as s:
            there = await _messages_there(s, keys)
            values = [incident_values(r) for rows in batch
                      if (rows[0].room_id, rows[0].message_id) not in there for r in rows]
            if values:
                await s.execute(insert_ignoring(self.dialect, IncidentRow,
                                                ("room_id", "message_id", "rule")), values)
                # the review desk's counts, in the same transaction (a key twice in
                # one batch is inserted once)
                unique = {(v["room_id"], v["message_id"], v.get("rule")): v for v in values}
                await count_new(s, [SimpleNamespace(status=None, **v) for v in unique.values()],
                                fresh=True)
        return len(values)

    async def _store(self, rows: list[IncidentIn], fill: bool = False) -> int | None:
        """Write one message's rows: how many were written, None if the message
        was there already. A row the database refuses is quarantined (the
        message counts as recorded). ``fill``: add the rows a message there
        already lacks (a write-back after a crash in the middle of a message).
        Raises only for an outage."""
        if rows[0].kind == DELIVERY:
            return len(rows) if await self._commit_delivery(rows[0]) else None
        try:
            found = await self._commit(rows)
            if found == NEW:
                return len(rows)
            if not fill or found == HANDLED_ELSEWHERE:
                return None
        except Exception as exc:
            if not is_data_error(exc):
                raise
            log.warning("the database refused a row of message %s in %s (%s); writing its "
                        "rows one by one", rows[0].message_id, rows[0].room_id, type(exc).__name__)
        written = 0
        for r in rows:
            try:
                written += await self._commit_row(r)
            except Exception as exc:
                if not is_data_error(exc):
                    raise
                self.spool.to_quarantine([(r.to_json(), f"the database refused the row: "
                                                        f"{_first_line(exc)}")])
        return written

    async def _commit(self, rows: list[IncidentIn]) -> str:
        """One message's rows, its outgoing items and its handled mark in one
        transaction: NEW; SEEN if the message is there already; HANDLED_ELSEWHERE
        if another account's copy of it was handled."""
        first = rows[0]
        handled = Handled.from_list(first.handled)
        account = first.outgoing[0].get("account", "") if first.outgoing else ""
        async with self.sessions() as s:
            if first.message_id is not None and await self._seen(s, first):
                return SEEN
            if handled is not None and await is_handled(s, handled):
                return HANDLED_ELSEWHERE
            incidents = [IncidentRow(**r.row_fields()) for r in rows]
            if first.outgoing:
                incidents[0].delivery = "pending"
            s.add_all(incidents)
            add_handled(s, handled, account)
            try:
                # (a message with an id is not there yet: seen above)
                await count_new(s, incidents, fresh=True)
                await s.flush()
                add_outgoing(s, first.outgoing, incidents[0].id)
                await s.commit()
            except IntegrityError:
                await s.rollback()
                # another writer of the same message got there first (a redelivery)
                if first.message_id is not None and await self._seen(s, first):
                    return SEEN
                if handled is not None and await is_handled(s, handled):
                    return HANDLED_ELSEWHERE
                raise
        self._up()
        self._remember(rows)
        return NEW

    async def _commit_delivery(self, row: IncidentIn) -> bool:
        """Outgoing items with no incident (a spooled ``deliver``)."""
        handled = Handled.from_list(row.handled)
        account = row.outgoing[0].get("account", "") if row.outgoing else ""
        async with self.sessions() as s:
            if handled is not None and await is_handled(s, handled):
                return False
            add_handled(s, handled, account)
            add_outgoing(s, row.outgoing)
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                if handled is not None and await is_handled(s, handled):
                    return False
                raise
        self._up()
        return True

    # --- the outbox and events handled once (core.ports.Outbox) ----------------

    async def deliver(self, outgoing: list[Outgoing], *, account: str,
                      handled: Handled | None = None, incident_id: int | None = None) -> bool:
        """Commit outgoing items and the handled mark together; False (nothing
        written) if the event was handled already. During an outage they wait
        in the spool, like incident rows, and reach the outbox at write-back."""
        records = [dict(o.record(), account=account) for o in outgoing]
        if not records and handled is None:
            return True
        pseudo = IncidentIn(room_id=handled.chat if handled else (records[0]["conversation"]),
                            message_id=(f"{DELIVERY}:{handled.kind}:{handled.key}" if handled
                                        else None),
                            rule=None, sender_id=account, ts=utcnow(), kind=DELIVERY,
                            action="log", outgoing=records,
                            handled=handled.key_list() if handled else None)
        if pseudo.message_id is not None and self.spool.holds(pseudo.room_id, pseudo.message_id):
            return False
        try:
            return await self._commit_delivery(clean_incident(pseudo))
        except _DOWN as exc:
            self._down(exc, "deliver")
            self.spool.append([clean_incident(pseudo)])
            self._watch()
            return True

    async def claim_handled(self, handled: Handled, account: str) -> bool:
        """Mark an event handled before acting on it; False if it was. During
        an outage the engine's own memory of ids is all there is: True."""
        try:
            claimed = await claim_handled(self.sessions, handled, account)
        except _DOWN as exc:
            self._down(exc, "claim_handled")
            return True
        self._up()
        return claimed

    @_outage_tolerant(lambda self, *a, **k: False)
    async def was_handled(self, chat: str, kind: str, since: datetime | None = None) -> bool:
        stmt = select(func.count()).select_from(HandledRow).where(
            HandledRow.room_id == chat, HandledRow.kind == kind)
        if since is not None:
            stmt = stmt.where(HandledRow.ts >= since)
        async with self.sessions() as s:
            return bool(await s.scalar(stmt))

    @_outage_tolerant(lambda self, *a, **k: OutboxCounts())
    async def outbox_counts(self, account: str | None = None) -> OutboxCounts:
        return await self.outbox.counts(account)

    async def _commit_row(self, r: IncidentIn) -> bool:
        """Write one row unless a row of that message and rule is there."""
        async with self.sessions() as s:
            if r.message_id is not None and await self._seen(s, r, same_rule=True):
                return False
            s.add(IncidentRow(**r.row_fields()))
            try:
                await count_new(s, [IncidentRow(**r.row_fields())])
                await s.commit()
            except IntegrityError:
                await s.rollback()
                if r.message_id is not None and await self._seen(s, r, same_rule=True):
                    return False
                raise
        self._up()
        self._remember([r])
        return True

    @staticmethod
    async def _seen(s, r: IncidentIn, same_rule: bool = False) -> bool:
        """A row of this message (of this rule too) is in the database."""
        conds = [IncidentRow.room_id == r.room_id, IncidentRow.message_id == r.message_id]
        if same_rule:
            conds.append(IncidentRow.rule == r.rule)
        return bool(await s.scalar(select(func.count()).select_from(IncidentRow).where(*conds)))

    def _remember(self, rows: list[IncidentIn]) -> None:
        """Counted warnings now in the database (or in the open batch), for
        counts during an outage and within a batch."""
        for r in rows:
            if r.kind == "violation" and r.counted:
                known = self._warnings.setdefault((r.room_id, r.sender_id), _Warnings())
                known.rows[(r.message_id, r.rule)] = (r.ts, True, True)

    # --- outages and the spool ---------------------------------------------

    def _down(self, exc: BaseException, what: str) -> None:
        if not self._db_down:
            log.error("database unavailable (%s in %s); incidents are kept in %s until it is back",
                      type(exc).__name__, what, self.spool.path)
        self._db_down = True
        self._watch()

    def _up(self) -> None:
        if self._db_down:
            log.warning("the database answers again")
        self._db_down = False

    def _watch(self) -> None:
        """Make sure the background write-back runs (while degraded)."""
        if self._closing or (self._retry is not None and not self._retry.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._retry = loop.create_task(self._retry_loop(), name="incident-spool-write-back")

    async def _retry_loop(self) -> None:
        while self.degraded and not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), self.retry_seconds)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush_spool()
            except Exception:  # noqa: BLE001 - keep trying; the rows are safe in the spool
                log.exception("writing the spool back failed; trying again in %g s",
                              self.retry_seconds)

    async def flush_spool(self) -> int:
        """Write spooled incidents to the database; returns how many rows were new.

        Safe to call at any time and from any task: one write-back runs at a
        time, and rows appended meanwhile go to a fresh spool file.
        """
        async with self._flush_lock:
            return await self._flush()

    async def _flush(self) -> int:
        spool = self.spool
        spool.retry()                 # rows kept in memory go to the file if it takes them now
        if self._db_down:             # ask before touching any file
            try:
                async with self.engine.connect() as conn:
                    await conn.execute(select(1))
            except _DOWN:
                return 0
            self._up()
        written = 0
        if spool.memory:              # the file still refuses them: straight from memory
            rows = list(spool.memory)
            n, left = await self._write_back(rows)
            written += n
            kept = {id(r) for r in left}
            spool.release(r for r in rows if id(r) not in kept)
            if left:
                return self._wrote(written)
        for _ in range(2):            # a .flushing file left earlier, then the spool itself
            if not spool.rotate():
                break
            with spool.claim() as rows:
                if rows is None:      # another process is writing it back
                    break
                n, left = await self._write_back(rows)
                written += n
                if left:
                    spool.keep(left)
                    break
                spool.done()
        spool.settle()
        return self._wrote(written)

    @staticmethod
    def _wrote(written: int) -> int:
        if written:
            log.warning("wrote %d spooled incident rows to the database", written)
        return written

    async def _write_back(self, rows: list[IncidentIn]) -> tuple[int, list[IncidentIn]]:
        """Write spooled rows, one message at a time: (rows written, rows left
        when the database stopped answering)."""
        groups: dict[tuple, list[IncidentIn]] = {}
        for r in rows:
            key = (id(r),) if r.kind == DELIVERY else (r.room_id, r.message_id, r.kind, r.ts)
            groups.setdefault(key, []).append(r)
        written = 0
        done: set[int] = set()
        for group in groups.values():
            try:
                written += await self._store([clean_incident(r) for r in group], fill=True) or 0
            except _DOWN as exc:
                self._down(exc, "spool write-back")
                return written, [r for r in rows if id(r) not in done]
            self.spool.forget(group)
            done.update(id(r) for r in group)
        return written, []

    # --- warnings -----------------------------------------------------------

    async def count_warnings(self, room_id: str, sender_id: str, since: datetime) -> int:
        """Counted warnings of a member in a room since a time, after the last
        pardon; a warning a reviewer dismissed as a false alarm does not count.

        The database's warnings plus those waiting in the spool that it does
        not have yet; while the database is down, its warnings as last seen.
        """
        return (await self.warnings(room_id, sender_id, since)).count

    async def warnings(self, room_id: str, sender_id: str, since: datetime,
                       recent_since: datetime | None = None) -> WarningState:
        """The escalation count from ``since`` (``count_warnings``) and, per
        rule, the member's last warning from ``recent_since`` (the cooldown),
        from one read of the database: every process moderating the room
        sees the same. In a batch the member's rows are read once."""
        load = min(since, recent_since) if recent_since is not None else since
        waiting = self.spool.counted(room_id, sender_id, load)
        known = await self._known_warnings(room_id, sender_id, load, waiting)
        return WarningState(known.total(since, waiting),
                            known.last(recent_since if recent_since is not None else since,
                                       waiting))

    async def _known_warnings(self, room_id: str, sender_id: str, since: datetime,
                              waiting: dict[WarningKey, datetime]) -> _Warnings:
        cached = self._warnings.get((room_id, sender_id))
        if self._batch is not None:
            if cached is not None and cached.since is not None and cached.since <= since:
                return cached
            read = self._rooms_read.get(room_id)
            if read is not None and read <= since and not waiting:
                # the room was read from an earlier time on: this member had nothing then
                known = self._warnings.setdefault((room_id, sender_id), _Warnings())
                known.since = read
                return known
            if not waiting and not self.spool.pending():
                try:
                    return await self._room_warnings(room_id, sender_id, since)
                except _DOWN as exc:
                    self._down(exc, "count_warnings")
                    return cached or _Warnings()
        try:
            known = await self._stored_warnings(room_id, sender_id, since, waiting)
        except _DOWN as exc:
            self._down(exc, "count_warnings")
            known = self._warnings.get((room_id, sender_id), _Warnings())
        else:
            self._up()
            before = self._warnings.get((room_id, sender_id))
            if before is not None:
                # rows written meanwhile (a write-back during the query): counted
                # rows never leave the database, so what it lacks now is newer
                _keep_newer(known, before, since)
            self._warnings[(room_id, sender_id)] = known
        return known

    async def _room_warnings(self, room_id: str, sender_id: str, since: datetime) -> _Warnings:
        """In a batch: every member's counted warnings in the room from
        ``since`` and their last pardons, in one read (a room's members are
        many, their first findings spread over the archive); rows this process
        wrote meanwhile are kept."""
        async with self.sessions() as s:
            pardons = dict((await s.execute(
                select(IncidentRow.sender_id, func.max(IncidentRow.ts)).where(
                    IncidentRow.room_id == room_id, IncidentRow.kind == "pardon")
                .group_by(IncidentRow.sender_id))).all())
            found = (await s.execute(select(
                IncidentRow.sender_id, IncidentRow.message_id, IncidentRow.rule, IncidentRow.ts,
                IncidentRow.status).where(
                IncidentRow.room_id == room_id, IncidentRow.kind == "violation",
                IncidentRow.ts >= since, IncidentRow.counted.is_(True)))).all()
        self._up()
        loaded: dict[str, _Warnings] = {}
        for sender, m, rule, ts, status in found:
            known = loaded.setdefault(sender, _Warnings(last_pardon=pardons.get(sender),
                                                        since=since))
            known.rows[(m, rule)] = (ts, status != "dismissed", True)
        for (room, sender), before in list(self._warnings.items()):
            if room != room_id:
                continue
            known = loaded.setdefault(sender, _Warnings(last_pardon=pardons.get(sender),
                                                        since=since))
            _keep_newer(known, before, since)
        for sender, pardon in pardons.items():
            loaded.setdefault(sender, _Warnings(last_pardon=pardon, since=since))
        loaded.setdefault(sender_id, _Warnings(since=since))
        # a member not met yet has nothing from ``since`` on: known as empty
        for sender, known in loaded.items():
            self._warnings[(room_id, sender)] = known
        self._rooms_read[room_id] = since
        return loaded[sender_id]

    async def _stored_warnings(self, room_id: str, sender_id: str, since: datetime,
                               waiting: dict[WarningKey, datetime]) -> _Warnings:
        """The member's violations in the database from ``since``: the counted
        ones, and any of the spooled ones (whichever way they were decided)."""
        async with self.sessions() as s:
            last_pardon = await s.scalar(select(func.max(IncidentRow.ts)).where(
                IncidentRow.room_id == room_id, IncidentRow.sender_id == sender_id,
                IncidentRow.kind == "pardon"))
            wanted = IncidentRow.counted.is_(True)
            spooled = sorted({m for m, _ in waiting if m is not None})
            if spooled:
                wanted = or_(wanted, IncidentRow.message_id.in_(spooled))
            found = (await s.execute(select(
                IncidentRow.message_id, IncidentRow.rule, IncidentRow.ts, IncidentRow.counted,
                IncidentRow.status).where(
                IncidentRow.room_id == room_id, IncidentRow.sender_id == sender_id,
                IncidentRow.kind == "violation", IncidentRow.ts >= since, wanted))).all()
        return _Warnings({(m, rule): (ts, bool(counted) and status != "dismissed", bool(counted))
                          for m, rule, ts, counted, status in found}, last_pardon, since)

    async def pardon(self, room_id: str, member_id: str, by_id: str, reason: str,
                     ts: datetime | None = None) -> None:
        ts = ts or utcnow()
        await self._commit([IncidentIn(room_id=room_id, message_id=None, rule=None,
                                       sender_id=member_id, ts=ts, kind="pardon",
                                       reason=reason, action="log", evidence=f"by {by_id}")])
        known = self._warnings.get((room_id, member_id))
        if known is not None and (known.last_pardon is None or ts > known.last_pardon):
            known.last_pardon = ts

    async def incidents(self, *, room_id: str | None = None, rule: str | None = None,
                        sender_id: str | None = None, since: datetime | None = None,
                        kind: str | None = "violation", limit: int = 200) -> list[IncidentRow]:
        conds = []
        if room_id:
            conds.append(IncidentRow.room_id == room_id)
        if rule:
            conds.append(IncidentRow.rule == rule)
        if sender_id:
            conds.append(IncidentRow.sender_id == sender_id)
        if since:
            conds.append(IncidentRow.ts >= since)
        if kind:
            conds.append(IncidentRow.kind == kind)
        stmt = select(IncidentRow).order_by(IncidentRow.ts.desc(), IncidentRow.id.desc()).limit(limit)
        if conds:
            stmt = stmt.where(and_(*conds))
        async with self.sessions() as s:
            return list(await s.scalars(stmt))

    async def incident_id(self, room_id: str, message_id: str, rule: str | None) -> int | None:
        """The number of the incident ``rule`` made of the message (its unique key);
        None while the message's rows wait in an open batch (not numbered yet)."""
        if (room_id, message_id) in self._batch_keys:
            return None
        async with self.sessions() as s:
            return await s.scalar(select(IncidentRow.id).where(
                IncidentRow.room_id == room_id, IncidentRow.message_id == message_id,
                IncidentRow.rule.is_(None) if rule is None else IncidentRow.rule == rule))

    async def summary(self, room_id: str | None = None) -> list[tuple[str, str, int]]:
        """(rule, action, count) over violations."""
        stmt = (select(IncidentRow.rule, IncidentRow.action, func.count())
                .where(IncidentRow.kind == "violation")
                .group_by(IncidentRow.rule, IncidentRow.action)
                .order_by(IncidentRow.rule, IncidentRow.action))
        if room_id:
            stmt = stmt.where(IncidentRow.room_id == room_id)
        async with self.sessions() as s:
            return [tuple(r) for r in (await s.execute(stmt)).all()]


async def _messages_there(s, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (room, message) have incident rows already."""
    rooms = sorted({room for room, _ in keys})
    ids = sorted({message for _, message in keys})
    found: set[tuple[str, str]] = set()
    for i in range(0, len(ids), IN_CHUNK):
        found.update((room, message) for room, message in (await s.execute(
            select(IncidentRow.room_id, IncidentRow.message_id).distinct().where(
                IncidentRow.room_id.in_(rooms),
                IncidentRow.message_id.in_(ids[i:i + IN_CHUNK])))).all())
    return found & keys


def _first_line(exc: BaseException) -> str:
    """An error's first line (SQLAlchemy appends the statement and parameters)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
