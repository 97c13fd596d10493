"""``bot.py audit``: an events file in, one result per message event out."""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import logging
import multiprocessing
import pickle
import sys
import tempfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from qungui.cli import arguments, command
from qungui.review.labels import ACTION_CN
from qungui.cli.common import CliError, add_rulebook_and_db, open_moderator, settings_from, table

BATCH_MESSAGES = 500        # messages per transaction (storage.repository.BATCH_MESSAGES)
LEASE_SECONDS = 30 * 60     # --claim: a claim not renewed for this long may be taken over
FILED_BUFFER = 10_000       # --claim: events held before they are written to their parts' files

log = logging.getLogger(__name__)
# how the formats of --input are named to the user
FORMAT_NAMES = {"jsonl": "a JSONL events file", "wechatmsg": "WeChatMsg", "chatlog-csv": "chatlog CSV",
                "chatlog-json": "chatlog JSON", "pywxdump": "PyWxDump"}


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = max(total, 1), enabled

    def step(self, lineno: int) -> None:
        if self.enabled and (lineno % 200 == 0 or lineno == self.total):
            filled = int(30 * lineno / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {lineno}/{self.total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def configure(sp):
    from qungui.channels.exports import FORMATS
    sp.add_argument("file", help="events file (JSONL) or a chat export: WeChatMsg/留痕 CSV, "
                                 "chatlog CSV or JSON, PyWxDump CSV (detected by the header)")
    sp.add_argument("--input", choices=FORMATS, default="auto",
                    help="the file's format (default: detected)")
    sp.add_argument("--owner", metavar="CONTACT_ID",
                    help="the group owner's contact id, for exports (they carry no owner)")
    sp.add_argument("--room", metavar="ROOM_ID",
                    help="the group's id (…@chatroom) for a WeChatMsg CSV, which names the chat "
                         "by a number only (default: wechatmsg-<TalkerId>)")
    sp.add_argument("--contacts", metavar="FILE",
                    help="a contact list naming the senders: PyWxDump's users.json (read without "
                         "this when it lies next to the export), chatlog's contacts (JSON or CSV)")
    sp.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    sp.add_argument("--store", action="store_true",
                    help="keep the incidents in the configured database (default: a scratch one)")
    sp.add_argument("--workers", type=_positive, default=1, metavar="N",
                    help="split the file by room across N processes on this machine; the "
                         "results are those of one process (default 1)")
    sp.add_argument("--batch", type=_not_negative, default=BATCH_MESSAGES, metavar="N",
                    help=f"write the incidents of N messages per transaction (default "
                         f"{BATCH_MESSAGES}; 0: each message in its own)")
    sp.add_argument("--claim", type=_positive, metavar="P",
                    help="share the file with audits on other hosts through the database "
                         "(needs --store): register its P parts (by room) and run parts no "
                         "one else has claimed until none is left; with --workers N, N "
                         "processes here claim parts")
    sp.add_argument("--job", metavar="NAME",
                    help="with --claim: the name the hosts know the archive by (default: the "
                         "SHA-256 of the file)")
    sp.add_argument("--lease", type=_positive, metavar="SECONDS",
                    help=f"with --claim: a claim not renewed for this long is taken to be a "
                         f"dead host's, and another may take the part over (default "
                         f"{LEASE_SECONDS})")
    add_rulebook_and_db(sp)


def _positive(text: str) -> int:
    n = _not_negative(text)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _not_negative(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return n


@dataclass
class Tally:
    processed: int = 0
    failed: int = 0

    @classmethod
    def total(cls, tallies) -> "Tally":
        """The tallies of several workers or parts, added up."""
        out = cls()
        for t in tallies:
            out.processed += t.processed
            out.failed += t.failed
        return out


@command("audit", "check an events file or chat export, one JSON line per message",
         "Run every event of a JSONL events file, or every message of a WeChat chat export "
         "(WeChatMsg/留痕 CSV, chatlog CSV/JSON, PyWxDump CSV; UTF-8 or GBK), through the "
         "engine and print one result per message, in input order. Malformed lines are "
         "reported on stderr by line number and skipped, mended ones are reported and read; "
         "the exit status is 0 when any event was read, 2 when none could be. With --workers "
         "N the file is split by room across N processes (each room wholly in one), with the "
         "same results. With --store --claim P, hosts sharing the database share the file: "
         "each runs the parts (by room) no other has claimed and prints their results.")
@arguments(configure)
async def run(args) -> int:
    from qungui.channels.exports import ExportError, detect_format
    from qungui.channels.replay import count_lines

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{args.file}: no such file")
    try:
        detected = detect_format(path)
    except ExportError as exc:
        if args.input == "auto":
            raise CliError(f"{args.file}: {exc}") from None
        detected = None                  # the reader named by --input reports each line
    except OSError as exc:
        raise CliError(f"{args.file}: {exc.strerror or exc}") from None
    fmt = detected if args.input == "auto" else args.input
    if detected is not None and detected != fmt:
        raise CliError(f"{args.file}: not a {FORMAT_NAMES[fmt]} export: it reads as "
                       f"{FORMAT_NAMES[detected]} (leave out --input to detect the format)")
    if args.claim is None and (args.job is not None or args.lease is not None):
        raise CliError(f"--{'job' if args.job is not None else 'lease'} goes with --claim P")
    if args.claim is not None and not args.store:
        raise CliError("--claim needs --store: the hosts share the archive's parts and "
                       "incidents through the database")
    settings = settings_from(args)
    rows: list = []
    counts = {"skipped": 0, "mended": 0}
    if args.claim is not None:
        tally = await _claimed(args, settings, fmt, counts, rows)
        if tally is None:                # every part done, or claimed by other hosts
            return 0
    elif args.workers > 1:
        tally = await _split(args, settings, fmt, counts, rows)
    else:
        events = _read(path, fmt, args, counts)
        tty = sys.stderr.isatty()
        progress = Progress(count_lines(path) if tty else 0, tty)
        try:
            tally = await _audit_here(settings, args.store, args.batch, args.format, path,
                                      _stepping(events, progress), _emit(args.format, rows))
        finally:
            progress.close()
    if args.format == "table" and tally.processed:
        table(sys.stdout, ["消息", "发送人", "规则", "分数", "处置", "证据"],
              [row for _, row in sorted(rows, key=lambda r: r[0])])
    summary = summarize(tally.processed, counts["skipped"], counts["mended"], tally.failed)
    # with --claim this host's parts may hold no room of the file: an error only
    # when the file holds no event at all
    if not (counts["read"] if args.claim is not None else tally.processed):
        raise CliError(f"{path}: no event could be read ({summary})")
    if counts["skipped"] or counts["mended"] or tally.failed:
        print(summary, file=sys.stderr)
    return 0


def _read(path: Path, fmt: str, args, counts: dict, report: bool = True):
    """(position, line number, event) of every event of the file, in order;
    notes and malformed lines reported on stderr as they are met (when
    ``report``) and counted."""
    from qungui.channels.exports import ExportNote, read_export
    from qungui.channels.replay import LineReport

    events = read_export(path, fmt, owner_id=args.owner, room_id=args.room,
                         contacts=args.contacts)
    position = 0
    for lineno, event in _events(events, path):
        if isinstance(event, ExportNote):
            if report:
                print(f"{path}: {event}", file=sys.stderr)
            continue
        if isinstance(event, LineReport):
            if report:
                print(f"{path}: {event}", file=sys.stderr)
            counts["skipped" if event.skipped else "mended"] += 1
            continue
        yield position, lineno, event
        position += 1


def _stepping(events, progress: Progress):
    for item in events:
        progress.step(item[1])
        yield item


def _emit(fmt: str, rows: list):
    """Where a result goes in one process: JSON lines straight to stdout, table
    rows kept for the end."""
    def emit(position: int, line: str | None, row: list | None) -> None:
        if fmt == "jsonl":
            sys.stdout.write(line + "\n")
        else:
            rows.append((position, row))
    return emit


async def _audit_here(settings, store: bool, batch: int, fmt: str, path: Path, events, emit,
                      *, migrate: bool = True) -> Tally:
    """Every event through one engine in this process; each message's result
    to ``emit(position, json line, table row)``."""
    scratch = None
    if not store:
        scratch = tempfile.TemporaryDirectory(prefix="bot-audit-")
        # a scratch data folder: its database and spool, never the bot's
        settings.data_dir, settings.spool_path = Path(scratch.name), None
        settings.database_url = f"sqlite+aiosqlite:///{scratch.name}/audit.sqlite3"
        migrate = True
    try:
        moderator = await open_moderator(settings, migrate=migrate)
        try:
            return await _audit_events(moderator, batch, fmt, path, events, emit)
        finally:
            await moderator.repo.close()
    finally:
        if scratch:
            scratch.cleanup()


async def _audit_events(moderator, batch: int, fmt: str, path: Path, events, emit) -> Tally:
    """The events through ``moderator``, their incidents written ``batch``
    messages at a time; every one written when this returns."""
    from qungui.core.events import Message

    tally = Tally()
    async with moderator.repo.batched(batch):
        for position, lineno, event in events:
            try:
                outcome = await moderator.handle(event)
            except Exception as exc:  # noqa: BLE001 - one event must not stop the audit
                log.exception("line %d could not be handled", lineno)
                print(f"{path}: line {lineno}: could not be handled "
                      f"({type(exc).__name__}: {str(exc)[:120]}); skipped",
                      file=sys.stderr)
                tally.failed += 1
                continue
            tally.processed += 1
            if not isinstance(event, Message):
                continue
            action = "command" if outcome.kind == "command" else outcome.action
            if fmt == "jsonl":
                emit(position, json.dumps({
                    "id": event.id, "room_id": event.room_id,
                    "sender_id": event.sender_id,
                    "findings": [f.as_dict() for f in outcome.findings],
                    "action": action}, ensure_ascii=False), None)
            else:
                top = max(outcome.findings, key=lambda f: f.score, default=None)
                emit(position, None, [
                    event.id, event.sender_name or event.sender_id,
                    top.rule if top else "", f"{top.score:.2f}" if top else "",
                    ACTION_CN.get(action, action), (top.evidence if top else "")[:30]])
    return tally


# --- several processes ----------------------------------------------------------

def part_of(room_id: str, workers: int) -> int:
    """The worker a room goes to: the same for every run (not Python's salted hash)."""
    return zlib.crc32(room_id.encode("utf-8")) % workers


def room_of(event) -> str:
    return getattr(event, "room_id", None) or getattr(getattr(event, "room", None), "id", "") or ""


async def _split(args, settings, fmt: str, counts: dict, rows: list) -> Tally:
    """The file shared out by room to ``args.workers`` processes (each room,
    with its snapshot, joins and messages, wholly in one: escalations and
    cooldowns are per member and room), results merged back in input order.
    Private messages (no room) go to the first worker.

    Each worker reads the file itself and keeps its own rooms' events, and
    writes its results to a file of its own in input order; this process
    merges those files as it prints. Nothing here holds the archive or its
    results, so the memory is the same for a day's file as for a year's.
    The first worker reports the file's malformed lines, once."""
    if args.store:
        # one process brings the schema up to date before the workers connect
        from qungui.cli.common import open_repo
        await (await open_repo(settings)).close()
    reader = _reader(args)
    with tempfile.TemporaryDirectory(prefix="bot-audit-parts-") as scratch:
        outs = [str(Path(scratch) / f"part-{k}.jsonl") for k in range(args.workers)]
        done = await _in_processes(_worker, [
            (k, args.workers, settings, args.store, args.batch, args.format, str(args.file),
             fmt, reader, outs[k]) for k in range(args.workers)])
        tally = Tally.total(part_tally for part_tally, _ in done)
        counts.update(done[0][1])
        print_merged(outs, args.format, rows)
    return tally


def _reader(args) -> argparse.Namespace:
    """What the export readers need of the command line (sent to workers)."""
    return argparse.Namespace(owner=args.owner, room=args.room, contacts=args.contacts)


async def _in_processes(fn, calls: list[tuple]) -> list:
    """``fn(*call)`` for each call, each in a process of its own; their results."""
    loop = asyncio.get_running_loop()
    # spawned, not forked: a fork would inherit this process's running event loop
    with ProcessPoolExecutor(len(calls), mp_context=multiprocessing.get_context("spawn")) as pool:
        return await asyncio.gather(*(loop.run_in_executor(pool, fn, *call) for call in calls))


def print_merged(outs, out_format: str, rows: list) -> None:
    """The workers' result files (each in input order) merged in input order:
    JSON lines to stdout as they come, table rows kept for the end."""
    files = [open(out, encoding="utf-8") for out in outs]
    try:
        for position, line, row in heapq.merge(*(map(json.loads, f) for f in files),
                                               key=lambda r: r[0]):
            if out_format == "jsonl":
                sys.stdout.write(line + "\n")
            else:
                rows.append((position, row))
    finally:
        for f in files:
            f.close()


def _writer(results):
    """``emit`` for a worker: each result a JSON line of ``results``, for ``print_merged``."""
    def emit(position: int, line: str | None, row: list | None) -> None:
        results.write(json.dumps([position, line, row], ensure_ascii=False) + "\n")
    return emit


def _read_counts() -> dict:
    return {"skipped": 0, "mended": 0, "read": 0}


def _worker(part: int, workers: int, settings, store: bool, batch: int, out_format: str,
            file: str, fmt: str, reader, out: str) -> tuple[Tally, dict]:
    """One worker process: the file read through, its own rooms' events
    through an engine of its own, each result a line of ``out``."""
    counts = _read_counts()
    path = Path(file)
    mine = _part(_read(path, fmt, reader, counts, report=part == 0), part, workers, counts)
    with open(out, "w", encoding="utf-8") as results:
        tally = asyncio.run(_audit_here(settings, store, batch, out_format, path, mine,
                                        _writer(results), migrate=False))
    return tally, counts


# --- several hosts: parts claimed through the database -------------------------------

async def _claimed(args, settings, fmt: str, counts: dict, rows: list) -> Tally | None:
    """``--claim P``: the archive's P parts registered in the database (once,
    whichever host comes first), then parts claimed and run here, by this
    process or by ``args.workers`` processes, until no part is open; the
    results of the parts run here printed in input order, and on stderr
    which parts they were and how many the other hosts hold. None when this
    host ran no part."""
    from qungui.cli.common import open_repo
    from qungui.storage.parts import ArchiveParts, PartsMismatch

    archive = args.job if args.job is not None else _sha256(Path(args.file))
    named = f"job {archive!r}" if args.job is not None else f"archive sha256:{archive[:12]}"
    repo = await open_repo(settings)          # brings the schema up to date, once
    try:
        try:
            await ArchiveParts(repo.sessions, repo.dialect, archive).register(args.claim)
        except PartsMismatch as exc:
            raise CliError(f"{named} is registered in {exc.registered} parts, not {args.claim}: "
                           f"run it with --claim {exc.registered} (or another --job)") from None
    finally:
        await repo.close()
    job = _Job(archive, args.claim, args.lease or LEASE_SECONDS, settings, args.batch,
               args.format, str(args.file), fmt, _reader(args))
    with tempfile.TemporaryDirectory(prefix="bot-audit-claims-") as scratch:
        if args.workers == 1:
            ran = await _claim_parts(job, 0, scratch)
        else:
            done = await _in_processes(_claim_worker,
                                       [(job, k, scratch) for k in range(args.workers)])
            ran = [part for worker in done for part in worker]
        tally = Tally.total(part_tally for _, _, part_tally, _ in ran)
        for _, _, _, part_counts in ran:
            counts.update(part_counts)      # every part reports the whole file's counts
        print_merged([out for _, out, _, _ in ran], args.format, rows)
    repo = await open_repo(settings, migrate=False)
    try:
        left = await ArchiveParts(repo.sessions, repo.dialect, archive).states()
    finally:
        await repo.close()
    elsewhere = f"{left['open']} open, {left['claimed']} claimed elsewhere, {left['done']} done"
    if not ran:
        if left["done"] == args.claim:
            print(f"{named}: all {args.claim} parts are done already; nothing was run",
                  file=sys.stderr)
        else:
            print(f"{named}: no part left to run here; of {args.claim}: {elsewhere}",
                  file=sys.stderr)
        return None
    names = ", ".join(str(part) for part in sorted(part for part, _, _, _ in ran))
    print(f"{named}: ran part(s) {names} of {args.claim} here; of all: {elsewhere}",
          file=sys.stderr)
    return tally


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Job:
    """What a process claiming parts needs to know (sent to spawned workers)."""
    archive: str
    parts: int
    lease: int
    settings: object
    batch: int
    out_format: str
    file: str
    fmt: str
    reader: argparse.Namespace


def _claim_worker(job: _Job, k: int, scratch: str) -> list:
    return asyncio.run(_claim_parts(job, k, scratch))


async def _claim_parts(job: _Job, k: int, scratch: str) -> list:
    """Claims parts of ``job`` and runs them, one after the other through one
    engine, until none is open: [(part, results file, tally, counts)]. The
    file is read once (``_Filed``): its first part's rooms go through the
    engine as they are read, the rest are filed by part for the parts claimed
    after it; the first part of the first process reports the malformed lines."""
    import os
    import socket
    from datetime import timedelta

    from qungui.cli.common import open_repo
    from qungui.storage.parts import ArchiveParts

    me = f"{socket.gethostname()}:{os.getpid()}"
    lease = timedelta(seconds=job.lease)
    path = Path(job.file)
    ran: list = []
    repo = await open_repo(job.settings, migrate=False)
    moderator = None
    try:
        claims = ArchiveParts(repo.sessions, repo.dialect, job.archive)
        filed = _Filed(Path(scratch) / f"filed-{k}", job.parts)
        while (part := await claims.claim(me, lease)) is not None:
            if moderator is None:
                moderator = await open_moderator(job.settings, migrate=False)
            counts = _read_counts()
            out = str(Path(scratch) / f"part-{part}.{k}.jsonl")
            keeping = asyncio.get_running_loop().create_task(
                _keep_claim(claims, part, me, job.lease / 3))
            try:
                with open(out, "w", encoding="utf-8") as results:
                    if filed.complete:
                        events = filed.read(part, counts)
                    else:
                        events = filed.reading(_read(path, job.fmt, job.reader, counts,
                                                     report=k == 0 and not ran), part, counts)
                    tally = await _audit_events(moderator, job.batch, job.out_format, path,
                                                events, _writer(results))
                await moderator.message_log.flush()
            finally:
                keeping.cancel()
            if moderator.repo.degraded:
                # rows wait in the spool: not done; the part is run again when its lease ends
                raise CliError(f"part {part}: the database did not take every row (they wait "
                               "in the spool); the part stays claimed and is run again once "
                               "its claim is older than --lease")
            await claims.done(part, me, tally.processed, tally.failed)
            ran.append((part, out, tally, counts))
    finally:
        if moderator is not None:
            await moderator.repo.close()
        await repo.close()
    return ran


class _Filed:
    """The archive read once by a process claiming parts. While its first
    part runs, every event of another part is filed in a scratch file of
    that part's own (pickled, in this process's private scratch folder); each
    part claimed later reads only its own file, and deletes it. Reading the
    whole file for every part would cost more than the engine once a host
    runs a few dozen parts (reading is about a tenth of the engine's time a
    message). The scratch folder holds at most the events of the parts not
    yet run here."""

    def __init__(self, folder: Path, parts: int):
        self.folder = folder
        self.parts = parts
        self.counts: dict | None = None     # the whole file's counts, once read through
        self._held: dict[int, list] = {}
        self._holding = 0

    @property
    def complete(self) -> bool:
        return self.counts is not None

    def reading(self, events, part: int, counts: dict):
        """The part's events from the whole file's, the others filed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for item in events:
            counts["read"] += 1
            owner = part_of(room_of(item[2]), self.parts)
            if owner == part:
                yield item
                continue
            self._held.setdefault(owner, []).append(item)
            self._holding += 1
            if self._holding >= FILED_BUFFER:
                self._write()
        self._write()
        self.counts = dict(counts)

    def _write(self) -> None:
        for owner, items in self._held.items():
            with open(self.folder / f"{owner}.pickle", "ab") as f:
                pickle.dump(items, f, protocol=pickle.HIGHEST_PROTOCOL)
        self._held, self._holding = {}, 0

    def read(self, part: int, counts: dict):
        """The part's filed events, in file order; the counts of the whole file."""
        counts.update(self.counts)
        path = self.folder / f"{part}.pickle"
        if not path.exists():
            return
        try:
            with open(path, "rb") as f:
                while True:
                    try:
                        chunk = pickle.load(f)
                    except EOFError:
                        break
                    yield from chunk
        finally:
            path.unlink(missing_ok=True)


def _part(events, part: int, parts: int, counts: dict):
    """The events of the part's rooms; every event counted as read."""
    for item in events:
        counts["read"] += 1
        if part_of(room_of(item[2]), parts) == part:
            yield item


async def _keep_claim(claims, part: int, me: str, every: float) -> None:
    """Renews the claim on ``part`` while it runs."""
    while True:
        await asyncio.sleep(every)
        try:
            if not await claims.renew(part, me):
                log.warning("part %d was taken over by another host (its claim outlived the "
                            "lease); running it here too stores nothing twice", part)
                return
        except Exception as exc:  # noqa: BLE001 - the part goes on; its writes say if the database is gone
            log.warning("the claim on part %d could not be renewed (%s)", part, exc)


def summarize(processed: int, skipped: int, mended: int, failed: int) -> str:
    """One line: what was read, skipped and mended."""
    parts = [f"{processed} event(s) processed"] if processed else []
    if skipped:
        parts.append(f"{skipped} malformed line(s) skipped")
    if mended:
        parts.append(f"{mended} mended")
    if failed:
        parts.append(f"{failed} failed in the engine and skipped (see the log)")
    if not (processed or skipped or failed):
        parts = ["the file holds no events"]
    return ", ".join(parts)


def _events(events, path):
    """The reader's events, with a whole-file problem turned into a clear error."""
    from qungui.channels.exports import ExportError

    try:
        yield from events
    except ExportError as exc:
        raise CliError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: cannot decode the file ({exc.reason})") from None
