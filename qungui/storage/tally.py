"""Per-day incident counts (``incident_days``) and their totals over all
days (``incident_totals``), kept in step with the
incidents in the same transaction as each insert and each review, so that
the overview and the list's totals never have to read the incident rows.

A key is (China-time day, room, rule or "", kind, status). ``count_new`` is
called by whatever inserts incident rows (the repository, the group records'
reports and pardons), after the rows are added to the session and before
the commit; ``count_move`` by a review that changes a status.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Iterable

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qungui.core.events import CHINA_TZ
from qungui.storage.models import IncidentDayRow, IncidentTotalRow

Key = tuple[str, str, str, str, str]


def china_day(ts: datetime) -> str:
    return ts.astimezone(CHINA_TZ).strftime("%Y-%m-%d")


def key_of(row) -> Key:
    return (china_day(row.ts), row.room_id, row.rule or "", row.kind or "violation",
            row.status or "open")


async def count_new(s, rows: Iterable) -> None:
    """Count incident rows being inserted in session ``s`` (``IncidentRow``s,
    or anything with ts, room_id, rule, kind and status)."""
    await add_counts(s, Counter(key_of(r) for r in rows))


async def count_move(s, row, before: str, after: str) -> None:
    """A review moved ``row`` from status ``before`` to ``after``."""
    if before == after:
        return
    day, room, rule, kind, _ = key_of(row)
    await add_counts(s, Counter({(day, room, rule, kind, before): -1,
                                 (day, room, rule, kind, after): 1}))


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
