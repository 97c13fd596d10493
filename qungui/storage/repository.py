"""The async repository: the only code that talks to the database.

It stores and returns data; it never formats text for people. When the
database cannot be reached, incidents go to an append-only spool file
(fsynced) and are written to the database, idempotently, once it answers
again: a record is never lost because a server was down.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import asdict
from functools import cached_property
from datetime import datetime
from pathlib import Path
from typing import Iterable

from sqlalchemy import and_, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from qungui.core.events import Member, Room
from qungui.core.ports import IncidentIn, StoreDown
from qungui.storage.errors import DOWN as _DOWN
from qungui.storage.group_records import GroupRecords
from qungui.storage.messages import MessageLog
from qungui.storage.models import AuditRow, IncidentRow, MemberRow, RoomRow, utcnow

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_URL = "sqlite+aiosqlite:///data/bot.sqlite3"


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


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - never echo a URL we cannot parse
        return "<unparseable database URL>"




def _outage_tolerant(fallback):
    """For writes and reads the engine can do without during an outage (room
    data it also holds in memory, warning counts): log, mark the repository
    degraded, and carry on with ``fallback(self, *args)``. Incident rows never
    take this path: they go to the spool."""

    def wrap(method):
        @functools.wraps(method)
        async def tolerant(self, *args, **kwargs):
            try:
                return await method(self, *args, **kwargs)
            except _DOWN as exc:
                self._down(exc, method.__name__)
                return fallback(self, *args, **kwargs)
        return tolerant
    return wrap


class Repository:
    def __init__(self, engine: AsyncEngine, spool_path: Path | None = None):
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.spool_path = spool_path
        self.degraded = False  # True while the database is unreachable
        # async callables run before the engine is disposed (buffers that must be written)
        self.on_close: list = []

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
                   migrate: bool = True) -> "Repository":
        url = async_url(url)
        u = make_url(url)
        if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_pre_ping=not u.drivername.startswith("sqlite"))
        if spool_path is None:
            spool_path = (Path(u.database).parent if u.drivername.startswith("sqlite") and u.database
                          and u.database != ":memory:" else Path("data")) / "incident-spool.jsonl"
        repo = cls(engine, Path(spool_path))
        if migrate:
            try:
                await repo.migrate()
            except _DOWN as exc:
                await engine.dispose()
                raise StorageUnavailable(
                    f"cannot reach the database {safe_url(url)}: {type(exc).__name__}") from None
        return repo

    async def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        def upgrade(sync_conn) -> None:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        async with self.engine.begin() as conn:
            await conn.run_sync(upgrade)

    async def close(self) -> None:
        """Write the buffers and release the connections. Safe in any state:
        twice, after a failed write, or on a database that is down (a buffer
        that cannot be written is logged, and the connections still go)."""
        try:
            for flush in self.on_close:
                try:
                    await flush()
                except Exception:  # noqa: BLE001 - one buffer must not keep the others or the pool
                    log.exception("a buffer could not be written on close")
        finally:
            await self.engine.dispose()

    # --- rooms -------------------------------------------------------------

    @_outage_tolerant(lambda self, *a, **k: None)
    async def save_room(self, room: Room) -> None:
        async with self.sessions.begin() as s:
            row = await s.get(RoomRow, room.id)
            if row is None:
                row = RoomRow(room_id=room.id, settings={})
                s.add(row)
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
            row = await s.get(RoomRow, room_id)
            if row is None:
                row = RoomRow(room_id=room_id, settings={})
                s.add(row)
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

    async def add_allow_phrase(self, room_id: str, phrase: str, actor_id: str) -> bool:
        """Add a phrase to the room's allow-list; False if it was there already."""
        current = list((await self.room_settings(room_id)).get("allow", []))
        if phrase in current:
            return False
        await self.change_settings(room_id, actor_id, "allow", "allow", current + [phrase])
        return True

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
        the rows go to the spool file first, so nothing is lost, and True is
        returned: the spool is the commit.
        """
        if not rows:
            return True
        try:
            await self.flush_spool()
            return await self._insert(rows)
        except _DOWN as exc:
            self._spool(rows, exc)
            return True

    async def _insert(self, rows: list[IncidentIn]) -> bool:
        first = rows[0]
        async with self.sessions() as s:
            if first.message_id is not None:
                seen = await s.scalar(select(func.count()).select_from(IncidentRow).where(
                    IncidentRow.room_id == first.room_id,
                    IncidentRow.message_id == first.message_id))
                if seen:
                    return False
            s.add_all(IncidentRow(**asdict(r)) for r in rows)
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                return False
        self.degraded = False
        return True

    def _down(self, exc: BaseException, what: str) -> None:
        if not self.degraded:
            log.error("database unavailable (%s in %s); incidents are kept in %s until it is back",
                      type(exc).__name__, what, self.spool_path)
        self.degraded = True

    def _spool(self, rows: Iterable[IncidentIn], exc: BaseException) -> None:
        self._down(exc, "record")
        self.spool_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.spool_path, "a", encoding="utf-8") as f:
            for r in rows:
                f.write(r.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())

    async def flush_spool(self) -> int:
        """Write spooled incidents to the database; returns how many were new."""
        if self.spool_path is None or not self.spool_path.exists():
            return 0
        lines = self.spool_path.read_text(encoding="utf-8").splitlines()
        groups: dict[tuple, list[IncidentIn]] = {}
        for line in lines:
            if line.strip():
                r = IncidentIn.from_json(line)
                groups.setdefault((r.room_id, r.message_id, r.kind, r.ts), []).append(r)
        written = 0
        for rows in groups.values():
            if await self._insert(rows):
                written += len(rows)
        self.spool_path.unlink()
        log.warning("wrote %d spooled incident rows to the database", written)
        return written

    def _spooled_warnings(self, room_id: str, sender_id: str, since: datetime) -> int:
        """Counted warnings waiting in the spool (while the database is down)."""
        if self.spool_path is None or not self.spool_path.exists():
            return 0
        rows = (IncidentIn.from_json(line) for line in
                self.spool_path.read_text(encoding="utf-8").splitlines() if line.strip())
        return sum(1 for r in rows if r.room_id == room_id and r.sender_id == sender_id
                   and r.counted and r.ts >= since)

    @_outage_tolerant(_spooled_warnings)
    async def count_warnings(self, room_id: str, sender_id: str, since: datetime) -> int:
        """Counted warnings of a member in a room since a time, after the last
        pardon; a warning a reviewer dismissed as a false alarm does not count."""
        async with self.sessions() as s:
            last_pardon = await s.scalar(select(func.max(IncidentRow.ts)).where(
                IncidentRow.room_id == room_id, IncidentRow.sender_id == sender_id,
                IncidentRow.kind == "pardon"))
            after = (IncidentRow.ts > last_pardon if last_pardon and last_pardon >= since
                     else IncidentRow.ts >= since)
            return await s.scalar(select(func.count()).select_from(IncidentRow).where(
                IncidentRow.room_id == room_id, IncidentRow.sender_id == sender_id,
                IncidentRow.kind == "violation", IncidentRow.counted.is_(True),
                IncidentRow.status != "dismissed", after)) or 0

    async def pardon(self, room_id: str, member_id: str, by_id: str, reason: str,
                     ts: datetime | None = None) -> None:
        await self._insert([IncidentIn(room_id=room_id, message_id=None, rule=None,
                                       sender_id=member_id, ts=ts or utcnow(), kind="pardon",
                                       reason=reason, action="log", evidence=f"by {by_id}")])

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

