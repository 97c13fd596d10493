"""One outbound queue for every chat the bot speaks in.

WeChat's risk control bans accounts that talk like machines: bursts, many
groups at once, identical timing. So everything the bot says goes through
this queue, which paces it like a careful person:

- a global budget (at most ``per_minute`` sends in any sliding minute);
- a minimum gap between two sends in one chat, plus random jitter;
- warnings to one member that come close together are merged into one
  message (a group warning is held for ``merge_window_seconds`` for that);
- a failed send is retried with exponential backoff; after the last attempt
  it is written to ``outbound-failed.jsonl`` (fsynced), never dropped;
- on shutdown the queue keeps sending for ``drain_seconds``; whatever is
  left is written to ``outbound-unsent.jsonl`` and sent at the next start
  if it is still fresh.

The queue decides nothing about *what* to say: it carries out
``core.actions`` exactly, in order within each chat.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import random
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Protocol

from qungui.core.actions import Action, Remove, Send, SendPrivate
from qungui.core.rulebook import Sending

log = logging.getLogger(__name__)

MENTION_SEPARATOR = "\u2005"   # WeChat ends an @mention with a four-per-em space
BUDGET_WINDOW = 60.0
MAX_BACKOFF = 300.0
OFFLINE_POLL = 1.0            # while the platform is unreachable, look again this often
UNSENT_FILE = "outbound-unsent.jsonl"
FAILED_FILE = "outbound-failed.jsonl"


class Transport(Protocol):
    """What the queue needs from a platform."""

    async def send_text(self, conversation_id: str, text: str,
                        mention_ids: tuple[str, ...]) -> None: ...

    async def remove_member(self, room_id: str, member_id: str) -> None: ...

    def mention_name(self, room_id: str, contact_id: str) -> str: ...

    def available(self) -> bool:
        """False while disconnected: sending waits instead of burning its retries."""


class Clock(Protocol):
    def now(self) -> float: ...

    async def wait(self, delay: float | None, wake: asyncio.Event) -> None:
        """Return after ``delay`` seconds (never if None) or as soon as ``wake`` is set."""


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    async def wait(self, delay: float | None, wake: asyncio.Event) -> None:
        if delay is None:
            await wake.wait()
            return
        try:
            await asyncio.wait_for(wake.wait(), max(delay, 0.0))
        except asyncio.TimeoutError:
            pass


def render_mentions(text: str, names: Iterable[str]) -> str:
    """``@{name}\\u2005text``: the form WeChat highlights as a mention."""
    return "".join(f"@{name}{MENTION_SEPARATOR}" for name in names) + text


@dataclass
class Outgoing:
    """One thing to carry out in one chat (a room, or a contact for private messages)."""

    kind: str                                  # text | remove
    conversation: str
    text: str = ""
    mention_ids: tuple[str, ...] = ()
    room_id: str | None = None                 # the room it concerns
    member_id: str | None = None               # for removals
    mergeable: bool = False
    created_at: str = ""                       # wall clock, ISO 8601, for the records
    parts: int = 1                             # how many warnings were merged into it
    attempts: int = 0
    last_error: str = ""
    seq: int = field(default=0, compare=False)
    created: float = field(default=0.0, compare=False)     # queue clock
    not_before: float = field(default=0.0, compare=False)  # hold or retry time

    @property
    def merge_key(self) -> tuple:
        return (self.conversation, self.mention_ids)

    def record(self) -> dict:
        d = asdict(self)
        for transient in ("seq", "created", "not_before", "mergeable"):
            d.pop(transient)
        return d


def outgoing_from(action: Action) -> Outgoing:
    if isinstance(action, Send):
        return Outgoing("text", action.room_id, action.text, tuple(action.mention_ids),
                        room_id=action.room_id, mergeable=bool(action.mention_ids))
    if isinstance(action, SendPrivate):
        return Outgoing("text", action.contact_id, action.text, room_id=action.room_id,
                        mergeable=True)
    if isinstance(action, Remove):
        return Outgoing("remove", action.room_id, room_id=action.room_id,
                        member_id=action.member_id)
    raise TypeError(f"not an action: {action!r}")


class OutboxFile:
    """An append-only JSONL file, fsynced on every write."""

    def __init__(self, path: Path):
        self.path = path

    def append(self, records: Iterable[dict]) -> int:
        records = list(records)
        if not records:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return len(records)

    def take(self) -> list[dict]:
        """Read every record and empty the file (unreadable lines are kept aside)."""
        if not self.path.exists():
            return []
        records, bad = [], []
        for lineno, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                bad.append(line)
                log.error("%s line %d is not valid JSON; kept in %s.bad", self.path, lineno,
                          self.path.name)
        if bad:
            with open(self.path.with_suffix(".bad"), "a", encoding="utf-8") as f:
                f.write("\n".join(bad) + "\n")
        self.path.unlink()
        return records


@dataclass
class QueueStats:
    sent: int = 0
    merged: int = 0
    retried: int = 0
    failed: int = 0
    restored: int = 0


class OutboundQueue:
    def __init__(self, transport: Transport, policy: Sending, *, outbox_dir: str | Path,
                 clock: Clock | None = None, rng: random.Random | None = None):
        self.transport = transport
        self.policy = policy
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.unsent = OutboxFile(Path(outbox_dir) / UNSENT_FILE)
        self.failed = OutboxFile(Path(outbox_dir) / FAILED_FILE)
        self.stats = QueueStats()
        self._chats: dict[str, deque[Outgoing]] = {}
        self._next_slot: dict[str, float] = {}     # chat -> earliest time of its next send
        self._recent: deque[float] = deque()       # send times within the budget window
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._closing = False
        self._deadline = 0.0
        self._task: asyncio.Task | None = None

    # --- putting things in ---------------------------------------------------

    def submit(self, actions: Iterable[Action]) -> None:
        for action in actions:
            self.put(outgoing_from(action))

    def put(self, item: Outgoing) -> None:
        now = self.clock.now()
        if not item.created_at:
            item.created_at = datetime.now(timezone.utc).isoformat()
        chat = self._chats.setdefault(item.conversation, deque())
        if item.mergeable and self._merge(chat, item, now):
            return
        item.seq, item.created = next(self._seq), now
        item.not_before = now + (self.policy.merge_window_seconds if item.mergeable else 0.0)
        chat.append(item)
        self._wake.set()

    def _merge(self, chat: deque[Outgoing], item: Outgoing, now: float) -> bool:
        for waiting in chat:
            if (waiting.mergeable and waiting.attempts == 0 and waiting.merge_key == item.merge_key
                    and now - waiting.created <= self.policy.merge_window_seconds):
                if item.text not in waiting.text.split("\n"):
                    waiting.text = f"{waiting.text}\n{item.text}"
                waiting.parts += item.parts
                self.stats.merged += 1
                return True
        return False

    @property
    def pending(self) -> int:
        return sum(len(c) for c in self._chats.values())

    # --- running ---------------------------------------------------------------

    def start(self) -> asyncio.Task:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="outbound")
        return self._task

    async def run(self) -> None:
        while True:
            self._wake.clear()
            now = self.clock.now()
            item, due = self._next(now)
            if self._closing and (item is None or now >= self._deadline):
                return
            if item is None:
                await self.clock.wait(None, self._wake)
                continue
            if due <= now and not self.transport.available():
                due = now + OFFLINE_POLL
            if due > now:
                delay = due - now
                if self._closing:
                    delay = min(delay, self._deadline - now)
                await self.clock.wait(delay, self._wake)
                continue
            self._chats[item.conversation].popleft()
            await self._attempt(item, now)

    def _next(self, now: float) -> tuple[Outgoing | None, float]:
        best, best_due = None, 0.0
        for conversation, chat in self._chats.items():
            if not chat:
                continue
            head = chat[0]
            hold = head.not_before
            if self._closing and head.attempts == 0:
                hold = 0.0   # shutting down: no more waiting for warnings to merge
            due = max(hold, self._next_slot.get(conversation, 0.0))
            if best is None or (due, head.seq) < (best_due, best.seq):
                best, best_due = head, due
        if best is None:
            return None, 0.0
        while self._recent and self._recent[0] <= now - BUDGET_WINDOW:
            self._recent.popleft()
        if len(self._recent) >= self.policy.per_minute:
            best_due = max(best_due, self._recent[-self.policy.per_minute] + BUDGET_WINDOW)
        return best, best_due

    async def _attempt(self, item: Outgoing, now: float) -> None:
        # every attempt counts against the budget and the gap: a failed call may
        # still have reached WeChat
        self._recent.append(now)
        self._next_slot[item.conversation] = (now + self.policy.room_gap_seconds
                                              + self.rng.uniform(0, self.policy.jitter_seconds))
        try:
            await self._carry_out(item)
        except Exception as exc:  # noqa: BLE001 - any platform error is retried, then recorded
            item.attempts += 1
            item.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if item.attempts >= self.policy.max_attempts:
                self.stats.failed += 1
                self.failed.append([dict(item.record(), reason="gave up after retries")])
                log.error("gave up sending to %s after %d attempts (%s); kept in %s",
                          item.conversation, item.attempts, item.last_error, self.failed.path)
                return
            backoff = min(self.policy.retry_base_seconds * 2 ** (item.attempts - 1), MAX_BACKOFF)
            item.not_before = self.clock.now() + backoff * (1 + 0.25 * self.rng.random())
            self._chats[item.conversation].appendleft(item)
            self.stats.retried += 1
            log.warning("send to %s failed (%s); attempt %d of %d in %.0fs", item.conversation,
                        item.last_error, item.attempts, self.policy.max_attempts, backoff)
            return
        self.stats.sent += 1

    async def _carry_out(self, item: Outgoing) -> None:
        if item.kind == "remove":
            await self.transport.remove_member(item.room_id, item.member_id)
            return
        text = item.text
        if item.mention_ids and item.room_id:
            names = [self.transport.mention_name(item.room_id, m) for m in item.mention_ids]
            text = render_mentions(text, names)
        await self.transport.send_text(item.conversation, text, item.mention_ids)

    # --- stopping and starting again ---------------------------------------------

    async def close(self, drain_seconds: float | None = None) -> int:
        """Keep sending for up to ``drain_seconds``; write the rest to the unsent
        file. Returns how many items were set aside."""
        drain = self.policy.drain_seconds if drain_seconds is None else drain_seconds
        self._closing = True
        self._deadline = self.clock.now() + drain
        self._wake.set()
        if self._task is not None:
            await self._task
        else:
            await self.run()
        left = [item for chat in self._chats.values() for item in chat]
        for chat in self._chats.values():
            chat.clear()
        kept = self.unsent.append(dict(i.record(), reason="unsent at shutdown") for i in left)
        if kept:
            log.warning("%d outgoing message(s) not sent before shutdown; kept in %s",
                        kept, self.unsent.path)
        return kept

    def restore(self) -> int:
        """Queue again what the last run could not send, unless it is stale by now."""
        now = datetime.now(timezone.utc)
        restored, expired = 0, []
        for r in self.unsent.take():
            try:
                created = datetime.fromisoformat(r["created_at"])
                item = Outgoing(kind=r["kind"], conversation=r["conversation"], text=r.get("text", ""),
                                mention_ids=tuple(r.get("mention_ids") or ()), room_id=r.get("room_id"),
                                member_id=r.get("member_id"), created_at=r["created_at"],
                                parts=int(r.get("parts", 1)))
            except (KeyError, TypeError, ValueError) as exc:
                expired.append(dict(r, reason=f"unreadable record: {exc}"[:200]))
                continue
            if (now - created).total_seconds() > self.policy.stale_after_seconds:
                expired.append(dict(r, reason="stale when the bot started again"))
                continue
            self.put(item)
            restored += 1
        self.failed.append(expired)
        if expired:
            log.warning("%d unsent message(s) from the last run were too old to send; kept in %s",
                        len(expired), self.failed.path)
        self.stats.restored += restored
        return restored
