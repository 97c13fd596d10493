"""``bot.py audit --store`` throughput: messages per CPU-second with storage,
row by row and batched, on SQLite and PostgreSQL, against the pipeline alone.

    .venv/bin/python bench/store_throughput.py                 # 5,000 messages
    .venv/bin/python bench/store_throughput.py 20000
    .venv/bin/python bench/store_throughput.py --pg postgresql://postgres@127.0.0.1:5432/test

The events are the stream of ``bench/mix.py`` (ten rooms, a snapshot of
each first) — the realistic mix of work talk, acknowledgements, repeats,
bursts and long messages. Each storage run goes through the audit
command's own loop (``qungui.cli.audit._audit_here``: the full engine,
every incident, the message context, the results as JSON lines) into a
fresh database:

* row by row — ``--batch 0``: every message's incident rows in a
  transaction of their own, the escalation count asked of the database for
  every finding (as before batching);
* batched — the default, 500 messages' rows per transaction, one multi-row
  ``INSERT … ON CONFLICT DO NOTHING``, each member's warnings read once.

CPU time is this process's (``time.process_time``, every thread: the SQLite
driver's too) from the first event to the last row written and the
connections closed; for PostgreSQL the server's backends for the run are
measured too (from ``/proc``, sampled while they live) and reported beside.
The pipeline alone is the same messages through ``Moderator.inspect_and_keep``
without storage, measured in the same run: twice, and the second pass is
the reference, as its texts are in the encoder's cache (by text) as they
are for every storage run after it; the first pass is printed beside.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mix import rooms, stream  # noqa: E402

WARM_UP = 500
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def events(size: int, groups: dict, tag: str) -> list:
    """The room snapshots, then ``size`` messages with ids of this run's own."""
    from qungui.core.events import RoomSnapshot
    from qungui.pipeline.evaluation import T0

    out = [RoomSnapshot(room, ts=T0) for room in rooms(groups)]
    out += [dataclasses.replace(msg, id=f"{msg.id}.{tag}") for _, msg in stream(size, groups)]
    return out


def pipeline_alone(size: int, groups: dict) -> tuple[float, float]:
    """Messages per CPU-second through the engine's inspection, no storage:
    (the first pass, every text new to the encoder's cache; a second pass,
    the texts cached, as every storage run after it finds them)."""
    from qungui.cli.common import load_parts
    from qungui.config import load_settings
    from qungui.pipeline.engine import Moderator

    plugins, rulebook = load_parts(load_settings(None, env={}))
    moderator = Moderator(None, rulebook, plugins)
    items = stream(size, groups)
    for room, msg in stream(WARM_UP, groups, seed=5):
        moderator.inspect_and_keep(dataclasses.replace(msg, id=f"w{msg.id}"), room)
    rates = []
    for tag in ("a", "b"):
        moderator.recent.clear()
        started = time.process_time()
        for room, msg in items:
            moderator.inspect_and_keep(dataclasses.replace(msg, id=f"{tag}{msg.id}"), room)
        rates.append(len(items) / (time.process_time() - started))
    return rates[0], rates[1]


def _ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])       # utime + stime


async def _watch_backends(admin_url: str, database: str, seen: dict[int, int],
                          stop: asyncio.Event) -> None:
    """Sample the CPU ticks of the server processes serving ``database``."""
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        while not stop.is_set():
            for row in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1",
                                        database):
                ticks = _ticks(row["pid"])
                if ticks is not None:
                    seen[row["pid"]] = ticks
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except asyncio.TimeoutError:
                pass
    finally:
        await conn.close()


async def audit_store(url: str, batch: int, evs: list, admin_url: str | None = None,
                      database: str | None = None) -> tuple[float, float, int]:
    """(client CPU s, server CPU s, incidents) for one audit --store run."""
    from qungui.cli import audit
    from qungui.config import load_settings

    settings = load_settings(None, env={})
    settings.database_url = url
    settings.spool_path = Path(tempfile.mkdtemp(prefix="bench-spool-")) / "incidents.jsonl"
    clock: dict[str, float] = {}

    def timed():
        clock["start"] = time.process_time()
        yield from ((i, i, e) for i, e in enumerate(evs))

    seen: dict[int, int] = {}
    stop = asyncio.Event()
    watcher = (asyncio.create_task(_watch_backends(admin_url, database, seen, stop))
               if admin_url else None)
    with open(os.devnull, "w") as sink:
        tally = await audit._audit_here(settings, True, batch, "jsonl", Path("bench"), timed(),
                                        lambda p, line, row: sink.write(line + "\n"))
    client = time.process_time() - clock["start"]
    if watcher:
        stop.set()
        await watcher
    # the connection that migrated (before the first event) is counted too: a little over
    server = sum(seen.values()) / os.sysconf("SC_CLK_TCK")
    assert tally.processed == len(evs), tally
    return client, server, await _incidents(url)


async def _incidents(url: str) -> int:
    from sqlalchemy import func, select
    from qungui.storage.models import IncidentRow
    from qungui.storage.repository import Repository

    repo = await Repository.open(url, migrate=False,
                                 spool_path=Path(tempfile.mkdtemp()) / "s.jsonl")
    try:
        async with repo.sessions() as s:
            return await s.scalar(select(func.count()).select_from(IncidentRow))
    finally:
        await repo.close()


async def pg_database(base: str):
    """A fresh database on the server of ``base``: (async URL, admin URL, name, drop)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(base)
    admin = u.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"bench_store_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()

    async def drop():
        c = await asyncpg.connect(admin)
        await c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await c.close()

    url = u.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False)
    return url, admin, name, drop


async def main_async(args) -> int:
    from qungui.pipeline.evaluation import load_groups

    groups = load_groups(None)
    cold, alone = pipeline_alone(args.size, groups)
    print(f"{args.size:,} messages (bench/mix.py stream, 10 rooms); CPU time per run")
    print(f"pipeline alone (no storage): {alone:,.0f} msg/s per core with the encoder's cache "
          f"warm, as in every run below ({cold:,.0f} on the first pass over these texts)")
    print(f"{'database':<11} {'writes':<12} {'msg/CPU-s':>10} {'vs alone':>9} "
          f"{'server CPU s':>13} {'incl. server':>13}  incidents")
    dbs = ["sqlite"] + (["postgresql"] if args.pg else [])
    for db in dbs:
        for label, batch in (("row by row", 0), ("batched", args.batch)):
            evs = events(args.size, groups, f"{db[:2]}{batch}")
            if db == "sqlite":
                folder = tempfile.mkdtemp(prefix="bench-store-")
                url = f"sqlite+aiosqlite:///{folder}/bot.sqlite3"
                client, server, n = await audit_store(url, batch, evs)
                drop = None
            else:
                url, admin, name, drop = await pg_database(args.pg)
                try:
                    client, server, n = await audit_store(url, batch, evs, admin, name)
                finally:
                    await drop()
            rate = len(evs) / client
            both = len(evs) / (client + server)
            print(f"{db:<11} {label:<12} {rate:>10,.0f} {rate / alone:>8.0%} "
                  f"{server:>13.1f} {both if server else rate:>13,.0f}  {n:,}", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=5_000,
                        help="messages per run (default 5,000)")
    parser.add_argument("--batch", type=int, default=500, help="messages per batch (default 500)")
    parser.add_argument("--pg", default=PG_DEFAULT,
                        help=f"a PostgreSQL server to create a scratch database on "
                             f"(default {PG_DEFAULT}; '' for SQLite only)")
    args = parser.parse_args()
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
