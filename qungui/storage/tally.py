"""Per-day incident counts (``incident_days``) and their totals over all
days (``incident_totals``), kept in step with the
incidents in the same transaction as each insert and each review, so that
the overview and the list's totals never have to read the incident rows.

A key is (China-time day, room, rule or "", kind, status). ``count_new`` is
called by whatever inserts incident rows (the repository, the group records'
reports and pardons), after the rows are added to the session and before
the commit; ``count_move`` by a review that changes a status.

The same calls keep ``incident_members``: per China-time day, member and
name, how many messages rules flagged (see ``IncidentMemberRow``). A
message's incidents share its sender and time; the messages of a member are
counted once each whatever number of rules fired on them, so what a message
adds is worked out from all of its violation incidents together
(``member_keys``): those being inserted and those already there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from types import SimpleNamespace
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qungui.core.events import CHINA_TZ
from qungui.storage.models import IncidentDayRow, IncidentMemberRow, IncidentRow, IncidentTotalRow

Key = tuple[str, str, str, str, str]
# rule or "*", status or "*", day, room, sender, name
MemberKey = tuple[str, str, str, str, str, str]
ANY = "*"
# (room, message) pairs asked for at once when looking for a message's other incidents
_LOOKUP = 400


def china_day(ts: datetime) -> str:
    return ts.astimezone(CHINA_TZ).strftime("%Y-%m-%d")


def key_of(row) -> Key:
    return (china_day(row.ts), row.room_id, row.rule or "", row.kind or "violation",
            row.status or "open")


async def count_new(s, rows: Iterable, *, fresh: bool = False) -> None:
    """Count incident rows being inserted in session ``s`` (``IncidentRow``s,
    or anything with ts, room_id, rule, kind, status, message_id, sender_id
    and sender_name). ``fresh``: the caller knows none of their messages has
    incidents in the database yet (else they are looked up, for the member
    counts)."""
    rows = list(rows)
    await add_counts(s, Counter(key_of(r) for r in rows))
    await _count_new_members(s, rows, fresh)


async def count_move(s, row, before: str, after: str, siblings: Iterable = ()) -> None:
    """A review moved ``row`` from status ``before`` to ``after``;
    ``siblings``: the other incidents of its message, as they are now (read
    under the lock the review holds on the message's incidents)."""
    if before == after:
        return
    day, room, rule, kind, _ = key_of(row)
    await add_counts(s, Counter({(day, room, rule, kind, before): -1,
                                 (day, room, rule, kind, after): 1}))
    if _counted(row):
        others = [r for r in siblings if _counted(r) and r.id != row.id]
        changes = member_keys(others + [_with_status(row, after)])
        changes.subtract(member_keys(others + [_with_status(row, before)]))
        await add_member_counts(s, changes)


# --- members flagged, per day -------------------------------------------------

def _counted(row) -> bool:
    return (row.kind or "violation") == "violation" and row.message_id is not None


def _with_status(row, status: str):
    return SimpleNamespace(rule=row.rule, status=status, ts=row.ts, room_id=row.room_id,
                           sender_id=row.sender_id, sender_name=row.sender_name)


def member_keys(incidents: list) -> Counter:
    """What one message's violation incidents add to ``incident_members``:
    each incident to its rule's row, and the message once to the "*" row of
    each status it has an incident of and once to the "*", "*" row (under
    the greatest sender name, day and sender id of those incidents)."""
    out: Counter = Counter()
    if not incidents:
        return out
    rows = [(r.rule or "", r.status or "open", china_day(r.ts), r.room_id, r.sender_id,
             r.sender_name or "") for r in incidents]
    for key in rows:
        out[key] += 1
    for status in {k[1] for k in rows} | {ANY}:
        group = [k for k in rows if status == ANY or k[1] == status]
        out[(ANY, status, max(k[2] for k in group), group[0][3], max(k[4] for k in group),
             max(k[5] for k in group))] += 1
    return out


async def _count_new_members(s, rows: list, fresh: bool) -> None:
    by_message: dict[tuple[str, str], list] = defaultdict(list)
    for r in rows:
        if _counted(r):
            by_message[(r.room_id, r.message_id)].append(r)
    if not by_message:
        return
    there: dict[tuple[str, str], list] = defaultdict(list)
    if not fresh:
        # the message's incidents already in the database (the rows being
        # counted may be among them: the caller may have inserted them)
        inserted = {(r.room_id, r.message_id, r.rule or "") for r in rows}
        rooms: dict[str, list[str]] = defaultdict(list)
        for room, message in sorted(by_message):
            rooms[room].append(message)
        with s.no_autoflush:
            # one room at a time: the unique key (room, message, rule) finds them
            for room, messages in rooms.items():
                for i in range(0, len(messages), _LOOKUP):
                    found = await s.execute(select(
                        IncidentRow.room_id, IncidentRow.message_id, IncidentRow.rule,
                        IncidentRow.status, IncidentRow.ts, IncidentRow.sender_id,
                        IncidentRow.sender_name).where(
                        IncidentRow.room_id == room, IncidentRow.message_id.in_(messages[i:i + _LOOKUP]),
                        IncidentRow.kind == "violation"))
                    for f in found.all():
                        if (f.room_id, f.message_id, f.rule or "") not in inserted:
                            there[(f.room_id, f.message_id)].append(f)
    changes: Counter = Counter()
    for key, new in by_message.items():
        old = there.get(key, [])
        changes.update(member_keys(old + new))
        if old:
            changes.subtract(member_keys(old))
    await add_member_counts(s, changes)


async def add_member_counts(s, changes: Counter) -> None:
    """Add ``changes`` (member key -> delta) to ``incident_members``, in key order."""
    items = sorted((k, n) for k, n in changes.items() if n)
    if not items:
        return
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = IncidentMemberRow.__table__
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["rule", "status", "day", "room_id", "sender_id", "name"],
        set_={"n": table.c.n + stmt.excluded.n})
    await s.execute(stmt, [dict(rule=k[0], status=k[1], day=k[2], room_id=k[3], sender_id=k[4],
                                name=k[5], n=n) for k, n in items])


async def add_counts(s, changes: Counter) -> None:
    """Add ``changes`` (key -> delta) to the counts, in key order (two
    transactions touching the same keys then lock them in the same order)."""
    items = sorted((k, n) for k, n in changes.items() if n)
    if not items:
        return
    dialect = s.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    totals: Counter = Counter()
    for (day, room, rule, kind, status), n in items:
        totals[(room, rule, kind, status)] += n
    for table, keys, rows in (
            (IncidentDayRow.__table__, ["day", "room_id", "rule", "kind", "status"],
             [dict(day=k[0], room_id=k[1], rule=k[2], kind=k[3], status=k[4], n=n) for k, n in items]),
            (IncidentTotalRow.__table__, ["room_id", "rule", "kind", "status"],
             [dict(room_id=k[0], rule=k[1], kind=k[2], status=k[3], n=n)
              for k, n in sorted(totals.items()) if n])):
        if not rows:
            continue
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={"n": table.c.n + stmt.excluded.n})
        await s.execute(stmt, rows)
