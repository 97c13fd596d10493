"""What the review site keeps in the database so that several web processes
share it and a restart forgets nothing: signed-in sessions and sign-in
attempts. The policy (how long a session lives, how many failures lock what)
is ``qungui.web.auth``'s; this module stores and counts.

- ``web_sessions``: one row per room of the session's account ("*" for every
  room), keyed by a SHA-256 hash of the session id; the id itself is never
  stored.
- ``web_sign_in_attempts``: one row per attempt, written and committed before
  the password is checked, so that concurrent attempts see one another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from qungui.storage.accounts import ALL_ROOMS, Account, account_of
from qungui.storage.models import SignInAttemptRow, WebAccountRow, WebSessionRow
from qungui.storage.repository import Repository

MAX_ADDRESS = 64


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredSession:
    username: str
    rooms: frozenset[str] | None         # None: every room
    account_stamp: str
    created_at: datetime
    seen_at: datetime
    account: Account | None              # the account as it is now; None once deleted


class WebSessions:
    """Signed-in sessions, shared by every web process on the database."""

    def __init__(self, repo: Repository):
        self.sessions = repo.sessions

    async def create(self, id_hash: str, account: Account, now: datetime) -> None:
        rooms = [ALL_ROOMS] if account.rooms is None else sorted(account.rooms)
        async with self.sessions.begin() as s:
            for room in rooms:
                s.add(WebSessionRow(id_hash=id_hash, room_id=room, username=account.username,
                                    account_stamp=account.stamp, created_at=now, seen_at=now))

    async def find(self, id_hash: str) -> StoredSession | None:
        """The session and its account as stored now, in one read."""
        async with self.sessions() as s:
            rows = list(await s.scalars(select(WebSessionRow).where(WebSessionRow.id_hash == id_hash)))
            if not rows:
                return None
            first = rows[0]
            accounts = await s.scalars(select(WebAccountRow)
                                       .where(WebAccountRow.username == first.username))
            account = account_of(first.username, accounts)
        rooms = {r.room_id for r in rows}
        return StoredSession(first.username, None if ALL_ROOMS in rooms else frozenset(rooms),
                             first.account_stamp, min(r.created_at for r in rows),
                             min(r.seen_at for r in rows), account)

    async def touch(self, id_hash: str, now: datetime, *, unless_since: datetime) -> None:
        """Mark the session used now, unless that was already noted after
        ``unless_since`` (so a busy page does not write on every request)."""
        async with self.sessions.begin() as s:
            await s.execute(update(WebSessionRow)
                            .where(WebSessionRow.id_hash == id_hash,
                                   WebSessionRow.seen_at < unless_since)
                            .values(seen_at=now))

    async def end(self, id_hash: str) -> None:
        async with self.sessions.begin() as s:
            await s.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == id_hash))

    async def prune(self, *, seen_before: datetime, created_before: datetime) -> int:
        """Remove sessions idle since ``seen_before`` or begun before ``created_before``."""
        async with self.sessions.begin() as s:
            result = await s.execute(delete(WebSessionRow).where(
                (WebSessionRow.seen_at < seen_before) | (WebSessionRow.created_at < created_before)))
        return result.rowcount or 0

    async def count(self) -> int:
        async with self.sessions() as s:
            return await s.scalar(select(func.count(func.distinct(WebSessionRow.id_hash)))) or 0


@dataclass(frozen=True)
class AttemptCount:
    """One attempt, already written, and what it saw counting after itself."""

    id: int
    account_recent: list[tuple[int, datetime]]   # (id, when), newest first, this one included
    address_recent: list[tuple[int, datetime]]


class SignInAttempts:
    """Sign-in attempts per account name and per address within a window."""

    def __init__(self, repo: Repository):
        self.sessions = repo.sessions

    @staticmethod
    def account_key(username: str) -> str:
        return digest("account:" + username)

    async def begin(self, username: str, address: str, now: datetime, *, since: datetime,
                    account_limit: int, address_limit: int) -> AttemptCount:
        """Write the attempt and commit it, then count the attempts since
        ``since`` (this one included) for its account and its address.

        Because every attempt is committed before it counts, the k-th attempt
        to commit sees at least k rows: however many arrive at once, no more
        than ``limit`` of them see ``limit`` rows or fewer. Up to ``limit + 1``
        of the newest times are returned for each key.
        """
        key = self.account_key(username)
        row = SignInAttemptRow(room_id=ALL_ROOMS, account_hash=key, address=address[:MAX_ADDRESS],
                               ts=now)
        async with self.sessions.begin() as s:
            s.add(row)
        async with self.sessions() as s:
            by_account = (await s.execute(
                select(SignInAttemptRow.id, SignInAttemptRow.ts)
                .where(SignInAttemptRow.account_hash == key, SignInAttemptRow.ts >= since)
                .order_by(SignInAttemptRow.ts.desc(), SignInAttemptRow.id.desc())
                .limit(account_limit + 1))).all()
            by_address = (await s.execute(
                select(SignInAttemptRow.id, SignInAttemptRow.ts)
                .where(SignInAttemptRow.address == row.address, SignInAttemptRow.ts >= since)
                .order_by(SignInAttemptRow.ts.desc(), SignInAttemptRow.id.desc())
                .limit(address_limit + 1))).all()
        return AttemptCount(row.id, [tuple(r) for r in by_account], [tuple(r) for r in by_address])

    async def ranks(self, attempt_id: int, username: str, address: str, *,
                    since: datetime) -> tuple[int, int]:
        """How many attempts since ``since`` came before this one (by id) for
        its account and for its address."""
        key = self.account_key(username)
        async with self.sessions() as s:
            before = (SignInAttemptRow.id < attempt_id, SignInAttemptRow.ts >= since)
            by_account = await s.scalar(select(func.count()).select_from(SignInAttemptRow)
                                        .where(SignInAttemptRow.account_hash == key, *before))
            by_address = await s.scalar(select(func.count()).select_from(SignInAttemptRow)
                                        .where(SignInAttemptRow.address == address[:MAX_ADDRESS],
                                               *before))
        return by_account or 0, by_address or 0

    async def withdraw(self, attempt_id: int) -> None:
        """Remove an attempt that is not to count."""
        async with self.sessions.begin() as s:
            await s.execute(delete(SignInAttemptRow).where(SignInAttemptRow.id == attempt_id))

    async def clear_account(self, username: str, attempt_id: int, *, since: datetime) -> None:
        """A successful sign-in: the account's recent failures, and this
        attempt, no longer count."""
        key = self.account_key(username)
        async with self.sessions.begin() as s:
            await s.execute(delete(SignInAttemptRow).where(
                (SignInAttemptRow.id == attempt_id)
                | ((SignInAttemptRow.account_hash == key) & (SignInAttemptRow.ts >= since))))

    async def prune(self, before: datetime) -> int:
        """Forget attempts older than ``before`` (only ones no window still counts)."""
        async with self.sessions.begin() as s:
            result = await s.execute(delete(SignInAttemptRow).where(SignInAttemptRow.ts < before))
        return result.rowcount or 0

    async def count(self) -> int:
        async with self.sessions() as s:
            return await s.scalar(select(func.count()).select_from(SignInAttemptRow)) or 0
