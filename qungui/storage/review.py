"""Queries for reviewing the incident log: filtered lists, one incident with
its context, review decisions, appeals and the counts behind the overview.

Shared by ``bot.py log``/``stats`` and the web page. Like the repository it
returns data, never text for people. Every query can be limited to the rooms
a reviewer may see (``rooms``: None means every room).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Mapping

from sqlalchemy import String, and_, cast, delete, distinct, func, or_, select

from qungui.core.events import CHINA_TZ as _CHINA
from qungui.core.plugin import RuleSpec, is_redacted
from qungui.core.ports import DISMISSALS_KEPT
from qungui.storage.models import (AppealRow, AuditRow, DismissalRow, IncidentRow, MessageRow,
                                   ReviewRow, RoomRow, utcnow)
from qungui.storage.repository import Repository

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

    def conditions(self) -> list:
        conds = [IncidentRow.kind.in_(REVIEWABLE)]
        if self.rooms is not None:
            conds.append(IncidentRow.room_id.in_(sorted(self.rooms)))
        if self.room:
            conds.append(IncidentRow.room_id == self.room)
        if self.rule:
            conds.append(IncidentRow.rule == self.rule)
        if self.member:
            conds.append(or_(IncidentRow.sender_id == self.member,
                             IncidentRow.sender_name.ilike(_contains(self.member), escape="\\")))
        if self.status:
            conds.append(IncidentRow.status == self.status)
        if self.since:
            conds.append(IncidentRow.ts >= self.since)
        if self.until:
            conds.append(IncidentRow.ts < self.until)
        if self.text:
            pattern = _contains(self.text)
            conds.append(or_(*(col.ilike(pattern, escape="\\") for col in (
                IncidentRow.evidence, IncidentRow.reason, IncidentRow.excerpt,
                IncidentRow.sender_name, IncidentRow.sender_id, IncidentRow.warning_text))))
        return conds


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

    # --- lists -------------------------------------------------------------

    async def incidents(self, f: IncidentFilter, *, offset: int = 0,
                        limit: int = 50) -> tuple[list[IncidentRow], int]:
        """One page of incidents, newest first, and how many match in all."""
        conds = and_(*f.conditions())
        async with self.sessions() as s:
            total = await s.scalar(select(func.count()).select_from(IncidentRow).where(conds)) or 0
            rows = list(await s.scalars(
                select(IncidentRow).where(conds)
                .order_by(IncidentRow.ts.desc(), IncidentRow.id.desc())
                .offset(max(0, offset)).limit(max(0, limit))))
        return rows, total

    async def rooms(self, scope: frozenset[str] | None = None) -> list[tuple[str, str]]:
        """(room id, topic) of every room with incidents or settings, for filter menus."""
        async with self.sessions() as s:
            ids = set(await s.scalars(select(IncidentRow.room_id).distinct()))
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
        conds = and_(*f.conditions(), IncidentRow.kind == "violation",
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
        return IncidentDetail(row, siblings, before, message, after, reviews, appeals,
                              room.topic if room else "")

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
            row = await s.get(IncidentRow, incident_id, with_for_update=True)
            if row is None or row.kind not in REVIEWABLE or (scope is not None and row.room_id not in scope):
                raise ReviewError("not_found", f"no incident {incident_id}")
            if phrase and not self._allowable(row.rule):
                raise ReviewError("phrase_not_allowed",
                                  f"rule {row.rule} is never silenced by a room's allow phrase")
            before = row.status
            now = utcnow()
            row.status, row.reviewed_by, row.reviewed_at = status, reviewer, now
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
        """
        conds = and_(*f.conditions())
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
                .order_by(func.count(distinct(IncidentRow.message_id)).desc(), IncidentRow.sender_id)
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
