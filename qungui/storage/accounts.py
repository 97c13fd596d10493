"""Reviewer accounts for the web page: a user name, the rooms it may review
("*" for every room) and a password hash made by ``web.auth``. Changes are
written to the audit log (never the hash)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from qungui.storage.models import AuditRow, WebAccountRow
from qungui.storage.repository import Repository

ALL_ROOMS = "*"


@dataclass(frozen=True)
class Account:
    username: str
    password_hash: str
    rooms: frozenset[str] | None         # None: every room


class AccountStore:
    def __init__(self, repo: Repository):
        self.sessions = repo.sessions

    async def get(self, username: str) -> Account | None:
        async with self.sessions() as s:
            rows = list(await s.scalars(select(WebAccountRow).where(WebAccountRow.username == username)))
        if not rows:
            return None
        rooms = {r.room_id for r in rows}
        return Account(username, rows[0].password_hash,
                       None if ALL_ROOMS in rooms else frozenset(rooms))

    async def set_password(self, username: str, password_hash: str, rooms: list[str],
                           actor: str) -> bool:
        """Create the account or replace its password and rooms; True if new."""
        async with self.sessions.begin() as s:
            old = list(await s.scalars(select(WebAccountRow).where(WebAccountRow.username == username)))
            await s.execute(delete(WebAccountRow).where(WebAccountRow.username == username))
            for room in sorted(set(rooms)):
                s.add(WebAccountRow(room_id=room, username=username, password_hash=password_hash))
            s.add(AuditRow(room_id=ALL_ROOMS, actor_id=actor, action="web_password",
                           target=f"web:{username}", before=sorted(r.room_id for r in old) or None,
                           after=sorted(set(rooms))))
        return not old

    async def delete(self, username: str, actor: str) -> bool:
        async with self.sessions.begin() as s:
            result = await s.execute(delete(WebAccountRow).where(WebAccountRow.username == username))
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
