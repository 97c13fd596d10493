"""The parts of an archive that audits on several hosts share through the
database (``bot.py audit --store --claim P``): registered once, each claimed
by one host at a time, marked done with its counts.

A claim is a lease: ``claimed_at`` is renewed while the part runs, and a
claim older than the lease is taken to belong to a host that died and may be
taken over. The incident writes are idempotent, so a part run twice stores
nothing twice. On PostgreSQL the times are the server's (one clock for every
host); on SQLite, one machine's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update

from qungui.storage.bulk import insert_ignoring
from qungui.storage.models import AuditPartRow as P, utcnow

OPEN, CLAIMED, DONE = "open", "claimed", "done"


class PartsMismatch(Exception):
    """The archive is registered with another number of parts."""

    def __init__(self, registered: int):
        super().__init__(registered)
        self.registered = registered


class ArchiveParts:
    def __init__(self, sessions, dialect: str, archive: str):
        self.sessions, self.dialect, self.archive = sessions, dialect, archive

    def _now(self):
        return func.now() if self.dialect == "postgresql" else utcnow()

    def _stale(self, lease: timedelta):
        """Claims taken before this have outlived the lease."""
        return self._now() - lease

    async def register(self, parts: int) -> None:
        """The archive's ``parts`` rows, open; nothing if they are there. Part 0
        is written first and decides the number: a host asking for another
        number is refused (``PartsMismatch``) before it writes a row."""
        async with self.sessions.begin() as s:
            await s.execute(insert_ignoring(self.dialect, P, ("archive", "part")).values(
                archive=self.archive, part=0, parts=parts))
        async with self.sessions() as s:
            registered = await s.scalar(select(P.parts).where(P.archive == self.archive,
                                                              P.part == 0))
        if registered != parts:
            raise PartsMismatch(registered)
        if parts > 1:
            async with self.sessions.begin() as s:
                await s.execute(insert_ignoring(self.dialect, P, ("archive", "part")),
                                [{"archive": self.archive, "part": k, "parts": parts}
                                 for k in range(1, parts)])

    def _outlived(self, lease: timedelta):
        """A claim older than ``lease``."""
        return and_(P.state == CLAIMED, P.claimed_at < self._stale(lease))

    def _claimable(self, lease: timedelta):
        return and_(P.archive == self.archive, or_(P.state == OPEN, self._outlived(lease)))

    async def claim(self, me: str, lease: timedelta) -> int | None:
        """An open part (or one whose claim outlived ``lease``), now claimed by
        ``me``; None when there is none. Open parts go first, lowest first."""
        taking = {"state": CLAIMED, "claimed_by": me, "claimed_at": self._now(),
                  "done_at": None, "claims": P.claims + 1}
        order = (P.state.desc(), P.part)          # "open" sorts after "claimed"
        if self.dialect == "postgresql":
            # the row locked while it is marked; another host's look skips it
            async with self.sessions.begin() as s:
                part = await s.scalar(select(P.part).where(self._claimable(lease))
                                      .order_by(*order).limit(1)
                                      .with_for_update(skip_locked=True))
                if part is not None:
                    await s.execute(update(P).where(P.archive == self.archive, P.part == part)
                                    .values(**taking))
                return part
        while True:
            # SQLite: the update takes the part only if it is still as it was seen
            async with self.sessions.begin() as s:
                seen = (await s.execute(select(P.part, P.state).where(self._claimable(lease))
                                        .order_by(*order).limit(1))).first()
                if seen is None:
                    return None
                still = P.state == OPEN if seen.state == OPEN else self._outlived(lease)
                got = await s.execute(update(P).where(P.archive == self.archive,
                                                      P.part == seen.part, still)
                                      .values(**taking))
                if got.rowcount == 1:
                    return seen.part

    async def renew(self, part: int, me: str) -> bool:
        """The lease of ``me``'s claim on ``part`` starts again; False when the
        part is no longer ``me``'s (taken over, or done by another)."""
        async with self.sessions.begin() as s:
            got = await s.execute(update(P).where(P.archive == self.archive, P.part == part,
                                                  P.state == CLAIMED, P.claimed_by == me)
                                  .values(claimed_at=self._now()))
        return got.rowcount == 1

    async def done(self, part: int, me: str, processed: int, failed: int) -> bool:
        """The part is done, by ``me``, with its counts; False when another
        host that took it over marked it done first."""
        async with self.sessions.begin() as s:
            got = await s.execute(update(P).where(P.archive == self.archive, P.part == part,
                                                  P.state == CLAIMED)
                                  .values(state=DONE, claimed_by=me, done_at=self._now(),
                                          processed=processed, failed=failed))
        return got.rowcount == 1

    async def states(self) -> dict[str, int]:
        """How many of the archive's parts are open, claimed and done."""
        async with self.sessions() as s:
            rows = (await s.execute(select(P.state, func.count()).where(
                P.archive == self.archive).group_by(P.state))).all()
        return {OPEN: 0, CLAIMED: 0, DONE: 0, **{state: n for state, n in rows}}
