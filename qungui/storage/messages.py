"""Recent messages, kept so a reviewer sees what was said around an incident.

The engine hands every inspected message to ``MessageLog.add``, which only
appends to a buffer; a background task writes the buffer in one batch
(``BATCH`` messages or ``DELAY`` seconds, whichever comes first). So a warning
never waits on this write. The log is context, not a record: if the database
is down, the batch is dropped with one warning, never spooled.

Retention: messages older than ``retention_days`` before the newest one
written are deleted, at most once per ``PRUNE_EVERY`` batches. The reference
is the newest message, not the wall clock, so replaying an old conversation
keeps its context.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete

from qungui.storage.bulk import insert_ignoring
from qungui.storage.clean import MESSAGE_LIMITS, fit
from qungui.storage.models import MessageRow
from qungui.storage.tasks import cancel_and_wait
from qungui.core.ports import StoredMessage
from qungui.storage.errors import DOWN as _DOWN

log = logging.getLogger(__name__)

BATCH = 100
DELAY = 1.0
MAX_BUFFER = 10_000          # past this (database down for long) the oldest are dropped
MAX_TEXT = 2_000
PRUNE_EVERY = 50
DEFAULT_RETENTION_DAYS = 30


class MessageLog:
    def __init__(self, repo, retention_days: int = DEFAULT_RETENTION_DAYS):
        self.repo = repo
        self.retention = timedelta(days=retention_days) if retention_days > 0 else None
        self._buffer: list[StoredMessage] = []
        self._task: asyncio.Task | None = None
        self._writing = False      # the task is writing a batch: never cancel it then
        self._batches = 0
        self._warned = False
        self.written = 0
        self.dropped = 0
        if repo is not None:
            repo.on_close.append(self.flush)
        else:
            self.retention = None      # an inspection-only engine stores nothing

    @property
    def enabled(self) -> bool:
        return self.retention is not None

    def add(self, message: StoredMessage) -> None:
        """Queue a message for writing; returns at once."""
        if not self.enabled:
            return
        if len(message.text) > MAX_TEXT:
            message = StoredMessage(**{**message.__dict__, "text": message.text[:MAX_TEXT] + "…"})
        # text the database cannot store (NUL, lone surrogates, an overlong name)
        # would fail the whole batch as if the database were down
        values = {k: fit(k, v, MESSAGE_LIMITS) for k, v in message.__dict__.items()}
        if any(values[k] is not v for k, v in message.__dict__.items()):
            message = StoredMessage(**values)
        self._buffer.append(message)
        if len(self._buffer) > MAX_BUFFER:
            self.dropped += len(self._buffer) - MAX_BUFFER
            del self._buffer[:len(self._buffer) - MAX_BUFFER]
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._later())
        elif len(self._buffer) >= self._limit() and not self._writing:
            # still waiting out its delay: write now (a task that is writing
            # goes on to the next full batch itself; cancelled, it would lose its own)
            self._task.cancel()
            self._task = asyncio.get_running_loop().create_task(self._later(0))

    def _limit(self) -> int:
        """Messages per write: ``BATCH``, or the repository's batch while one is
        open (an archive's audit: fewer, larger transactions)."""
        size = getattr(self.repo, "_batch_size", 0) if getattr(self.repo, "_batch", None) is not None else 0
        return max(BATCH, size)

    async def _later(self, delay: float = DELAY) -> None:
        await asyncio.sleep(delay)
        self._writing = True
        try:
            await self._write()
            while len(self._buffer) >= self._limit():
                await self._write()
        finally:
            self._writing = False

    async def flush(self) -> None:
        """Write whatever is buffered now (called on close); never raises."""
        task, self._task = self._task, None
        try:
            if task is not None and self._writing:
                await task             # let the batch it holds reach the database
            else:
                await cancel_and_wait(task)
        except Exception:  # noqa: BLE001 - _write logs its own failures; this is a stray
            log.exception("the message context writer failed")
        await self._write()

    async def _write(self) -> None:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        seen: set[tuple[str, str]] = set()
        values = []
        for m in batch:
            if (m.room_id, m.message_id) not in seen:      # a redelivery is kept once
                seen.add((m.room_id, m.message_id))
                values.append(dict(m.__dict__))
        try:
            async with self.repo.sessions.begin() as s:
                # one multi-row INSERT; a row the database holds already (written
                # earlier or by another writer meanwhile) is skipped by the
                # database, not looked up first (the look-up cost as much as the insert)
                result = await s.execute(insert_ignoring(self.repo.dialect, MessageRow,
                                                         ("room_id", "message_id")), values)
                self._batches += 1
                if self.retention and self._batches % PRUNE_EVERY == 1:
                    newest = max(m.ts for m in batch)
                    await s.execute(delete(MessageRow).where(MessageRow.ts < newest - self.retention))
            # rows new to the database; PostgreSQL's driver does not count a
            # multi-row insert's rows, so there: the rows sent
            self.written += result.rowcount if result.rowcount >= 0 else len(values)
            self._warned = False
        except _DOWN as exc:
            self.dropped += len(batch)
            if not self._warned:
                log.warning("message context not stored (%s); incidents are unaffected",
                            type(exc).__name__)
                self._warned = True
        except Exception:  # noqa: BLE001 - context, not a record: never stop the engine or close()
            self.dropped += len(batch)
            log.exception("message context not stored: %d message(s) could not be written; "
                          "incidents are unaffected", len(batch))
