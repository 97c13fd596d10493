"""Reviewer accounts for the web page: a user name, the rooms it may review
("*" for every room) and a password hash made by ``web.auth``. Changes are
written to the audit log (never the hash).

Replacing an account's password or rooms, or deleting it, ends its signed-in
sessions (``web_sessions``) in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select

from qungui.storage.models import AuditRow, WebAccountRow, WebSessionRow
from qungui.storage.repository import Repository

ALL_ROOMS = "*"


@dataclass(frozen=True)
class Account:
    username: str
    password_hash: str
    rooms: frozenset[str] | None         # None: every room

    @property
    def stamp(self) -> str:
        """A fingerprint of the password hash and the rooms: a session made
        for one stamp is void once the account has another."""
        return account_stamp(self.password_hash, self.rooms)


def account_stamp(password_hash: str, rooms: frozenset[str] | None) -> str:
    scope = ALL_ROOMS if rooms is None else "\n".join(sorted(rooms))
    return hashlib.sha256(f"{password_hash}\n{scope}".encode("utf-8")).hexdigest()


def account_of(username: str, rows) -> Account | None:
    """The account stored in its ``web_accounts`` rows (one per room)."""
    rows = list(rows)
    if not rows:
        return None
    rooms = {r.room_id for r in rows}
    return Account(username, rows[0].password_hash, None if ALL_ROOMS in rooms else frozenset(rooms))


class AccountStore:
    def __init__(self, repo: Repository):
        self.sessions = repo.sessions

    async def get(self, username: str) -> Account | None:
        async with self.sessions() as s:
            rows = list(await s.scalars(select(WebAccountRow).where(WebAccountRow.username == username)))
        return account_of(username, rows)

    async def set_password(self, username: str, password_hash: str, rooms: list[str],
                           actor: str) -> bool:
        """Create the account or replace its password and rooms; True if new.
        Its open sessions end."""
        async with self.sessions.begin() as s:
            old = list(await s.scalars(select(WebAccountRow).where(WebAccountRow.username == username)))
            await s.execute(delete(WebAccountRow).where(WebAccountRow.username == username))
            await s.execute(delete(WebSessionRow).where(WebSessionRow.username == username))
            for room in sorted(set(rooms)):
                s.add(WebAccountRow(room_id=room, username=username, password_hash=password_hash))
            s.add(AuditRow(room_id=ALL_ROOMS, actor_id=actor, action="web_password",
                           target=f"web:{username}", before=sorted(r.room_id for r in old) or None,
                           after=sorted(set(rooms))))
        return not old

    async def delete(self, username: str, actor: str) -> bool:
        """Remove the account and end its open sessions; False if there was none."""
        async with self.sessions.begin() as s:
            result = await s.execute(delete(WebAccountRow).where(WebAccountRow.username == username))
            await s.execute(delete(WebSessionRow).where(WebSessionRow.username == username))
            if result.rowcount:
                s.add(AuditRow(room_id=ALL_ROOMS, actor_id=actor, action="web_account_delete",
                               target=f"web:{username}"))
        return bool(result.rowcount)

    async def list(self) -> list[tuple[str, list[str]]]:
        async with self.sessions() as s:
            rows = list(await s.scalars(select(WebAccountRow).order_by(WebAccountRow.username,
                                                                       WebAccountRow.room_id)))
        out: dict[str, list[str]] = {}
        for r in rows:
            out.setdefault(r.username, []).append(r.room_id)
        return list(out.items())
