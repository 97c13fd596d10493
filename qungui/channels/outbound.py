"""The sender: works off one account's rows of the durable outbox.

The engine writes everything the bot is to say or do into the outbox in the
same transaction as the incident or command that caused it
(``core.ports.Outbox``); this task carries the rows out through the
platform, paced like a careful person, because WeChat's risk control bans
accounts that talk like machines:

- at most ``per_second`` sends in any second and ``per_minute`` in any
  sliding minute, all chats together, and ``min_gap_seconds`` (plus up to
  half again at random) between any two; the times come from the outbox's
  rows of the account, so a restart starts with the last minute's sends;
- at least ``room_gap_seconds`` (plus random jitter) between two sends in
  one chat;
- the most urgent first: a secret rule's notices, then warnings, answers,
  reminders, greetings last;
- warnings to one member in one chat within the merge window go out as one
  message (a warning is held that long first; the rows merged are marked so);
- each send waits at most ``send_timeout_seconds``; a failure or a timeout
  is retried with backoff, up to ``max_attempts``; a row older than
  ``stale_after_seconds`` is not sent any more (expired);
- a row is claimed (``sending``, with a lease) before the send and marked
  sent in a short transaction of its own right after it returns. A row found
  ``sending`` with its lease run out was being sent when its process died:
  whether it arrived is unknown, and it is never sent again (at most once).

On shutdown the sender keeps sending what is due for ``drain_seconds``
(holds cut short); a send still in flight then is abandoned and retried at
the next start. Nothing waits in memory, so a kill loses nothing.

The JSONL files of earlier versions (``outbound-unsent.jsonl``,
``outbound-failed.jsonl``) are imported into the outbox once at the first
login and renamed ``*.imported``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Protocol

from qungui.core.ports import OutboxItem, OutboxQueue
from qungui.core.rulebook import Sending

log = logging.getLogger(__name__)

MENTION_SEPARATOR = "\u2005"   # WeChat ends an @mention with a four-per-em space
MAX_BACKOFF = 300.0
OFFLINE_POLL = 1.0            # while the platform is unreachable, look again this often
IDLE_POLL = 2.0               # nothing due: look at the outbox again this often (other writers)
HOUSEKEEPING = 5.0            # expire stale rows and settle dead leases this often
LEASE_MARGIN = 10.0           # a claim outlives the send timeout by this much
LEGACY_FILES = ("outbound-unsent.jsonl", "outbound-failed.jsonl")
DONE = -1.0                   # _step: draining, and nothing more is due


def window_margin(window: float) -> float:
    """A budget window is kept a little wider than its nominal length, so the
    platform, whose clock sees the sends a few milliseconds apart from ours,
    never counts one more in it."""
    return window + max(0.1, window * 0.02)


class Transport(Protocol):
    """What the sender needs from a platform."""

    async def send_text(self, conversation_id: str, text: str,
                        mention_ids: tuple[str, ...]) -> None: ...

    async def remove_member(self, room_id: str, member_id: str) -> None: ...

    def mention_name(self, room_id: str, contact_id: str) -> str: ...

    def available(self) -> bool:
        """False while disconnected: sending waits instead of burning its retries."""


def render_mentions(text: str, names: Iterable[str]) -> str:
    """``@{name}\\u2005text``: the form WeChat highlights as a mention."""
    return "".join(f"@{name}{MENTION_SEPARATOR}" for name in names) + text


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


@dataclass
class SenderStats:
    sent: int = 0
    merged: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    unknown: int = 0
    timeouts: int = 0
    imported: int = 0


class Pace:
    """When the next send may go: the budgets over all chats and the gap in
    each chat. Times are wall-clock seconds (they come back from the database
    after a restart)."""

    def __init__(self, policy: Sending, rng: random.Random):
        self.policy, self.rng = policy, rng
        self.sends: deque[float] = deque()         # send times within the longest window
        self.next_any = 0.0                         # the global gap
        self.next_in: dict[str, float] = {}         # chat -> earliest time of its next send

    def load(self, history: list[tuple[float, str]]) -> None:
        for t, chat in sorted(history):
            self.note(t, chat)

    def windows(self) -> tuple[tuple[float, int], ...]:
        return ((window_margin(1.0), self.policy.per_second),
                (window_margin(60.0), self.policy.per_minute))

    def note(self, t: float, chat: str) -> None:
        p = self.policy
        self.sends.append(t)
        self.next_any = max(self.next_any, t + p.min_gap_seconds * (1 + 0.5 * self.rng.random()))
        self.next_in[chat] = max(self.next_in.get(chat, 0.0),
                                 t + p.room_gap_seconds + self.rng.uniform(0, p.jitter_seconds))

    def free_at(self, now: float) -> float:
        """The earliest time any send may go, by the budgets and the global gap."""
        longest = max(w for w, _ in self.windows())
        while self.sends and self.sends[0] <= now - longest:
            self.sends.popleft()
        at = self.next_any
        for window, limit in self.windows():
            inside = [t for t in self.sends if t > now - window]
            if len(inside) >= limit:
                at = max(at, inside[-limit] + window)
        return at

    def chat_free_at(self, chat: str) -> float:
        return self.next_in.get(chat, 0.0)


class OutboxSender:
    """Works off the outbox rows of the account ``account()`` names (None
    until logged in) through ``transport``."""

    def __init__(self, queue: OutboxQueue, transport: Transport, policy: Sending, *,
                 account: Callable[[], str | None], legacy_dir: str | Path | None = None,
                 now: Callable[[], float] = time.time, rng: random.Random | None = None):
        self.queue = queue
        self.transport = transport
        self.policy = policy
        self.account = account
        self.legacy_dir = Path(legacy_dir) if legacy_dir is not None else None
        self.now = now
        self.rng = rng or random.Random()
        self.pace = Pace(policy, self.rng)
        self.stats = SenderStats()
        self.claimant = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._closing = False
        self._deadline = float("inf")
        self._task: asyncio.Task | None = None
        self._ready_for: str | None = None     # the account whose history is loaded
        self._housekept = 0.0
        self._counted = float("-inf")
        self.pending = 0          # the account's rows waiting, as last counted (for /status)

    # --- control -----------------------------------------------------------------

    def wake(self) -> None:
        """Something was written to the outbox: look now (and count it)."""
        self._counted = float("-inf")
        self._wake.set()

    def start(self) -> asyncio.Task:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="outbox-sender")
        return self._task

    async def close(self, drain_seconds: float | None = None) -> None:
        """Keep sending what is due for up to ``drain_seconds``, then stop; a
        send in flight at the end is abandoned (retried at the next start)."""
        drain = self.policy.drain_seconds if drain_seconds is None else drain_seconds
        self._closing = True
        self._deadline = self.now() + drain
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), drain + 1.0)
        except asyncio.TimeoutError:
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _pause(self, seconds: float) -> None:
        if self._closing:
            seconds = min(seconds, self._deadline - self.now())
        try:
            await asyncio.wait_for(self._wake.wait(), max(seconds, 0.0))
        except asyncio.TimeoutError:
            pass

    # --- the loop --------------------------------------------------------------------

    async def run(self) -> None:
        while not (self._closing and self.now() >= self._deadline):
            self._wake.clear()
            try:
                delay = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be down; rows wait there
                log.warning("the outbox could not be worked (%s: %s); trying again",
                            type(exc).__name__, str(exc)[:200])
                delay = OFFLINE_POLL * 5
            if delay == DONE:
                return
            if delay is not None:
                await self._pause(delay)

    async def _step(self) -> float | None:
        """Send one row if one may go now (None: look again at once), else
        how long to wait."""
        account = self.account()
        if account and self.now() - self._counted >= HOUSEKEEPING:
            self._counted = self.now()
            self.pending = await self.queue.waiting(account)
        if not account or not self.transport.available():
            return OFFLINE_POLL
        if self._ready_for != account:
            await self._prepare(account)
        now = self.now()
        if now - self._housekept >= HOUSEKEEPING:
            await self._housekeeping(account, now)
        free = self.pace.free_at(now)
        if free > now:
            return free - now
        # draining: a warning held for merging goes now
        horizon = now + (self.policy.merge_window_seconds if self._closing else 0.0)
        due = await self.queue.due(account, utc(horizon))
        waits = []
        for row_id, chat, _priority, _created in due:
            chat_free = self.pace.chat_free_at(chat)
            if chat_free > now:
                waits.append(chat_free - now)
                continue
            item = await self.queue.claim(row_id, self.claimant,
                                          utc(now + self.policy.send_timeout_seconds + LEASE_MARGIN),
                                          self.policy.merge_window_seconds)
            if item is None:
                continue
            self.stats.merged += item.parts - 1
            await self._send(item, now)
            return None
        if waits:
            return min(waits)
        if self._closing:
            return DONE      # draining: nothing more is due
        nxt = await self.queue.next_due(account)
        if nxt is not None:
            return min(max(nxt.timestamp() - now, 0.01), IDLE_POLL)
        return IDLE_POLL

    async def _prepare(self, account: str) -> None:
        """The last minute's sends of the account (the budget across restarts),
        and the files of earlier versions."""
        now = self.now()
        history = await self.queue.recent_sends(account, utc(now - window_margin(60.0)))
        self.pace.load([(t.timestamp(), chat) for t, chat in history if t is not None])
        await self._housekeeping(account, now)
        await self._import(account)
        self._ready_for = account
        if history:
            log.info("outbox: %d send(s) of %s in the last minute count against the budget",
                     len(history), account)

    async def _housekeeping(self, account: str, now: float) -> None:
        self._housekept = now
        unknown = await self.queue.settle_leases(account, utc(now))
        expired = await self.queue.expire(account, utc(now - self.policy.stale_after_seconds),
                                          utc(now))
        self.stats.unknown += unknown
        self.stats.expired += expired
        if expired:
            log.warning("outbox: %d item(s) of %s not sent within %gs expired", expired, account,
                        self.policy.stale_after_seconds)

    async def _send(self, item: OutboxItem, now: float) -> None:
        timeout = self.policy.send_timeout_seconds
        if self._closing:
            timeout = max(0.1, min(timeout, self._deadline - now))
        try:
            try:
                await asyncio.wait_for(self._carry_out(item), timeout)
            finally:
                # counted when the call is over: the platform has it by then at the
                # latest, so the next send is timed from no earlier than its arrival
                self.pace.note(self.now(), item.conversation)
        except asyncio.CancelledError:
            # shutting down mid-send: as if it timed out; retried at the next start
            await asyncio.shield(self.queue.failed(item, self.claimant, "cancelled at shutdown",
                                                   retry_at=utc(self.now())))
            raise
        except Exception as exc:  # noqa: BLE001 - any platform error (or a timeout) is retried
            if isinstance(exc, asyncio.TimeoutError):
                self.stats.timeouts += 1
                error = f"no answer within {timeout:g}s"
            else:
                error = f"{type(exc).__name__}: {exc}"[:300]
            attempts = item.attempts + 1
            if attempts >= self.policy.max_attempts:
                self.stats.failed += 1
                await self.queue.failed(item, self.claimant, error, retry_at=None)
                log.error("gave up sending outbox row %d to %s after %d attempts (%s)",
                          item.id, item.conversation, attempts, error)
                return
            backoff = min(self.policy.retry_base_seconds * 2 ** (attempts - 1), MAX_BACKOFF)
            backoff *= 1 + 0.25 * self.rng.random()
            await self.queue.failed(item, self.claimant, error, retry_at=utc(self.now() + backoff))
            self.stats.retried += 1
            log.warning("send to %s failed (%s); attempt %d of %d in %.1fs", item.conversation,
                        error, attempts, self.policy.max_attempts, backoff)
            return
        # the one unavoidable window: sent, not yet marked; kept as short as it goes
        await asyncio.shield(self.queue.sent(item, self.claimant, utc(self.now())))
        self.stats.sent += 1

    async def _carry_out(self, item: OutboxItem) -> None:
        if item.kind == "removal" and item.member_id:
            await self.transport.remove_member(item.room_id, item.member_id)
            return
        text = item.text
        if item.mention_ids and item.room_id:
            names = [self.transport.mention_name(item.room_id, m) for m in item.mention_ids]
            text = render_mentions(text, names)
        await self.transport.send_text(item.conversation, text, item.mention_ids)

    # --- the files of earlier versions --------------------------------------------------

    async def _import(self, account: str) -> None:
        if self.legacy_dir is None:
            return
        for name in LEGACY_FILES:
            path = self.legacy_dir / name
            if path.is_file():
                await self._import_file(path, account)

    async def _import_file(self, path: Path, account: str) -> None:
        records = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    log.error("%s line %d is not valid JSON; left in %s.imported", path, n, path.name)
        queued, expired = await self.queue.import_records(records, account, utc(self.now()),
                                                          self.policy.stale_after_seconds)
        path.rename(path.with_name(path.name + ".imported"))
        self.stats.imported += queued
        log.warning("imported %s into the outbox: %d to send, %d too old (expired); the file "
                    "is now %s.imported", path, queued, expired, path.name)
