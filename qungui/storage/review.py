"""Queries for reviewing the incident log: filtered lists, one incident with
its context, review decisions, appeals and the counts behind the overview.

Shared by ``bot.py log``/``stats`` and the web page. Like the repository it
returns data, never text for people. Every query can be limited to the rooms
a reviewer may see (``rooms``: None means every room).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

from sqlalchemy import (Column, DateTime, Integer, MetaData, String, Table, Text, and_, bindparam,
                        cast, delete, distinct, func, literal, literal_column, or_, select,
                        tuple_, type_coerce)
from sqlalchemy import text as sql
from sqlalchemy.orm import defer

from qungui.core.events import CHINA_TZ as _CHINA
from qungui.core.plugin import RuleSpec, is_redacted
from qungui.core.ports import DISMISSALS_KEPT, reviewer_contact
from qungui.storage.models import (AppealRow, AuditRow, DismissalRow, IncidentDayRow,
                                   IncidentMemberRow, IncidentRow, IncidentTotalRow,
                                   MemberRow, MessageRow, ReviewRow, RoomRow, utcnow)
from qungui.storage.repository import Repository
from qungui.storage.tally import ANY, china_day, count_move

log = logging.getLogger(__name__)

STATUSES = ("open", "confirmed", "dismissed")
DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed", "reopen": "open"}
CONTEXT_MESSAGES = 3            # messages shown before and after an incident
MAX_PHRASE = 200
# a phrase stands down every finding of its rule on a message containing it:
# one character would stand down nearly all (the group command asks as much)
MIN_PHRASE = 2


# what reviewers judge: rule violations and members' anonymous reports (举报)
REVIEWABLE = ("violation", "report")


# a member's report (举报) in the queue: after the classified rule and the
# gravest political ones, before vote buying and the rest
REPORT_GRAVITY = 10
# beyond this many, a count that cannot come from the per-day table says "more than"
COUNT_CAP = 1000
# the overview's members flagged more than once are those of its last days
REPEAT_DAYS = 7


@dataclass
class Page:
    """One page of a list: its rows and the cursors to the pages beside it."""

    rows: list
    next: str | None = None
    prev: str | None = None
    first: bool = True


@dataclass
class Names:
    """What people call the rooms, members and reviewers on a page."""

    topics: dict[str, str] = field(default_factory=dict)             # room id -> group name
    members: dict[tuple[str, str], str] = field(default_factory=dict)  # (room, member) -> 群昵称 or name
    notes: dict[int, str] = field(default_factory=dict)              # incident id -> last review note

    def room(self, room_id: str) -> str:
        return self.topics.get(room_id) or room_id

    def member(self, room_id: str, member_id: str, fallback: str = "") -> str:
        return self.members.get((room_id, member_id)) or fallback or member_id

    def reviewer(self, room_id: str, reviewer: str | None) -> str:
        if not reviewer:
            return ""
        if reviewer.startswith("web:"):
            return reviewer[4:]
        contact = reviewer_contact(reviewer)
        return self.members.get((room_id, contact)) or contact


@dataclass
class _Person:
    """Someone to name: what ``_names`` reads of a row."""

    room_id: str
    sender_id: str
    reviewed_by: str | None = None
    id: int = 0


def _micros(ts: datetime) -> int:
    return int(ts.timestamp() * 1_000_000) if ts.tzinfo else int(
        ts.replace(tzinfo=timezone.utc).timestamp() * 1_000_000)


def cursor_of(row) -> str:
    return f"{_micros(row.ts)}.{row.id}"


def parse_cursor(text: str | None, parts: int):
    """A cursor's (ts, id) or (group, ts, id); None if it cannot be read."""
    if not text or len(text) > 60:
        return None
    bits = text.split(".")
    if len(bits) != parts or not all(b.isascii() and b.lstrip("-").isdigit() for b in bits):
        return None
    values = [int(b) for b in bits]
    try:
        ts = datetime.fromtimestamp(values[-2] / 1_000_000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    if not (0 <= values[-1] < 2 ** 31) or (parts == 3 and not 0 <= values[0] < 1000):
        return None
    return (ts, values[-1]) if parts == 2 else (values[0], ts, values[-1])


def _midnight(ts: datetime) -> bool:
    """True when ``ts`` is the start of a China-time day."""
    local = ts.astimezone(_CHINA)
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


class ReviewError(ValueError):
    """A review that cannot be carried out; ``code`` says why, for callers
    that explain it to people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IncidentFilter:
    """What a reviewer narrowed the log to. Empty fields do not filter."""

    room: str | None = None
    rule: str | None = None
    member: str | None = None           # a contact id, or part of a sender name
    status: str | None = None           # open | confirmed | dismissed
    since: datetime | None = None
    until: datetime | None = None       # exclusive
    text: str | None = None             # searched in evidence, reason, excerpt, names
    rooms: frozenset[str] | None = None  # the rooms this reviewer may see; None = all
    kind: str | None = None             # violation | report
    reviewer: str | None = None         # who last reviewed it (a reviewer's own work)
    appealed: bool = False              # only incidents with an open appeal

    def keyed(self, T) -> list:
        """The conditions on what the incidents and their counts (``T``: a
        table with kind, room_id, rule and status) are both keyed by."""
        conds = [T.kind.in_(REVIEWABLE) if self.kind not in REVIEWABLE else T.kind == self.kind]
        if self.rooms is not None:
            conds.append(T.room_id.in_(sorted(self.rooms)))
        if self.room:
            conds.append(T.room_id == self.room)
        if self.rule:
            conds.append(T.rule == self.rule)
        if self.status:
            conds.append(T.status == self.status)
        return conds

    def conditions(self, fts: bool = False) -> list:
        """The filter's SQL conditions on the incidents. ``fts``: SQLite's
        trigram index of the searched columns (``incidents_fts``) is there:
        a ``text`` of at least ``TRIGRAM`` characters is looked up in it
        first, then matched by LIKE as without it (the same rows)."""
        conds = self.keyed(IncidentRow)
        if self.reviewer:
            conds.append(IncidentRow.reviewed_by == self.reviewer)
        if self.appealed:
            conds.append(IncidentRow.id.in_(
                select(AppealRow.incident_id).where(AppealRow.status == "open")))
        if self.member:
            conds.append(or_(IncidentRow.sender_id == self.member,
                             IncidentRow.sender_name.ilike(_contains(self.member), escape="\\")))
        if self.since:
            conds.append(IncidentRow.ts >= self.since)
        if self.until:
            conds.append(IncidentRow.ts < self.until)
        if self.text:
            if fts and len(self.text) >= TRIGRAM:
                conds.append(IncidentRow.id.in_(select(INCIDENTS_FTS.c.rowid).where(_match(self.text))))
            # the pattern written into the statement: PostgreSQL plans it for this
            # text (its trigram index for a rare one, the newest rows for a common
            # one) rather than once for any text
            pattern = bindparam("text_pattern", _contains(self.text), literal_execute=True)
            conds.append(or_(*(col.ilike(pattern, escape="\\") for col in (
                IncidentRow.evidence, IncidentRow.reason, IncidentRow.excerpt,
                IncidentRow.sender_name, IncidentRow.sender_id, IncidentRow.warning_text))))
        return conds


# SQLite's FTS5 index of the searched columns (migration 0008); its own
# metadata, so that no create_all ever makes it a plain table
INCIDENTS_FTS = Table("incidents_fts", MetaData(), Column("rowid", Integer),
                      Column("incidents_fts", Text))
# the shortest text the trigram indexes find (shorter: LIKE alone)
TRIGRAM = 3
# a page of a text search reads SQLite's index for a text in at most this many rows
SEARCH_CANDIDATES = 5000


def _match(text: str):
    """The FTS5 query for the rows holding ``text`` (as one literal string)."""
    return INCIDENTS_FTS.c.incidents_fts.op("MATCH")('"' + text.replace('"', '""') + '"')


def _contains(text: str) -> str:
    """A LIKE pattern matching ``text`` literally anywhere (wildcards escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class IncidentDetail:
    incident: IncidentRow
    siblings: list[IncidentRow]              # other rules that fired on the same message
    before: list[MessageRow]                 # oldest first
    message: MessageRow | None               # the message itself, where stored
    after: list[MessageRow]
    reviews: list[ReviewRow]                 # oldest first
    appeals: list[AppealRow]
    room_topic: str = ""
    flagged: dict[str, int] = field(default_factory=dict)   # context message id -> its incident
    names: "Names | None" = None


@dataclass
class JudgedMessage:
    """A message with incidents a reviewer confirmed or dismissed, for
    ``bot.py log --export-labelled``."""

    room_id: str
    message_id: str
    incidents: list[IncidentRow]      # the reviewed ones the filter matched, oldest first
    rules: set[str]                   # every rule with an incident on the message, any status
    message: MessageRow | None        # the stored message, where still kept
    topic: str = ""                   # the room's name
    purpose: str = ""                 # what the room is for (its own /topic, else its purpose)


@dataclass
class Overview:
    total: int
    open: int
    by_status: dict[str, int]
    by_rule: list[tuple[str, int]]           # most first
    by_day: list[tuple[str, int]]            # YYYY-MM-DD (China time), oldest first, gaps as 0
    top_rooms: list[tuple[str, str, int]]    # room id, topic, count
    repeat_senders: list[tuple[str, str, str, int]]  # room id, sender id, name, messages flagged
    open_appeals: int = 0
    by_room: list[tuple[str, str, int]] = field(default_factory=list)


def _shared_encoder(text: str):
    from qungui.core.embedding import encoder
    return encoder().encode_one(text)


class ReviewStore:
    """Review queries over one repository's database.

    ``specs``: the rules' specifications (``qungui.app.rule_specs()``), for
    what a review may do with a rule: an allow phrase never goes with a rule
    whose spec says ``room_allow=False``, and a dismissal is remembered only
    for a rule that is not secret. Without them (a reader that only lists),
    nothing is remembered, and a phrase is filed all the same (the engine
    never applies it to such a rule).

    ``embed``: text -> its sentence vector (``core.embedding``'s encoder by
    default), for remembering dismissed false alarms; ``keep`` of them per room.
    """

    def __init__(self, repo: Repository, specs: Mapping[str, RuleSpec] | None = None, *,
                 embed: Callable[[str], object] | None = None, keep: int = DISMISSALS_KEPT):
        self.repo = repo
        self.sessions = repo.sessions
        self.specs = dict(specs) if specs is not None else None
        self.embed = embed or _shared_encoder
        self.keep = keep
        self._topics: tuple[float, dict[str, str]] | None = None      # (when read, room -> name)
        self._fts: bool | None = None              # SQLite's incidents_fts is there (once known)

    async def _conditions(self, f: IncidentFilter, *, paged: bool = False) -> list:
        """``f.conditions()``, with SQLite's trigram index where it is there.

        ``paged``: the query stops at its first rows (a page). Then the index
        is read only for a text found in at most ``SEARCH_CANDIDATES`` rows:
        a text in more is met sooner by reading the log newest first (the
        rows are the same either way)."""
        if not f.text or len(f.text) < TRIGRAM:
            return f.conditions()
        if self._fts is None:
            if self.repo.engine.dialect.name != "sqlite":
                self._fts = False            # PostgreSQL's trigram index serves ILIKE as it is
            else:
                async with self.sessions() as s:
                    self._fts = bool(await s.scalar(sql(
                        "SELECT count(*) FROM sqlite_master WHERE name = 'incidents_fts'")))
        fts = self._fts
        if fts and paged:
            found = select(INCIDENTS_FTS.c.rowid).where(_match(f.text)).limit(SEARCH_CANDIDATES + 1)
            async with self.sessions() as s:
                fts = (await s.scalar(select(func.count()).select_from(found.subquery()))
                       <= SEARCH_CANDIDATES)
        return f.conditions(fts=fts)

    # --- lists -------------------------------------------------------------

    async def incidents(self, f: IncidentFilter, *, offset: int = 0,
                        limit: int = 50) -> tuple[list[IncidentRow], int]:
        """One page of incidents, newest first, and how many match in all."""
        conds = and_(*await self._conditions(f))
        async with self.sessions() as s:
            total = await s.scalar(select(func.count()).select_from(IncidentRow).where(conds)) or 0
            rows = list(await s.scalars(
                select(IncidentRow).where(conds)
                .order_by(IncidentRow.ts.desc(), IncidentRow.id.desc())
                .offset(max(0, offset)).limit(max(0, limit))))
        return rows, total

    # --- pages at scale: keyset paging, counts from the per-day table -------

    async def page(self, f: IncidentFilter, *, order: str = "new", after: str | None = None,
                   before: str | None = None, limit: int = 25) -> "Page":
        """One page of incidents by keyset (never OFFSET).

        ``order``: "new" (newest first) or "triage" (the queue: incidents with
        an open appeal first, then by the rule's gravity, gravest first, a
        member's report after the classified rule, each group oldest first).
        ``after`` / ``before``: a cursor from a previous ``Page`` (``next`` /
        ``prev``); ``before`` only with "new". A cursor that cannot be read
        starts at the first page."""
        limit = max(1, limit)
        if order == "triage":
            rows, nxt = await self._triage(f, parse_cursor(after, 3), limit)
            return Page(rows, nxt, None, first=after is None)
        conds = await self._conditions(f, paged=True)
        back = parse_cursor(before, 2) if after is None else None
        ahead = parse_cursor(after, 2)
        query = select(IncidentRow).options(defer(IncidentRow.trace))
        if back is not None:
            ts, rid = back
            stmt = query.where(*conds, IncidentRow.ts >= ts,
                               or_(IncidentRow.ts > ts, IncidentRow.id > rid)) \
                .order_by(IncidentRow.ts, IncidentRow.id).limit(limit + 1)
        else:
            stmt = query.where(*conds).order_by(IncidentRow.ts.desc(), IncidentRow.id.desc()) \
                .limit(limit + 1)
            if ahead is not None:
                ts, rid = ahead
                stmt = stmt.where(IncidentRow.ts <= ts, or_(IncidentRow.ts < ts, IncidentRow.id < rid))
        async with self.sessions() as s:
            rows = list(await s.scalars(stmt))
        more = len(rows) > limit
        rows = rows[:limit]
        if back is not None:
            rows.reverse()
            return Page(rows, cursor_of(rows[-1]) if rows else None,
                        cursor_of(rows[0]) if rows and more else None, first=not more)
        return Page(rows, cursor_of(rows[-1]) if more else None,
                    cursor_of(rows[0]) if rows and ahead is not None else None,
                    first=ahead is None)

    def triage_groups(self) -> list[tuple[str, object]]:
        """The queue's groups in order after the appealed ones: (name, condition)."""
        specs = self.specs or {}
        rules = sorted(specs.values(), key=lambda sp: (-sp.gravity, sp.id))
        groups: list[tuple[str, object]] = []
        placed_report = False
        for sp in rules:
            if not placed_report and sp.gravity < REPORT_GRAVITY:
                groups.append(("report", IncidentRow.kind == "report"))
                placed_report = True
            groups.append((sp.id, and_(IncidentRow.rule == sp.id, IncidentRow.kind == "violation")))
        if not placed_report:
            groups.append(("report", IncidentRow.kind == "report"))
        known = [sp.id for sp in rules]
        other = IncidentRow.kind == "violation"
        if known:
            other = and_(other, or_(IncidentRow.rule.is_(None), IncidentRow.rule.not_in(known)))
        groups.append(("", other))
        return groups

    def gravity(self, row) -> int:
        """How grave an incident is for the queue: its rule's gravity (a report's is fixed)."""
        if row.kind == "report":
            return REPORT_GRAVITY
        spec = (self.specs or {}).get(row.rule or "")
        return spec.gravity if spec else 0

    async def _triage(self, f: IncidentFilter, cursor, limit: int) -> tuple[list[IncidentRow], str | None]:
        conds = await self._conditions(f, paged=True)
        out: list[IncidentRow] = []
        async with self.sessions() as s:
            appealed = set(await s.scalars(select(AppealRow.incident_id).where(
                AppealRow.status == "open",
                *([AppealRow.room_id.in_(sorted(f.rooms))] if f.rooms is not None else []))))
            groups = [("appeal", IncidentRow.id.in_(sorted(appealed)))]
            rest = [cond if not appealed else and_(cond, IncidentRow.id.not_in(sorted(appealed)))
                    for _, cond in self.triage_groups()]
            groups += [(None, c) for c in rest]
            start = cursor[0] if cursor else 0
            for g in range(int(start), len(groups)):
                if g == 0 and not appealed:
                    continue
                stmt = select(IncidentRow).options(defer(IncidentRow.trace)).where(*conds, groups[g][1])
                if cursor and g == int(start):
                    ts, rid = cursor[1], cursor[2]
                    stmt = stmt.where(IncidentRow.ts >= ts, or_(IncidentRow.ts > ts, IncidentRow.id > rid))
                need = limit + 1 - len(out)
                found = list(await s.scalars(stmt.order_by(IncidentRow.ts, IncidentRow.id).limit(need)))
                for r in found:
                    r.queue_group = g
                out += found
                if len(out) > limit:
                    break
        more = len(out) > limit
        out = out[:limit]
        nxt = None
        if more and out:
            last = out[-1]
            nxt = f"{last.queue_group}.{_micros(last.ts)}.{last.id}"
        return out, nxt

    async def count(self, f: IncidentFilter, *, cap: int = COUNT_CAP) -> tuple[int, bool]:
        """How many incidents match: (n, exact). Exact from the per-day
        counts where the filter allows (room, rule, status, kind, whole China
        days); otherwise counted up to ``cap`` and (cap, False) beyond."""
        if self._by_days(f):
            D = self._count_table(f)
            async with self.sessions() as s:
                return int(await s.scalar(select(func.coalesce(func.sum(D.n), 0))
                                          .where(*self._day_conditions(f, D))) or 0), True
        if f.text:
            return 0, False            # a text search is not counted (it would read every row)
        async with self.sessions() as s:
            inner = select(IncidentRow.id).where(*await self._conditions(f)).limit(cap + 1).subquery()
            n = int(await s.scalar(select(func.count()).select_from(inner)) or 0)
        return (cap, False) if n > cap else (n, True)

    @staticmethod
    def _by_days(f: IncidentFilter) -> bool:
        if f.member or f.text or f.reviewer or f.appealed:
            return False
        return all(t is None or _midnight(t) for t in (f.since, f.until))

    @staticmethod
    def _count_table(f: IncidentFilter):
        """The per-day counts for a time range, else the totals (far fewer rows)."""
        return IncidentDayRow if (f.since or f.until) else IncidentTotalRow

    @staticmethod
    def _day_conditions(f: IncidentFilter, D=IncidentDayRow) -> list:
        conds = f.keyed(D)
        if f.since:
            conds.append(D.day >= china_day(f.since))
        if f.until:
            conds.append(D.day < china_day(f.until))
        return conds

    # what the CSV export reads of an incident (``review.export.CSV_COLUMNS``)
    EXPORTED = ("id", "room_id", "kind", "rule", "sender_id", "sender_name", "score", "action",
                "status", "evidence", "reason", "excerpt", "warning_text", "reviewed_by")

    def _china_text(self, col):
        """``col`` (a time) as the CSV writes it, China time ``YYYY-MM-DD
        HH:MM:SS`` (the seconds cut, not rounded), "" for none: made by the
        database, so the export formats no time itself."""
        if self.repo.engine.dialect.name == "sqlite":
            # stored as naive UTC text; cut to whole seconds before adding the offset
            text = func.strftime("%Y-%m-%d %H:%M:%S", func.substr(col, 1, 19), "+8 hours")
        else:
            text = func.to_char(func.timezone(literal_column("INTERVAL '8 hours'"), col),
                                "YYYY-MM-DD HH24:MI:SS")
        return func.coalesce(text, "")

    async def export_chunks(self, f: IncidentFilter, chunk: int = 2000):
        """Every matching incident, newest first, in lists of ``chunk`` rows
        (keyset, one short query each), each with ``names`` for people:
        yields (rows, Names). A row holds what the CSV shows
        (``EXPORTED``, ``ts`` and ``reviewed_at`` already as China-time
        text) and ``key``, the stored time the next chunk starts from. The
        next chunk is read while the caller writes this one: a caller that
        may stop early closes the generator (``contextlib.aclosing``)."""
        sqlite = self.repo.engine.dialect.name == "sqlite"
        # the stored time as the driver gives it (SQLite: its text), for the cursor
        raw = String() if sqlite else DateTime(timezone=True)
        key = type_coerce(IncidentRow.ts, raw)
        base = select(*(getattr(IncidentRow, c) for c in self.EXPORTED),
                      self._china_text(IncidentRow.ts).label("ts"),
                      self._china_text(IncidentRow.reviewed_at).label("reviewed_at"),
                      key.label("key")) \
            .where(*await self._conditions(f)) \
            .order_by(IncidentRow.ts.desc(), IncidentRow.id.desc()).limit(chunk)
        known: dict[tuple[str, str], str | None] = {}      # members named so far in this export

        async def read(cursor):
            stmt = base
            if cursor is not None:
                ts, rid = cursor
                ts = literal(ts, raw)
                stmt = stmt.where(key <= ts, or_(key < ts, IncidentRow.id < rid))
            async with self.repo.engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
                names = await self._names(conn, rows, notes=True, known=known) if rows else None
            return rows, names

        task = asyncio.ensure_future(read(None))
        try:
            while True:
                rows, names = await task
                task = None
                if not rows:
                    return
                if len(rows) == chunk:
                    task = asyncio.ensure_future(read((rows[-1].key, rows[-1].id)))
                yield rows, names
                if task is None:
                    return
        finally:
            # a caller that stops early: the chunk read ahead is let finish (one
            # short query) and dropped, its connection back in the pool
            if task is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await task

    async def names(self, rows) -> "Names":
        """Group names, members' names in their group and reviewers' names for ``rows``."""
        async with self.sessions() as s:
            return await self._names(s, rows)

    async def _names(self, s, rows, notes: bool = False,
                     known: dict[tuple[str, str], str | None] | None = None) -> "Names":
        if self._topics is None or self._topics[0] < asyncio.get_running_loop().time() - 30:
            topics = dict((await s.execute(select(RoomRow.room_id, RoomRow.topic))).all())
            self._topics = (asyncio.get_running_loop().time(), topics)
        topics = self._topics[1]
        wanted = {(r.room_id, r.sender_id) for r in rows if r.sender_id}
        wanted |= {(r.room_id, reviewer_contact(r.reviewed_by)) for r in rows
                   if r.reviewed_by and not r.reviewed_by.startswith("web:")}
        known = {} if known is None else known
        missing = sorted(wanted - known.keys())
        if missing:
            for pair in missing:
                known[pair] = None
            for room, member, name, alias in (await s.execute(
                    select(MemberRow.room_id, MemberRow.member_id, MemberRow.name, MemberRow.alias)
                    .where(tuple_(MemberRow.room_id, MemberRow.member_id).in_(missing)))).all():
                known[(room, member)] = alias or name
        members = {pair: known[pair] for pair in wanted if known.get(pair)}
        last_notes: dict[int, str] = {}
        if notes:
            ids = [r.id for r in rows if r.reviewed_by]
            if ids:
                for incident_id, note in (await s.execute(
                        select(ReviewRow.incident_id, ReviewRow.note).where(ReviewRow.incident_id.in_(ids))
                        .order_by(ReviewRow.incident_id, ReviewRow.id))).all():
                    last_notes[incident_id] = note
        return Names(topics, members, last_notes)

    async def review_many(self, ids: list[int], reviewer: str, decision: str, *, note: str = "",
                          scope: frozenset[str] | None = None) -> tuple[list[IncidentRow], dict[int, str]]:
        """The same decision and note on several incidents, each as ``review``
        records it: (the reviewed rows, {id: error code} for those refused)."""
        done: list[IncidentRow] = []
        refused: dict[int, str] = {}
        for incident_id in dict.fromkeys(ids):
            try:
                done.append(await self.review(incident_id, reviewer, decision, note=note, scope=scope))
            except ReviewError as exc:
                if exc.code == "bad_decision":
                    raise
                refused[incident_id] = exc.code
        return done, refused

    async def neighbour(self, f: IncidentFilter, incident_id: int, *, order: str = "new",
                        skip: frozenset[int] = frozenset()) -> int | None:
        """The incident after ``incident_id`` in the list ``f`` and ``order``
        describe (for "go to the next" after a decision); None at the end.
        When ``incident_id`` no longer matches the filter (it was just
        reviewed out of an open list) the next one is found from its place."""
        async with self.sessions() as s:
            row = await s.get(IncidentRow, incident_id)
        if row is None:
            return None
        if order == "triage":
            groups = self.triage_groups()
            async with self.sessions() as s:
                appealed = set(await s.scalars(select(AppealRow.incident_id).where(
                    AppealRow.status == "open")))
            names = [name for name, _ in groups]
            key = "report" if row.kind == "report" else (row.rule or "")
            g = 0 if row.id in appealed else 1 + (names.index(key) if key in names else len(names) - 1)
            cursor = f"{g}.{_micros(row.ts)}.{row.id}"
        else:
            cursor = f"{_micros(row.ts)}.{row.id}"
        page = await self.page(f, order=order, after=cursor, limit=1 + len(skip))
        for r in page.rows:
            if r.id != incident_id and r.id not in skip:
                return r.id
        return None

    async def rooms(self, scope: frozenset[str] | None = None) -> list[tuple[str, str]]:
        """(room id, topic) of every room with incidents or settings, for filter menus."""
        async with self.sessions() as s:
            # the rooms with incidents, from the totals (never a scan of the incidents)
            ids = set(await s.scalars(select(IncidentTotalRow.room_id).where(IncidentTotalRow.n > 0)
                                      .distinct()))
            topics = {r.room_id: r.topic for r in await s.scalars(select(RoomRow))}
        ids |= set(topics)
        if scope is not None:
            ids &= scope
        return sorted((i, topics.get(i, "")) for i in ids)

    async def judged_messages(self, f: IncidentFilter) -> list[JudgedMessage]:
        """The messages with confirmed or dismissed rule incidents matching
        ``f``, oldest first, each with every rule flagged on it and its stored
        copy. The texts are as stored: a message any secret rule found
        something in holds only a marking and a hash."""
        conds = and_(*await self._conditions(f), IncidentRow.kind == "violation",
                     IncidentRow.message_id.is_not(None),
                     IncidentRow.status.in_(("confirmed", "dismissed")))
        judged = select(IncidentRow.room_id, IncidentRow.message_id).where(conds).distinct().subquery()

        def same(room_col, message_col):
            return and_(room_col == judged.c.room_id, message_col == judged.c.message_id)

        async with self.sessions() as s:
            rows = list(await s.scalars(select(IncidentRow).where(conds).order_by(IncidentRow.id)))
            flagged = (await s.execute(
                select(IncidentRow.room_id, IncidentRow.message_id, IncidentRow.rule)
                .join(judged, same(IncidentRow.room_id, IncidentRow.message_id)))).all()
            stored = {(m.room_id, m.message_id): m for m in await s.scalars(
                select(MessageRow).join(judged, same(MessageRow.room_id, MessageRow.message_id)))}
            rooms = {r.room_id: r for r in await s.scalars(select(RoomRow))}
        rules: dict[tuple[str, str], set[str]] = {}
        for room_id, message_id, rule in flagged:
            rules.setdefault((room_id, message_id), set()).add(rule or "")
        out: dict[tuple[str, str], JudgedMessage] = {}
        for row in rows:
            key = (row.room_id, row.message_id)
            if key not in out:
                room = rooms.get(row.room_id)
                own = (room.settings or {}).get("topic") if room else None
                out[key] = JudgedMessage(
                    row.room_id, row.message_id, [], rules.get(key, set()), stored.get(key),
                    topic=room.topic if room else "",
                    purpose=own if isinstance(own, str) and own.strip()
                    else (room.purpose if room else ""))
            out[key].incidents.append(row)
        return list(out.values())

    # --- one incident ------------------------------------------------------

    async def incident(self, incident_id: int, scope: frozenset[str] | None = None,
                       context: int = CONTEXT_MESSAGES) -> IncidentDetail | None:
        async with self.sessions() as s:
            row = await s.get(IncidentRow, incident_id)
            if row is None or row.kind not in REVIEWABLE or (scope is not None and row.room_id not in scope):
                return None
            siblings = []
            message = None
            before: list[MessageRow] = []
            after: list[MessageRow] = []
            if row.message_id is not None:
                siblings = list(await s.scalars(select(IncidentRow).where(
                    IncidentRow.room_id == row.room_id, IncidentRow.message_id == row.message_id,
                    IncidentRow.id != row.id).order_by(IncidentRow.id)))
                message = await s.get(MessageRow, (row.room_id, row.message_id))
                at = message.ts if message else row.ts
                others = MessageRow.message_id != row.message_id
                before = list(reversed(list(await s.scalars(
                    select(MessageRow).where(MessageRow.room_id == row.room_id, MessageRow.ts <= at, others)
                    .order_by(MessageRow.ts.desc(), MessageRow.message_id.desc()).limit(context)))))
                after = list(await s.scalars(
                    select(MessageRow).where(MessageRow.room_id == row.room_id, MessageRow.ts > at, others)
                    .order_by(MessageRow.ts, MessageRow.message_id).limit(context)))
            reviews = list(await s.scalars(select(ReviewRow).where(ReviewRow.incident_id == row.id)
                                           .order_by(ReviewRow.ts, ReviewRow.id)))
            appeals = list(await s.scalars(select(AppealRow).where(AppealRow.incident_id == row.id)
                                           .order_by(AppealRow.ts, AppealRow.id)))
            room = await s.get(RoomRow, row.room_id)
            context = [m.message_id for m in before + after]
            flagged: dict[str, int] = {}
            if context:
                for message_id, other in (await s.execute(
                        select(IncidentRow.message_id, func.min(IncidentRow.id))
                        .where(IncidentRow.room_id == row.room_id,
                               IncidentRow.message_id.in_(context),
                               IncidentRow.kind.in_(REVIEWABLE))
                        .group_by(IncidentRow.message_id))).all():
                    flagged[message_id] = other
            people = [row] + list(before) + list(after) + [
                _Person(row.room_id, reviewer_contact(r.reviewer)) for r in reviews] + [
                _Person(row.room_id, a.member_id) for a in appeals]
            names = await self._names(s, [_Person(p.room_id, p.sender_id) if not isinstance(p, _Person)
                                          else p for p in people])
        return IncidentDetail(row, siblings, before, message, after, reviews, appeals,
                              room.topic if room else "", flagged, names)

    # --- decisions ---------------------------------------------------------

    async def review(self, incident_id: int, reviewer: str, decision: str, *, note: str = "",
                     allow_phrase: str | None = None,
                     scope: frozenset[str] | None = None) -> IncidentRow:
        """Record a reviewer's decision: a reviews row, the incident's status,
        and an audit row, in one transaction; then the allow-list phrase, if
        any (audited by the repository).

        ``allow_phrase`` is only taken with a dismissal: it is filed in the
        room's allow-list under the incident's rule (for every rule where the
        incident names none, a report), so that from now on a finding of
        that rule on a message containing the phrase is stood down, whatever
        stage made it. Refused for a rule whose spec says ``room_allow=False``.

        A dismissal is also remembered in the room (``dismissals``: the
        message's sentence vector, the rule, the incident, who, when), so that
        a near-duplicate is not reported again under that rule
        (``pipeline.reviewed``); never for a secret rule, nor for a message
        any secret rule found something in. Confirming or reopening the
        incident forgets it. Where the vector cannot be computed the
        dismissal stands and only a warning says it is not remembered.
        """
        if decision not in DECISIONS:
            raise ReviewError("bad_decision",
                              f"unknown decision {decision!r} (confirm, dismiss or reopen)")
        phrase = (allow_phrase or "").strip() or None
        if phrase and decision != "dismiss":
            raise ReviewError("phrase_needs_dismiss", "an allow-list phrase goes only with a dismissal")
        if phrase and len(phrase) < MIN_PHRASE:
            raise ReviewError("phrase_too_short",
                              f"the allow-list phrase is shorter than {MIN_PHRASE} characters")
        if phrase and len(phrase) > MAX_PHRASE:
            raise ReviewError("phrase_too_long",
                              f"the allow-list phrase is longer than {MAX_PHRASE} characters")
        status = DECISIONS[decision]
        vector = await self._vector(incident_id, scope) if decision == "dismiss" else None
        async with self.sessions.begin() as s:
            row, siblings = await self._locked(s, incident_id)
            if row is None or row.kind not in REVIEWABLE or (scope is not None and row.room_id not in scope):
                raise ReviewError("not_found", f"no incident {incident_id}")
            if phrase and not self._allowable(row.rule):
                raise ReviewError("phrase_not_allowed",
                                  f"rule {row.rule} is never silenced by a room's allow phrase")
            before = row.status
            now = utcnow()
            row.status, row.reviewed_by, row.reviewed_at = status, reviewer, now
            await count_move(s, row, before, status, siblings)
            s.add(ReviewRow(room_id=row.room_id, incident_id=row.id, reviewer=reviewer,
                            decision=decision, note=note.strip(), allow_phrase=phrase, ts=now))
            s.add(AuditRow(room_id=row.room_id, actor_id=reviewer, action=decision,
                           target=f"incident:{row.id}", before=before, after=status, ts=now))
            await s.execute(delete(DismissalRow).where(DismissalRow.incident_id == row.id))
            if vector is not None:
                s.add(DismissalRow(room_id=row.room_id, rule=row.rule, incident_id=row.id,
                                   reviewer=reviewer, ts=now, vector=vector))
                await s.flush()
                await self._trim(s, row.room_id)
        if phrase:
            await self.repo.add_allow_phrase(row.room_id, phrase, reviewer, row.rule)
        return row

    @staticmethod
    async def _locked(s, incident_id: int) -> tuple[IncidentRow | None, list[IncidentRow]]:
        """The incident, locked, and the other incidents of its message, all
        locked in id order (the member counts depend on their statuses, and
        two reviews of one message's incidents then take turns)."""
        found = (await s.execute(select(IncidentRow.room_id, IncidentRow.message_id)
                                 .where(IncidentRow.id == incident_id))).first()
        if found is None:
            return None, []
        if found.message_id is None:
            return await s.get(IncidentRow, incident_id, with_for_update=True), []
        rows = list(await s.scalars(
            select(IncidentRow).where(IncidentRow.room_id == found.room_id,
                                      IncidentRow.message_id == found.message_id)
            .order_by(IncidentRow.id).with_for_update().execution_options(populate_existing=True)))
        row = next((r for r in rows if r.id == incident_id), None)
        return row, [r for r in rows if r.id != incident_id]

    async def _vector(self, incident_id: int, scope: frozenset[str] | None) -> bytes | None:
        """The stored vector of the incident's message, if its dismissal is to
        be remembered (see ``review``); None otherwise."""
        if self.specs is None:
            return None
        async with self.sessions() as s:
            row = await s.get(IncidentRow, incident_id)
            if row is None or row.kind != "violation" or row.message_id is None \
                    or (scope is not None and row.room_id not in scope):
                return None
            rules = set(await s.scalars(select(IncidentRow.rule).where(
                IncidentRow.room_id == row.room_id, IncidentRow.message_id == row.message_id)))
        spec = self.specs.get(row.rule)
        if (spec is None or spec.secret or spec.event != "message" or not row.excerpt.strip()
                or is_redacted(row.excerpt)
                or any((other := self.specs.get(r)) is None or other.secret for r in rules if r)):
            return None
        try:
            from qungui.core.embedding import pack
            # the excerpt is the message's text cut at 500 characters; the
            # encoder reads the first 256, as it does of the message itself
            return pack(await asyncio.to_thread(self.embed, row.excerpt))
        except Exception as exc:  # noqa: BLE001 - the dismissal itself must not fail
            log.warning("dismissal of incident %s not remembered: no sentence vector (%s: %s)",
                        incident_id, type(exc).__name__, exc)
            return None

    async def _trim(self, s, room_id: str) -> None:
        """Keep the room's newest ``keep`` dismissals."""
        oldest_kept = await s.scalar(
            select(DismissalRow.id).where(DismissalRow.room_id == room_id)
            .order_by(DismissalRow.id.desc()).offset(self.keep - 1).limit(1))
        if oldest_kept is not None:
            await s.execute(delete(DismissalRow).where(DismissalRow.room_id == room_id,
                                                       DismissalRow.id < oldest_kept))

    def _allowable(self, rule: str | None) -> bool:
        spec = self.specs.get(rule) if self.specs is not None and rule else None
        return spec is None or spec.room_allow

    async def resolve_appeal(self, appeal_id: int, reviewer: str, accept: bool, *,
                             scope: frozenset[str] | None = None) -> AppealRow:
        """Accept or reject an appeal. Accepting one dismisses its incident."""
        async with self.sessions.begin() as s:
            appeal = await s.get(AppealRow, appeal_id, with_for_update=True)
            if appeal is None or (scope is not None and appeal.room_id not in scope):
                raise ReviewError("not_found", f"no appeal {appeal_id}")
            if appeal.status != "open":
                raise ReviewError("already_resolved",
                                  f"appeal {appeal_id} was already {appeal.status}")
            appeal.status = "accepted" if accept else "rejected"
            appeal.resolved_by, appeal.resolved_at = reviewer, utcnow()
            s.add(AuditRow(room_id=appeal.room_id, actor_id=reviewer, action=f"appeal_{appeal.status}",
                           target=f"appeal:{appeal.id}", before="open", after=appeal.status))
        if accept:
            await self.review(appeal.incident_id, reviewer, "dismiss", note=f"申诉 #{appeal.id} 成立",
                              scope=scope)
        return appeal

    # --- counts ------------------------------------------------------------

    async def overview(self, f: IncidentFilter, *, days: int = 30, top: int = 10) -> Overview:
        """Counts for the overview page and ``bot.py stats`` (incident rows).

        ``days`` is how many days the per-day series covers, ending at the
        newest incident that matches (or at ``f.until``).

        Read from the per-day counts (``incident_days``) when the filter
        allows (room, rule, status, whole days); the members flagged more
        than once are then those of the series' last ``REPEAT_DAYS`` days. Otherwise the
        incidents themselves are counted.
        """
        if self._by_days(f):
            return await self._overview_from_days(f, days=days, top=top)
        return await self._overview_scan(f, days=days, top=top)

    async def _overview_from_days(self, f: IncidentFilter, *, days: int, top: int) -> Overview:
        T = self._count_table(f)
        tconds = self._day_conditions(f, T)
        D = IncidentDayRow
        conds = self._day_conditions(f)
        async with self.sessions() as s:
            by_status = {k: int(v) for k, v in (await s.execute(
                select(T.status, func.sum(T.n)).where(*tconds).group_by(T.status))).all() if v}
            by_rule = [(r, int(n)) for r, n in (await s.execute(
                select(T.rule, func.sum(T.n).label("n")).where(*tconds).group_by(T.rule)
                .order_by(func.sum(T.n).desc(), T.rule))).all() if n]
            by_room = [(r, int(n)) for r, n in (await s.execute(
                select(T.room_id, func.sum(T.n)).where(*tconds).group_by(T.room_id)
                .order_by(func.sum(T.n).desc(), T.room_id))).all() if n]
            newest = await s.scalar(select(func.max(D.day)).where(
                *conds, D.n > 0, *([D.day < china_day(f.until)] if f.until else [])))
            last = (_china_day(f.until - timedelta(microseconds=1)) if f.until
                    else (datetime.strptime(newest, "%Y-%m-%d").date() if newest else None))
            per_day: dict[str, int] = {}
            repeat: list = []
            if last is not None:
                first = last - timedelta(days=days - 1)
                per_day = {d: int(n) for d, n in (await s.execute(
                    select(D.day, func.sum(D.n)).where(*conds, D.day >= first.isoformat(),
                                                       D.day <= last.isoformat())
                    .group_by(D.day))).all()}
                # the members flagged more than once: over the series' last week (at most)
                start = max(first, last - timedelta(days=REPEAT_DAYS - 1))
                repeat = await self._repeat_senders(s, f, start.isoformat(), last.isoformat(), top)
            open_appeals = await self._open_appeals(s, f)
            topics = dict((await s.execute(select(RoomRow.room_id, RoomRow.topic))).all())
        series = []
        if last is not None:
            for i in range(days - 1, -1, -1):
                d = (last - timedelta(days=i)).isoformat()
                series.append((d, per_day.get(d, 0)))
        rooms = [(r, topics.get(r, ""), n) for r, n in by_room]
        return Overview(total=sum(by_status.values()), open=by_status.get("open", 0),
                        by_status=by_status, by_rule=by_rule, by_day=series, top_rooms=rooms[:top],
                        by_room=rooms, repeat_senders=repeat, open_appeals=open_appeals)

    @staticmethod
    async def _repeat_senders(s, f: IncidentFilter, first: str, last: str, top: int) -> list:
        """The members with more than one message flagged by a rule from day
        ``first`` to ``last`` (China time), most first: (room, sender, the
        greatest name on those incidents, messages). Read from the per-day
        member counts (``incident_members``)."""
        if f.kind == "report":
            return []
        M = IncidentMemberRow
        conds = [M.rule == (f.rule or ANY), M.day >= first, M.day <= last, M.n > 0]
        if f.since:
            conds.append(M.day >= china_day(f.since))
        if f.until:
            conds.append(M.day < china_day(f.until))
        if f.status:
            conds.append(M.status == f.status)
        elif not f.rule:
            conds.append(M.status == ANY)
        # (a rule's rows are per status, one incident per message: summed over them)
        if f.rooms is not None:
            conds.append(M.room_id.in_(sorted(f.rooms)))
        if f.room:
            conds.append(M.room_id == f.room)
        n = func.sum(M.n)
        return [(room, sender, name, int(k)) for room, sender, name, k in (await s.execute(
            select(M.room_id, M.sender_id, func.max(M.name), n.label("n")).where(*conds)
            .group_by(M.room_id, M.sender_id).having(n >= 2)
            .order_by(n.desc(), M.sender_id, M.room_id).limit(top))).all()]

    @staticmethod
    async def _open_appeals(s, f: IncidentFilter) -> int:
        appeal_conds = [AppealRow.status == "open"]
        if f.rooms is not None:
            appeal_conds.append(AppealRow.room_id.in_(sorted(f.rooms)))
        if f.room:
            appeal_conds.append(AppealRow.room_id == f.room)
        return await s.scalar(select(func.count()).select_from(AppealRow).where(*appeal_conds)) or 0

    async def _overview_scan(self, f: IncidentFilter, *, days: int, top: int) -> Overview:
        conds = and_(*await self._conditions(f))
        day = self._day_expr()
        async with self.sessions() as s:
            by_status = dict((await s.execute(
                select(IncidentRow.status, func.count()).where(conds).group_by(IncidentRow.status))).all())
            by_rule = [tuple(r) for r in (await s.execute(
                select(IncidentRow.rule, func.count().label("n")).where(conds)
                .group_by(IncidentRow.rule).order_by(func.count().desc(), IncidentRow.rule))).all()]
            by_room = [tuple(r) for r in (await s.execute(
                select(IncidentRow.room_id, func.count()).where(conds)
                .group_by(IncidentRow.room_id).order_by(func.count().desc(), IncidentRow.room_id))).all()]
            newest = await s.scalar(select(func.max(IncidentRow.ts)).where(conds))
            end = f.until - timedelta(microseconds=1) if f.until else newest
            per_day: dict[str, int] = {}
            if end is not None:
                start_day = _china_day(end) - timedelta(days=days - 1)
                start = datetime.combine(start_day, datetime.min.time(), tzinfo=_CHINA)
                per_day = dict((await s.execute(
                    select(day, func.count()).where(conds, IncidentRow.ts >= start).group_by(day))).all())
            repeat = [tuple(r) for r in (await s.execute(
                select(IncidentRow.room_id, IncidentRow.sender_id, func.max(IncidentRow.sender_name),
                       func.count(distinct(IncidentRow.message_id)).label("n"))
                .where(conds).group_by(IncidentRow.room_id, IncidentRow.sender_id)
                .having(func.count(distinct(IncidentRow.message_id)) >= 2)
                .order_by(func.count(distinct(IncidentRow.message_id)).desc(), IncidentRow.sender_id,
                          IncidentRow.room_id)
                .limit(top))).all()]
            appeal_conds = [AppealRow.status == "open"]
            if f.rooms is not None:
                appeal_conds.append(AppealRow.room_id.in_(sorted(f.rooms)))
            if f.room:
                appeal_conds.append(AppealRow.room_id == f.room)
            open_appeals = await s.scalar(select(func.count()).select_from(AppealRow)
                                          .where(*appeal_conds)) or 0
            topics = {r.room_id: r.topic for r in await s.scalars(select(RoomRow))}
        series = []
        if end is not None:
            last = _china_day(end)
            for i in range(days - 1, -1, -1):
                d = (last - timedelta(days=i)).isoformat()
                series.append((d, int(per_day.get(d, 0))))
        rooms = [(r, topics.get(r, ""), n) for r, n in by_room]
        return Overview(total=sum(by_status.values()), open=by_status.get("open", 0),
                        by_status=by_status, by_rule=[(r or "", n) for r, n in by_rule],
                        by_day=series, top_rooms=rooms[:top], by_room=rooms,
                        repeat_senders=repeat, open_appeals=open_appeals)

    def _day_expr(self):
        """The China-time calendar day of an incident, as YYYY-MM-DD, in SQL.

        China keeps one offset all year (no daylight saving), so a fixed
        +8 hours is exact.
        """
        if self.repo.engine.dialect.name == "sqlite":
            # SQLite keeps UTC as naive text (see UTCDateTime)
            return func.strftime("%Y-%m-%d", IncidentRow.ts, "+8 hours")
        return cast(func.to_char(func.timezone("Asia/Shanghai", IncidentRow.ts), "YYYY-MM-DD"), String)


def _china_day(ts: datetime):
    return ts.astimezone(_CHINA).date()


# --- a room's allow and deny phrases ------------------------------------------

PHRASE_KINDS = ("allow", "deny")


@dataclass
class Phrase:
    """One entry of a room's allow or deny list, with who filed it and why."""

    kind: str                   # allow | deny
    rule: str                   # a rule id, or "*" (an allow phrase for every rule)
    phrase: str
    added_by: str = ""
    added_at: datetime | None = None
    why: str = ""
    incident_id: int | None = None   # the dismissal it came with, if any


def _entry(kind: str, rule: str, phrase: str):
    if kind == "allow" and rule in ("", "*"):
        return phrase
    return {"rule": rule, "phrase": phrase}


def _parts(kind: str, entry) -> tuple[str, str] | None:
    if isinstance(entry, str) and kind == "allow":
        return "*", entry
    if isinstance(entry, dict) and isinstance(entry.get("phrase"), str):
        return str(entry.get("rule") or "*"), entry["phrase"]
    return None


class RoomPhrases:
    """A room's allow and deny phrases as the review page shows and edits
    them: every change is a settings change with its audit row (the same
    actions as the group commands: allow, allow_remove, deny, deny_remove),
    and a reason given on the page is kept as an audit row of its own."""

    def __init__(self, repo: Repository):
        self.repo = repo
        self.sessions = repo.sessions

    async def list(self, room_id: str) -> list[Phrase]:
        async with self.sessions() as s:
            room = await s.get(RoomRow, room_id)
            settings = dict(room.settings or {}) if room else {}
            audits = list(await s.scalars(select(AuditRow).where(
                AuditRow.room_id == room_id,
                AuditRow.action.in_(("allow", "deny", "allow_note", "deny_note")))
                .order_by(AuditRow.ts, AuditRow.id)))
            reviews = list(await s.scalars(select(ReviewRow).where(
                ReviewRow.room_id == room_id, ReviewRow.allow_phrase.is_not(None))
                .order_by(ReviewRow.ts, ReviewRow.id)))
        out: list[Phrase] = []
        for kind in PHRASE_KINDS:
            entries = settings.get(kind)
            for entry in entries if isinstance(entries, list) else []:
                parts = _parts(kind, entry)
                if parts is None:
                    continue
                p = Phrase(kind, parts[0], parts[1])
                for a in audits:
                    if a.action == kind and isinstance(a.after, list) and entry in a.after \
                            and not (isinstance(a.before, list) and entry in a.before):
                        p.added_by, p.added_at = a.actor_id, a.ts
                    elif a.action == f"{kind}_note" and isinstance(a.after, dict) \
                            and a.after.get("phrase") == p.phrase and a.after.get("rule") == p.rule:
                        p.why = str(a.after.get("reason") or "")
                for r in reviews:
                    if kind == "allow" and r.allow_phrase == p.phrase:
                        p.incident_id = r.incident_id
                        p.why = p.why or (r.note or "撤销误报时添加")
                        p.added_by = p.added_by or r.reviewer
                out.append(p)
        return out

    async def add(self, room_id: str, kind: str, rule: str, phrase: str, actor: str,
                  reason: str = "", *, allowed_rule=lambda rule: True) -> bool:
        """File a phrase; False if it is there already. ``ReviewError`` for a
        bad kind, length, or a rule an allow phrase may not silence."""
        phrase = phrase.strip()
        if kind not in PHRASE_KINDS:
            raise ReviewError("bad_kind", "kind must be allow or deny")
        if len(phrase) < MIN_PHRASE:
            raise ReviewError("phrase_too_short", "phrase too short")
        if len(phrase) > MAX_PHRASE:
            raise ReviewError("phrase_too_long", "phrase too long")
        if kind == "deny" and rule in ("", "*"):
            raise ReviewError("rule_needed", "a deny phrase names its rule")
        if kind == "allow" and rule not in ("", "*") and not allowed_rule(rule):
            raise ReviewError("phrase_not_allowed", f"rule {rule} is never silenced by an allow phrase")
        entry = _entry(kind, rule, phrase)
        current = (await self.repo.room_settings(room_id)).get(kind, [])
        current = list(current) if isinstance(current, list) else []
        if entry in current:
            return False
        await self.repo.change_settings(room_id, actor, kind, kind, current + [entry])
        if reason.strip():
            async with self.sessions.begin() as s:
                s.add(AuditRow(room_id=room_id, actor_id=actor, action=f"{kind}_note", target=phrase,
                               after={"rule": rule or "*", "phrase": phrase, "reason": reason.strip()[:500]}))
        return True

    async def remove(self, room_id: str, kind: str, rule: str, phrase: str, actor: str) -> bool:
        """Take a phrase off the list; False if it was not there."""
        if kind not in PHRASE_KINDS:
            raise ReviewError("bad_kind", "kind must be allow or deny")
        current = (await self.repo.room_settings(room_id)).get(kind, [])
        current = list(current) if isinstance(current, list) else []
        kept = [e for e in current if _parts(kind, e) != (rule or "*", phrase)]
        if len(kept) == len(current):
            return False
        await self.repo.change_settings(room_id, actor, f"{kind}_remove", kind, kept)
        return True
