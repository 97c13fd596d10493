"""The durable outbox and the record of events handled once.

Everything the bot says or does in a chat is an ``outbox`` row, added in the
same transaction as the incident or the command that caused it
(``add_outgoing``, called by the repository), and worked off by the
account's sender in the channel (``channels.outbound``) through
``OutboxStore``: claim one due row (PostgreSQL ``SELECT … FOR UPDATE SKIP
LOCKED``; SQLite a conditional ``UPDATE``), send, mark it sent in a short
transaction of its own. Each account claims only its own rows, so several
bot processes share one database.

Like the repository, it stores and returns data and never formats text for
people.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from qungui.core.ports import Handled, OutboxCounts, OutboxItem, fill_incident
from qungui.storage.clean import clean_text, clean_value
from qungui.storage.models import HandledRow, IncidentRow, OutboxRow, utcnow

log = logging.getLogger(__name__)

PENDING, SENDING, SENT = "pending", "sending", "sent"
EXPIRED, FAILED, UNKNOWN, MERGED = "expired", "failed", "unknown", "merged"
STATUSES = (PENDING, SENDING, SENT, EXPIRED, FAILED, UNKNOWN, MERGED)


def add_outgoing(s, records: list[dict], incident_id: int | None = None,
                 now: datetime | None = None) -> list[OutboxRow]:
    """Add outgoing items (``Outgoing.record()`` dicts with their account) to
    the session; the first one tells ``incident_id`` its delivery."""
    now = now or utcnow()
    rows = []
    for i, r in enumerate(records):
        tells = incident_id is not None and i == 0
        row = OutboxRow(
            account=r.get("account") or "", conversation=r["conversation"],
            room_id=r.get("room_id"), kind=r["kind"],
            text=clean_text(fill_incident(r.get("text") or "", incident_id)),
            mention_ids=list(r.get("mention_ids") or ()), member_id=r.get("member_id"),
            priority=int(r.get("priority") or 0), mergeable=bool(r.get("mergeable")),
            incident_id=incident_id, incident_ids=[incident_id] if tells else [],
            tells_incident=tells, created_at=now,
            not_before=now + timedelta(seconds=float(r.get("hold_seconds") or 0)),
            status=PENDING)
        s.add(row)
        rows.append(row)
    return rows


def add_handled(s, handled: Handled | None, account: str) -> None:
    if handled is not None:
        s.add(HandledRow(room_id=handled.chat, kind=handled.kind, key=handled.key[:300],
                         message_id=handled.message_id, account=account or ""))


async def is_handled(s, handled: Handled) -> bool:
    return bool(await s.scalar(select(func.count()).select_from(HandledRow).where(
        HandledRow.room_id == handled.chat, HandledRow.kind == handled.kind,
        HandledRow.key == handled.key[:300])))


async def _tell_incidents(s, incident_ids: list[int], status: str, at: datetime | None) -> None:
    if incident_ids:
        await s.execute(update(IncidentRow).where(IncidentRow.id.in_(incident_ids))
                        .values(delivery=status, delivered_at=at))


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(id=row.id, account=row.account, kind=row.kind,
                      conversation=row.conversation, text=row.text,
                      mention_ids=tuple(row.mention_ids or ()), room_id=row.room_id,
                      member_id=row.member_id, attempts=row.attempts,
                      created_at=row.created_at, parts=row.parts)


class OutboxStore:
    """The sender's side of the outbox (``core.ports.OutboxQueue``)."""

    def __init__(self, repo):
        self.repo = repo
        self.sessions = repo.sessions

    @property
    def _postgres(self) -> bool:
        return self.repo.engine.dialect.name == "postgresql"

    async def due(self, account: str, now: datetime, limit: int = 200) -> list[tuple]:
        async with self.sessions() as s:
            return [tuple(r) for r in (await s.execute(
                select(OutboxRow.id, OutboxRow.conversation, OutboxRow.priority,
                       OutboxRow.created_at)
                .where(OutboxRow.account == account, OutboxRow.status == PENDING,
                       OutboxRow.not_before <= now)
                .order_by(OutboxRow.priority.desc(), OutboxRow.id).limit(limit))).all()]

    async def waiting(self, account: str) -> int:
        async with self.sessions() as s:
            return int(await s.scalar(select(func.count()).where(
                OutboxRow.account == account, OutboxRow.status.in_((PENDING, SENDING)))) or 0)

    async def next_due(self, account: str) -> datetime | None:
        """When the account's next pending row falls due (held or backing off)."""
        async with self.sessions() as s:
            return await s.scalar(select(func.min(OutboxRow.not_before)).where(
                OutboxRow.account == account, OutboxRow.status == PENDING))

    async def claim(self, row_id: int, claimant: str, until: datetime,
                    merge_window: float) -> OutboxItem | None:
        now = utcnow()
        async with self.sessions.begin() as s:
            stmt = select(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status == PENDING)
            if self._postgres:
                row = await s.scalar(stmt.with_for_update(skip_locked=True))
                if row is None:
                    return None
            else:
                got = await s.execute(update(OutboxRow).where(
                    OutboxRow.id == row_id, OutboxRow.status == PENDING)
                    .values(status=SENDING, claimed_by=claimant))
                if got.rowcount != 1:
                    return None
                row = await s.scalar(select(OutboxRow).where(OutboxRow.id == row_id))
            if row.mergeable and row.attempts == 0:
                await self._merge(s, row, merge_window)
            row.status, row.claimed_by, row.claimed_until = SENDING, claimant, until
            row.last_attempt_at = now
            return _item(row)

    async def _merge(self, s, row: OutboxRow, window: float) -> None:
        """Warnings to the same member in the same chat that came within the
        merge window of ``row`` and were never attempted become part of it."""
        stmt = select(OutboxRow).where(
            OutboxRow.account == row.account, OutboxRow.conversation == row.conversation,
            OutboxRow.status == PENDING, OutboxRow.mergeable.is_(True), OutboxRow.attempts == 0,
            OutboxRow.id != row.id, OutboxRow.created_at >= row.created_at,
            OutboxRow.created_at <= row.created_at + timedelta(seconds=window),
        ).order_by(OutboxRow.id)
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        lines = row.text.split("\n")
        ids = list(row.incident_ids or [])
        for other in await s.scalars(stmt):
            if list(other.mention_ids or ()) != list(row.mention_ids or ()):
                continue
            if other.text not in lines:
                lines.append(other.text)
            ids += [i for i in other.incident_ids or [] if i not in ids]
            row.parts += other.parts
            other.status, other.merged_into = MERGED, row.id
        row.text = "\n".join(lines)
        row.incident_ids = ids

    async def sent(self, item: OutboxItem, claimant: str, at: datetime) -> None:
        async with self.sessions.begin() as s:
            row = await s.get(OutboxRow, item.id)
            if row is None or row.status != SENDING or row.claimed_by != claimant:
                log.warning("outbox row %d was sent, but it is no longer ours (%s)", item.id,
                            row.status if row else "gone")
                return
            row.status, row.sent_at, row.claimed_until = SENT, at, None
            row.last_attempt_at = at      # the pace after a restart counts from here
            await _tell_incidents(s, list(row.incident_ids or []), SENT, at)

    async def failed(self, item: OutboxItem, claimant: str, error: str, *,
                     retry_at: datetime | None) -> None:
        async with self.sessions.begin() as s:
            row = await s.get(OutboxRow, item.id)
            if row is None or row.status != SENDING or row.claimed_by != claimant:
                return
            row.attempts += 1
            row.last_attempt_at = utcnow()
            row.last_error = clean_text(error)[:500]
            row.claimed_by = row.claimed_until = None
            if retry_at is None:
                row.status = FAILED
                await _tell_incidents(s, list(row.incident_ids or []), FAILED, utcnow())
            else:
                row.status, row.not_before = PENDING, retry_at

    async def _take(self, s, account: str, status: str, *conds) -> list[OutboxRow]:
        """The account's rows in ``status`` meeting ``conds``, locked on PostgreSQL."""
        stmt = select(OutboxRow).where(OutboxRow.account == account, OutboxRow.status == status,
                                       *conds)
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return list(await s.scalars(stmt))

    async def _settle(self, s, rows: list[OutboxRow], status: str, now: datetime) -> int:
        for row in rows:
            row.status, row.claimed_until = status, None
            await _tell_incidents(s, list(row.incident_ids or []), status, now)
        return len(rows)

    async def expire(self, account: str, older_than: datetime, now: datetime) -> int:
        async with self.sessions.begin() as s:
            rows = await self._take(s, account, PENDING, OutboxRow.created_at < older_than)
            return await self._settle(s, rows, EXPIRED, now)

    async def settle_leases(self, account: str, now: datetime) -> int:
        async with self.sessions.begin() as s:
            rows = await self._take(s, account, SENDING, OutboxRow.claimed_until < now)
            for row in rows:
                log.warning("outbox row %d (%s to %s) was being sent by %s when it stopped; "
                            "whether it arrived is unknown, so it is not sent again", row.id,
                            row.kind, row.conversation, row.claimed_by)
            return await self._settle(s, rows, UNKNOWN, now)

    async def recent_sends(self, account: str, since: datetime) -> list[tuple[datetime, str]]:
        async with self.sessions() as s:
            return [tuple(r) for r in (await s.execute(
                select(OutboxRow.last_attempt_at, OutboxRow.conversation)
                .where(OutboxRow.account == account, OutboxRow.last_attempt_at >= since)
                .order_by(OutboxRow.last_attempt_at))).all()]

    async def import_records(self, records: list[dict], account: str, now: datetime,
                             stale_after: float) -> tuple[int, int]:
        queued = expired = 0
        async with self.sessions.begin() as s:
            for r in records:
                try:
                    created = datetime.fromisoformat(r["created_at"])
                    kind = {"remove": "removal"}.get(r.get("kind"), "")
                    mentions = list(r.get("mention_ids") or ())
                    if not kind:
                        kind = ("warning" if mentions else
                                "answer" if r["conversation"] == r.get("room_id") else "private")
                    row = OutboxRow(
                        account=account, conversation=r["conversation"], room_id=r.get("room_id"),
                        kind=kind, text=clean_text(r.get("text") or ""),
                        mention_ids=clean_value(mentions), member_id=r.get("member_id"),
                        priority=30, mergeable=False, incident_ids=[], created_at=created,
                        not_before=now, attempts=int(r.get("attempts") or 0),
                        last_error=clean_text(str(r.get("last_error") or ""))[:500],
                        parts=int(r.get("parts") or 1))
                except (KeyError, TypeError, ValueError) as exc:
                    log.error("an outbound record of an earlier version is unreadable (%s): %s",
                              exc, str(r)[:300])
                    continue
                if (now - created).total_seconds() > stale_after:
                    row.status = EXPIRED
                    expired += 1
                else:
                    queued += 1
                s.add(row)
        return queued, expired

    # --- what the outbox holds, for /status, the web page and the CLI -------------

    async def counts(self, account: str | None = None, room_id: str | None = None,
                     rooms: frozenset[str] | None = None) -> OutboxCounts:
        """By status: of one account (None: all), one room, or the rooms a
        reviewer may see (``rooms``, None: all)."""
        conds = [c for c, v in ((OutboxRow.account == account, account),
                                (OutboxRow.room_id == room_id, room_id)) if v]
        if rooms is not None:
            conds.append(OutboxRow.room_id.in_(sorted(rooms)))
        stmt = select(OutboxRow.status, func.count()).where(*conds).group_by(OutboxRow.status)
        oldest = select(func.min(OutboxRow.created_at)).where(OutboxRow.status == PENDING, *conds)
        async with self.sessions() as s:
            by_status = dict((await s.execute(stmt)).all())
            first = await s.scalar(oldest)
        counts = OutboxCounts(oldest_pending=first)
        for status, n in by_status.items():
            if hasattr(counts, status):
                setattr(counts, status, n)
        return counts

    async def rows(self, *, statuses: tuple[str, ...] = (), incident_id: int | None = None,
                   account: str | None = None, limit: int = 200) -> list[OutboxRow]:
        stmt = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
        if statuses:
            stmt = stmt.where(OutboxRow.status.in_(statuses))
        if incident_id is not None:
            stmt = stmt.where(OutboxRow.incident_id == incident_id)
        if account:
            stmt = stmt.where(OutboxRow.account == account)
        async with self.sessions() as s:
            return list(await s.scalars(stmt))


async def claim_handled(sessions, handled: Handled, account: str) -> bool:
    """Insert the handled mark on its own; False if it was there already."""
    async with sessions() as s:
        if await is_handled(s, handled):
            return False
        add_handled(s, handled, account)
        try:
            await s.commit()
        except IntegrityError:
            await s.rollback()
            return False
    return True
