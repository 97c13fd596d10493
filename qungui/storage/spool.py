"""The incident spool: where incident rows wait while the database is down.

One JSON line per row, appended and fsynced before the engine acts on the
message, so a warning that went out has its record on disk. The repository
writes the spool back to the database at start-up, every few seconds while
it is degraded, and on close (``Repository.flush_spool``).

Write-back never loses a row appended meanwhile: under a lock the spool is
renamed to ``<name>.flushing`` (an append is either wholly in it or goes to
a fresh spool), the renamed file is written back, then deleted. A
``.flushing`` file left by a crash or an outage is written back first.

A line that does not parse (the torn last line of a crash, a damaged disk)
is moved to ``<name>.quarantine`` with the reason, and so is a row the
database refuses (``Spool.to_quarantine``); the rest is written back.

When the spool cannot be written at all (a read-only folder, a full disk, a
path that is not a file), rows are kept in a bounded buffer in memory, an
ERROR says so, ``problem`` says why, and the file is tried again at every
append and every write-back.

The spool also keeps an index of what waits in it, so a redelivered message
is known and a member's counted warnings can be added up while the database
is down or the spool not yet written back.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one process per spool, no locks
    fcntl = None

from qungui.core.ports import IncidentIn

log = logging.getLogger(__name__)

MEMORY_ROWS = 50_000          # rows kept in memory while the spool cannot be written

WarningKey = tuple[str | None, str | None]      # (message id, rule) of a member's warning


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _is_file(path: Path, nonempty: bool = False) -> bool:
    st = _stat(path)
    return st is not None and stat.S_ISREG(st.st_mode) and (st.st_size > 0 or not nonempty)


def _fsync_dir(folder: Path) -> None:
    """Make a created, renamed or removed name durable (POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _why(exc: BaseException) -> str:
    detail = getattr(exc, "strerror", None) or str(exc)
    return f"{type(exc).__name__}: {detail}"


class Spool:
    def __init__(self, path: str | Path, memory_rows: int = MEMORY_ROWS):
        self.path = Path(path)
        self.flushing = self._beside(".flushing")
        self.quarantine = self._beside(".quarantine")
        self._lock = self._beside(".lock")
        self.memory_rows = memory_rows
        self.memory: list[IncidentIn] = []     # rows the file would not take
        self.quarantined = 0                   # lines and rows moved to the quarantine
        self.dropped = 0                       # rows lost: the file and the memory full
        self._problems: dict[str, str] = {}    # "write" / "write-back" -> what is wrong
        # the index of what waits, in the files or in memory
        self._messages: dict[tuple[str, str | None], set[str | None]] = {}
        self._counted: dict[tuple[str, str], dict[WarningKey, datetime]] = {}

    def _beside(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    # --- state -------------------------------------------------------------

    @property
    def problem(self) -> str | None:
        """Why the spool cannot be written (or written back), None if it can."""
        return "; ".join(self._problems.values()) or None

    def pending(self) -> bool:
        """Rows wait to be written to the database."""
        return bool(self.memory) or _is_file(self.path, nonempty=True) or _is_file(self.flushing)

    def holds(self, room_id: str, message_id: str | None) -> bool:
        """Rows of this message wait here (a redelivery must not act again)."""
        return (room_id, message_id) in self._messages

    def counted(self, room_id: str, sender_id: str, since: datetime) -> dict[WarningKey, datetime]:
        """The member's counted warnings waiting here, from ``since`` on."""
        return {k: ts for k, ts in self._counted.get((room_id, sender_id), {}).items() if ts >= since}

    def note(self, rows: Iterable[IncidentIn]) -> None:
        for r in rows:
            self._messages.setdefault((r.room_id, r.message_id), set()).add(r.rule)
            if r.kind == "violation" and r.counted and r.ts.tzinfo is not None:
                self._counted.setdefault((r.room_id, r.sender_id), {})[(r.message_id, r.rule)] = r.ts

    def forget(self, rows: Iterable[IncidentIn]) -> None:
        """These rows are in the database (or the quarantine) now."""
        for r in rows:
            rules = self._messages.get((r.room_id, r.message_id))
            if rules is not None:
                rules.discard(r.rule)
                if not rules:
                    del self._messages[(r.room_id, r.message_id)]
            counted = self._counted.get((r.room_id, r.sender_id))
            if counted is not None:
                counted.pop((r.message_id, r.rule), None)
                if not counted:
                    del self._counted[(r.room_id, r.sender_id)]

    def settle(self) -> None:
        """Nothing waits any more: drop what the index still holds (rows another
        process wrote back)."""
        if not self.pending():
            self._messages.clear()
            self._counted.clear()

    def load(self) -> None:
        """Index what an earlier run left in the files."""
        for path in (self.flushing, self.path):
            try:
                data = path.read_bytes() if _is_file(path) else b""
            except OSError:
                continue
            for raw in data.split(b"\n"):
                try:
                    self.note([IncidentIn.from_json(raw.decode("utf-8"))])
                except Exception:  # noqa: BLE001 - a damaged line is quarantined at write-back
                    continue

    # --- appending ---------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive use of the spool file (appending, renaming) among processes."""
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{folder} is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        with open(self._lock, "ab") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _append(self, data: bytes) -> None:
        """Append whole lines, fsynced; a torn last line stays a line of its own.
        Nothing to append: only check that the file can be written."""
        with self._locked():
            created = not self.path.exists()
            with open(self.path, "a+b") as f:
                if f.seek(0, os.SEEK_END) > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        data = b"\n" + data
                if data:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            if created and not data:
                self.path.unlink()    # only a check that the spool can be written
            elif created:
                _fsync_dir(self.path.parent)

    @staticmethod
    def _lines(rows: Iterable[IncidentIn]) -> bytes:
        return "".join(r.to_json() + "\n" for r in rows).encode("utf-8")

    def append(self, rows: list[IncidentIn]) -> bool:
        """Keep one message's rows until the database takes them: on disk if the
        spool can be written (rows kept in memory go first), else in memory.
        True when they are on disk."""
        self.note(rows)
        try:
            if self.memory:
                self._append(b"")     # a cheap check first: the buffer may be large
            self._append(self._lines(self.memory + rows))
        except OSError as exc:
            self._keep_in_memory(rows, exc)
            return False
        self._writable()
        return True

    def retry(self) -> bool:
        """Try the file again (rows kept in memory move to it); True if it can
        be written. Also the check at start-up."""
        try:
            self._append(b"")
            if self.memory:
                self._append(self._lines(self.memory))
        except OSError as exc:
            self._report("write", f"cannot write {self.path}: {_why(exc)}")
            return False
        self._writable()
        return True

    def _writable(self) -> None:
        if self.memory:
            log.warning("the incident spool %s can be written again: the %d rows kept in "
                        "memory are in it now", self.path, len(self.memory))
        elif "write" in self._problems:
            log.warning("the incident spool %s can be written again", self.path)
        self.memory = []
        self._problems.pop("write", None)

    def _keep_in_memory(self, rows: list[IncidentIn], exc: OSError) -> None:
        self.memory.extend(rows)
        over = len(self.memory) - self.memory_rows
        if over > 0:
            lost, self.memory = self.memory[:over], self.memory[over:]
            self.dropped += over
            self.forget(lost)
            for r in lost:
                log.error("incident row dropped (the spool cannot be written and %d rows "
                          "fill its memory buffer); it is kept only here: %s",
                          self.memory_rows, r.to_json())
        self._report("write", f"cannot write {self.path}: {_why(exc)}")

    def _report(self, what: str, problem: str) -> None:
        if self._problems.get(what) != problem:
            log.error("incident spool: %s; incident rows are kept in memory (%d now, at most %d) "
                      "and the spool is tried again at every write and write-back",
                      problem, len(self.memory), self.memory_rows)
        self._problems[what] = problem

    def release(self, rows: Iterable[IncidentIn]) -> None:
        """Rows of the memory buffer that are in the database (or quarantined) now."""
        gone = {id(r) for r in rows}
        self.memory = [r for r in self.memory if id(r) not in gone]

    def adopt(self, old: Path) -> None:
        """Take over the spool file an earlier version kept elsewhere."""
        if not _is_file(old) or old.resolve() == self.path.resolve():
            return
        try:
            data = old.read_bytes()
            if data and not data.endswith(b"\n"):
                data += b"\n"
            self._append(data)
            old.unlink()
        except OSError as exc:
            log.error("cannot take over the old incident spool %s (%s); it is tried again "
                      "at the next start", old, _why(exc))
            return
        log.warning("took over the old incident spool %s (%d lines) into %s",
                    old, data.count(b"\n"), self.path)

    # --- writing back ------------------------------------------------------

    def rotate(self) -> bool:
        """Make ``.flushing`` the file to write back: one left by an earlier
        write-back, else the spool, renamed (appends go to a fresh file from
        now on). False when there is nothing to write back or the rename failed."""
        if not _is_file(self.flushing) and not _is_file(self.path, nonempty=True):
            self._problems.pop("write-back", None)
            return False
        try:
            with self._locked():
                ready = _is_file(self.flushing)
                st = None if ready else _stat(self.path)
                if st is not None and stat.S_ISREG(st.st_mode):
                    if st.st_size == 0:
                        self.path.unlink()
                    else:
                        os.replace(self.path, self.flushing)
                        _fsync_dir(self.path.parent)
                        ready = True
        except OSError as exc:
            self._report("write-back", f"cannot rename {self.path} for writing it back: {_why(exc)}")
            return False
        self._problems.pop("write-back", None)
        return ready

    def _claim(self) -> BinaryIO | None:
        """``.flushing`` opened and locked against other processes writing it
        back; None if it is gone or another process has it."""
        try:
            f = open(self.flushing, "rb")
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._report("write-back", f"cannot read {self.flushing}: {_why(exc)}")
            return None
        try:
            if fcntl is not None:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            st = _stat(self.flushing)
            if st is None or st.st_ino != os.fstat(f.fileno()).st_ino:
                raise BlockingIOError("written back and replaced meanwhile")
        except OSError:
            f.close()
            return None
        return f

    @contextmanager
    def claim(self) -> Iterator[list[IncidentIn] | None]:
        """The rows of ``.flushing``, held for the block; lines that do not
        parse are quarantined. None: nothing to write back here."""
        f = self._claim()
        try:
            yield None if f is None else self._parse(f.read(), self.flushing)
        finally:
            if f is not None:
                f.close()

    def _parse(self, data: bytes, where: Path) -> list[IncidentIn]:
        rows, bad = [], []
        for n, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            try:
                rows.append(IncidentIn.from_json(raw.decode("utf-8")))
            except Exception as exc:  # noqa: BLE001 - a damaged line costs that line only
                bad.append((raw.decode("utf-8", "backslashreplace"),
                            f"{where.name} line {n} does not parse: {type(exc).__name__}: {exc}"))
        if bad:
            self.to_quarantine(bad)
        return rows

    def done(self) -> None:
        """The claimed ``.flushing`` is written back."""
        self.flushing.unlink(missing_ok=True)
        _fsync_dir(self.flushing.parent)

    def keep(self, rows: list[IncidentIn]) -> None:
        """An outage stopped the write-back: ``.flushing`` keeps only the rows
        not written yet."""
        tmp = self._beside(".flushing.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(self._lines(rows))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.flushing)
            _fsync_dir(self.flushing.parent)
        except OSError as exc:
            # the whole file stays; written rows are skipped as duplicates next time
            log.warning("cannot shorten %s (%s); it is written back whole next time",
                        self.flushing, _why(exc))

    def to_quarantine(self, entries: list[tuple[str, str]]) -> None:
        """Set lines (or rows) aside with the reason: (line, reason) pairs."""
        at = datetime.now(timezone.utc).isoformat()
        data = "".join(json.dumps({"at": at, "reason": reason, "line": line}, ensure_ascii=False)
                       + "\n" for line, reason in entries).encode("utf-8", "backslashreplace")
        self.quarantined += len(entries)
        for line, reason in entries:
            log.warning("incident spool: set aside in %s: %s", self.quarantine, reason)
        try:
            self.quarantine.parent.mkdir(parents=True, exist_ok=True)
            with open(self.quarantine, "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            for line, reason in entries:
                log.error("cannot write the quarantine %s (%s); the line is kept only here "
                          "(%s): %s", self.quarantine, _why(exc), reason, line)

    def abandon(self) -> None:
        """Closing with rows only in memory (neither the spool nor the database
        took them): the log is the last place they are kept."""
        for r in self.memory:
            log.error("incident row not stored (the spool %s cannot be written and the database "
                      "is down); it is kept only here: %s", self.path, r.to_json())
