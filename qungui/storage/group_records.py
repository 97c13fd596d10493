"""What group owners' commands read and write: the audit log, pardons,
appeals, anonymous reports, daily work reports and per-room statistics.

Like the repository it wraps, it stores and returns data and never formats
text for people. Nothing here deletes a row: a pardon, an appeal and a
report are rows of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qungui.storage.bulk import insert_ignoring
from qungui.storage.models import (AppealRow, AuditRow, HandledRow, IncidentRow, WorkReportRow,
                                   utcnow)
from qungui.storage.tally import count_new


@dataclass
class Stats:
    by_rule: dict[str, int]           # violations per rule
    by_action: dict[str, int]         # violations per action taken
    members: int                      # distinct members with a violation
    pardons: int
    appeals: int
    reports: int                      # anonymous reports filed
    changes: int                      # settings changes (audit rows that changed something)


class GroupRecords:
    def __init__(self, repo):
        self.repo = repo

    @property
    def sessions(self):
        return self.repo.sessions

    # --- audit log ------------------------------------------------------------

    async def audit(self, room_id: str, actor_id: str, action: str, target: str = "",
                    before: Any = None, after: Any = None) -> None:
        """An audit row, stamped like ``change_settings`` stamps its own: when
        it was recorded."""
        async with self.sessions.begin() as s:
            s.add(AuditRow(room_id=room_id, actor_id=actor_id, action=action, target=target,
                           before=before, after=after, ts=utcnow()))

    async def audit_once(self, room_id: str, actor_id: str, action: str, target: str,
                         after: Any = None) -> bool:
        """An audit row for something done once per room and ``target`` (a
        day's reminder), claimed by an insert-if-absent of its key in the
        handled record, both in one transaction: of several processes asking
        at once, exactly one gets True."""
        async with self.sessions.begin() as s:
            claimed = (await s.execute(
                insert_ignoring(self.repo.dialect, HandledRow, ("room_id", "kind", "key")).values(
                    room_id=room_id, kind=action[:20], key=target[:300], account=actor_id,
                    ts=utcnow()))).rowcount
            if not claimed:
                return False
            s.add(AuditRow(room_id=room_id, actor_id=actor_id, action=action, target=target,
                           after=after, ts=utcnow()))
        return True

    async def last_audit(self, room_id: str, action: str, target: str | None = None) -> AuditRow | None:
        stmt = (select(AuditRow).where(AuditRow.room_id == room_id, AuditRow.action == action)
                .order_by(AuditRow.ts.desc(), AuditRow.id.desc()).limit(1))
        if target is not None:
            stmt = stmt.where(AuditRow.target == target)
        async with self.sessions() as s:
            return await s.scalar(stmt)

    # --- warnings and pardons ---------------------------------------------------

    async def pardon(self, room_id: str, member_id: str, member_name: str, by_id: str,
                     reason: str, ts: datetime, warnings_before: int) -> int:
        """A pardon row and its audit row, in one transaction; returns the pardon's id."""
        async with self.sessions.begin() as s:
            row = IncidentRow(room_id=room_id, kind="pardon", message_id=None, rule=None,
                              sender_id=member_id, sender_name=member_name, ts=ts,
                              reason=reason, action="log", evidence=f"by {by_id}", trace=[])
            s.add(row)
            s.add(AuditRow(room_id=room_id, actor_id=by_id, action="pardon", target=member_id,
                           before={"warnings": warnings_before},
                           after={"warnings": 0, "reason": reason}))
            await s.flush()
            pardon_id = row.id
        self.repo.forget_warnings(room_id, member_id)
        return pardon_id

    async def last_pardon(self, room_id: str, member_id: str) -> IncidentRow | None:
        async with self.sessions() as s:
            return await s.scalar(
                select(IncidentRow).where(IncidentRow.room_id == room_id,
                                          IncidentRow.sender_id == member_id,
                                          IncidentRow.kind == "pardon")
                .order_by(IncidentRow.ts.desc(), IncidentRow.id.desc()).limit(1))

    async def incident(self, room_id: str, incident_id: int) -> IncidentRow | None:
        async with self.sessions() as s:
            row = await s.get(IncidentRow, incident_id)
            return row if row is not None and row.room_id == room_id else None

    async def latest_warning(self, room_id: str, member_id: str) -> IncidentRow | None:
        """The member's most recent warning (group or private) in the room."""
        async with self.sessions() as s:
            return await s.scalar(
                select(IncidentRow).where(IncidentRow.room_id == room_id,
                                          IncidentRow.sender_id == member_id,
                                          IncidentRow.kind == "violation",
                                          IncidentRow.counted.is_(True))
                .order_by(IncidentRow.ts.desc(), IncidentRow.id.desc()).limit(1))

    # --- the room's log ------------------------------------------------------------

    async def timeline(self, room_id: str, limit: int) -> list[IncidentRow | AuditRow]:
        """Incidents (violations, pardons, reports) and audit rows, newest first."""
        async with self.sessions() as s:
            incidents = list(await s.scalars(
                select(IncidentRow).where(IncidentRow.room_id == room_id)
                .order_by(IncidentRow.ts.desc(), IncidentRow.id.desc()).limit(limit)))
            audits = list(await s.scalars(
                select(AuditRow).where(AuditRow.room_id == room_id, AuditRow.action != "pardon")
                .order_by(AuditRow.ts.desc(), AuditRow.id.desc()).limit(limit)))
        merged = sorted(incidents + audits, key=lambda r: r.ts, reverse=True)
        return merged[:limit]

    async def stats(self, room_id: str, since: datetime) -> Stats:
        async with self.sessions() as s:
            def violations(*cols):
                return (select(*cols, func.count()).where(
                    IncidentRow.room_id == room_id, IncidentRow.kind == "violation",
                    IncidentRow.ts >= since).group_by(*cols))
            by_rule = {r: n for r, n in (await s.execute(violations(IncidentRow.rule))).all()}
            by_action = {a: n for a, n in (await s.execute(violations(IncidentRow.action))).all()}
            members = await s.scalar(select(func.count(func.distinct(IncidentRow.sender_id))).where(
                IncidentRow.room_id == room_id, IncidentRow.kind == "violation",
                IncidentRow.counted.is_(True), IncidentRow.ts >= since)) or 0
            kinds = {k: n for k, n in (await s.execute(
                select(IncidentRow.kind, func.count()).where(
                    IncidentRow.room_id == room_id, IncidentRow.ts >= since)
                .group_by(IncidentRow.kind))).all()}
            appeals = await s.scalar(select(func.count()).select_from(AppealRow).where(
                AppealRow.room_id == room_id, AppealRow.ts >= since)) or 0
            changes = await s.scalar(select(func.count()).select_from(AuditRow).where(
                AuditRow.room_id == room_id, AuditRow.ts >= since,
                AuditRow.action.notin_(("refused", "report_reminder")))) or 0
        return Stats(by_rule, by_action, members, kinds.get("pardon", 0), appeals,
                     kinds.get("report", 0), changes)

    async def top_members(self, room_id: str, since: datetime, limit: int = 5) -> list[tuple[str, str, int]]:
        """(member id, name, counted warnings) of the most warned members."""
        async with self.sessions() as s:
            rows = (await s.execute(
                select(IncidentRow.sender_id, func.max(IncidentRow.sender_name), func.count())
                .where(IncidentRow.room_id == room_id, IncidentRow.kind == "violation",
                       IncidentRow.counted.is_(True), IncidentRow.ts >= since)
                .group_by(IncidentRow.sender_id)
                .order_by(func.count().desc(), IncidentRow.sender_id).limit(limit))).all()
        return [tuple(r) for r in rows]

    # --- appeals and reports -----------------------------------------------------------

    async def open_appeal(self, room_id: str, incident_id: int) -> AppealRow | None:
        async with self.sessions() as s:
            return await s.scalar(select(AppealRow).where(
                AppealRow.room_id == room_id, AppealRow.incident_id == incident_id,
                AppealRow.status == "open").limit(1))

    async def appeal(self, room_id: str, incident_id: int, member_id: str, reason: str,
                     ts: datetime) -> int:
        async with self.sessions.begin() as s:
            row = AppealRow(room_id=room_id, incident_id=incident_id, member_id=member_id,
                            reason=reason, status="open", ts=ts)
            s.add(row)
            await s.flush()
            return row.id

    async def appeals(self, room_id: str, status: str | None = "open") -> list[AppealRow]:
        stmt = select(AppealRow).where(AppealRow.room_id == room_id).order_by(AppealRow.ts.desc())
        if status:
            stmt = stmt.where(AppealRow.status == status)
        async with self.sessions() as s:
            return list(await s.scalars(stmt))

    async def file_report(self, room_id: str, message_id: str, ts: datetime, text: str,
                          evidence: str) -> int | None:
        """An anonymous report (举报) as an open incident for the owners to review.

        The reporter is not stored anywhere: the row names no sender. Returns
        the incident id, or None if this message was filed before.
        """
        async with self.sessions() as s:
            # rule is NULL here, and NULLs never collide in the unique key: look first
            if await s.scalar(select(IncidentRow.id).where(
                    IncidentRow.room_id == room_id, IncidentRow.message_id == message_id)):
                return None
            row = IncidentRow(room_id=room_id, kind="report", message_id=message_id, rule=None,
                              sender_id="", sender_name="", ts=ts, score=0.0,
                              evidence=evidence, reason="成员匿名举报", excerpt=text,
                              trace=[], action="review", status="open")
            s.add(row)
            try:
                await count_new(s, [row])
                await s.commit()
            except IntegrityError:
                await s.rollback()
                return None
            return row.id

    # --- daily work reports -------------------------------------------------------------

    async def work_report(self, room_id: str, member_id: str, day: str, message_id: str,
                          ts: datetime) -> bool:
        """Record a member's report for a day; False if one was already counted."""
        async with self.sessions() as s:
            if await s.get(WorkReportRow, (room_id, member_id, day)) is not None:
                return False
            s.add(WorkReportRow(room_id=room_id, member_id=member_id, day=day,
                                message_id=message_id, ts=ts))
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                return False
            return True

    async def reported(self, room_id: str, day: str) -> set[str]:
        async with self.sessions() as s:
            return set(await s.scalars(select(WorkReportRow.member_id).where(
                WorkReportRow.room_id == room_id, WorkReportRow.day == day)))
