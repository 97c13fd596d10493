"""What the engine asks a channel to do. Channels carry these out; they
never decide. A mention is a list of contact ids: each channel renders it in
its own way (WeChat: ``@群昵称\u2005``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Send:
    """A message in the group, optionally @mentioning members."""

    room_id: str
    text: str
    mention_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendPrivate:
    """A private message to one contact (a warning, or a note to the owner)."""

    contact_id: str
    text: str
    room_id: str | None = None     # the room it concerns, for the channel's records


@dataclass(frozen=True)
class Remove:
    room_id: str
    member_id: str


Action = Send | SendPrivate | Remove
