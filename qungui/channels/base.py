"""The channel contract and the one loop that joins a channel to the engine.

A channel translates platform traffic into ``core.events`` and carries out
``core.actions``; it never decides. ``deliver`` is the whole wiring.
"""

from __future__ import annotations

import logging
from typing import Protocol

from datetime import datetime

from qungui.core.actions import Action
from qungui.core.events import Event
from qungui.pipeline.outcome import Outcome

log = logging.getLogger(__name__)


class Channel(Protocol):
    async def perform(self, actions: list[Action]) -> None: ...


class EventHandler(Protocol):
    """What a channel hands events to (the engine, ``qungui.pipeline.engine``).
    ``durable``: the actions it returns are in the outbox already (a channel
    with a sender, the live one, carries them out from there)."""

    durable: bool

    async def handle(self, event: Event, *, speak: bool = True) -> Outcome: ...

    async def tick(self, now: datetime) -> list[Action]: ...


async def deliver(moderator: EventHandler, channel: Channel, event: Event) -> Outcome:
    """Handle one event and carry out what the engine decided.

    The engine has committed the incident before returning, so a failure to
    send is logged (and retried by channels that queue) but loses no record.
    """
    outcome = await moderator.handle(event)
    if outcome.actions:
        try:
            await channel.perform(outcome.actions)
        except Exception:  # noqa: BLE001 - the record is kept; the bot keeps running
            log.exception("channel failed to carry out %d action(s)", len(outcome.actions))
    return outcome
