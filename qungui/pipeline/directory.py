"""The rooms the bot knows, their members, and the bot's own contact id.

Channels get this directory (to name a member in an @mention, to tell a
contact the bot shares a room with, to record which account it logged in
as and how its connection stands), never the engine itself.
"""

from __future__ import annotations

from qungui.core.events import Room
from qungui.core.ports import ConnectionState


class RoomDirectory:
    def __init__(self, bot_id: str = "bot"):
        self.bot_id = bot_id          # set again by the channel at login
        self.rooms: dict[str, Room] = {}
        self.connection: ConnectionState | None = None   # set by a live channel

    def room(self, room_id: str) -> Room:
        """The room, created empty if the bot has not seen it yet."""
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = Room(id=room_id)
        return room

    def put(self, room: Room) -> None:
        self.rooms[room.id] = room

    def all(self) -> list[Room]:
        return list(self.rooms.values())

    def member_display(self, room_id: str, contact_id: str) -> str | None:
        """The member's group nickname (or name) as the bot knows it."""
        room = self.rooms.get(room_id)
        member = room.members.get(contact_id) if room else None
        return member.display if member else None

    def shares_a_room(self, contact_id: str) -> bool:
        return any(contact_id in r.members for r in self.rooms.values())

    def rooms_of(self, contact_id: str) -> list[Room]:
        """The rooms the contact is a member of, in a stable order."""
        return sorted((r for r in self.rooms.values() if contact_id in r.members),
                      key=lambda r: (r.topic or r.id, r.id))

    def log_in_as(self, contact_id: str) -> None:
        """The account the channel logged in as: its messages never trigger rules."""
        self.bot_id = contact_id

    def __len__(self) -> int:
        return len(self.rooms)
