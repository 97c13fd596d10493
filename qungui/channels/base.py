"""The channel contract and the one loop that joins a channel to the engine.

A channel translates platform traffic into ``core.events`` and carries out
``core.actions``; it never decides. ``deliver`` is the whole wiring.
"""

from __future__ import annotations

import logging
from typing import Protocol

from qungui.core.actions import Action
from qungui.pipeline.engine import Moderator, Outcome
from qungui.core.events import Event

log = logging.getLogger(__name__)


class Channel(Protocol):
    async def perform(self, actions: list[Action]) -> None: ...


async def deliver(moderator: Moderator, channel: Channel, event: Event) -> Outcome:
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
