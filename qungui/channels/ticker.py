"""The timer that drives the engine's timed duties (the daily work-report
reminder): every ``interval`` seconds it asks the engine what is due at
``now()`` and hands the actions to the channel. ``now`` is injectable, so
the console can move its clock and tests can run a day in a second."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Callable

from qungui.channels.base import Channel, EventHandler

log = logging.getLogger(__name__)

INTERVAL = 30.0


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


async def tick_once(moderator: EventHandler, channel: Channel, now: datetime) -> int:
    """Carry out what is due at ``now``; returns how many actions there were."""
    actions = await moderator.tick(now)
    if actions:
        try:
            await channel.perform(actions)
        except Exception:  # noqa: BLE001 - the reminder is recorded; the bot keeps running
            log.exception("channel failed to carry out %d timed action(s)", len(actions))
    return len(actions)


async def run_duties(moderator: EventHandler, channel: Channel, *,
                     now: Callable[[], datetime] = utc_now, interval: float = INTERVAL) -> None:
    """Run until cancelled; a failing tick is logged and the next one still comes."""
    while True:
        await asyncio.sleep(interval)
        try:
            await tick_once(moderator, channel, now())
        except Exception:  # noqa: BLE001 - a timer must outlive one bad tick
            log.exception("timed duties failed at this tick; trying again in %ss", interval)
