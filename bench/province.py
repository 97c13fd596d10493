"""A province's groups on one PostgreSQL: the live engine over a day's talk.

    .venv/bin/python bench/province.py                  # 100 groups
    .venv/bin/python bench/province.py --groups 1000
    .venv/bin/python bench/province.py --groups 10000 --per-group 5

Generates ``--groups`` work groups (the kinds of ``groups.yaml`` in turn),
each with an owner and ``--members`` members, settings of its own (its
topic for one in two, an allow and a denied phrase for one in ten — a room
automaton of its own —, review-only for one in ten, a work-report deadline
for one in five), and ``--per-group`` messages of a working day from the mix of
``bench/mix.py``, interleaved across groups in time order. Every event goes
through ``Moderator.handle`` as the live bot's (durable: incidents with their
outbox rows and handled marks, one transaction per message) into a fresh
database on the server (``--pg``), which is dropped afterwards.

Prints messages per second (wall clock, this process, one core) and per
CPU-second, the p50/p99 time one message took (wall), the peak memory of the
process, and the size of the database.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mix import SURNAMES, UNITS, mix  # noqa: E402
from bench.store_throughput import PG_DEFAULT, pg_database  # noqa: E402


def province(groups: int, members: int, per_group: int, kinds: dict, seed: int = 3):
    """(rooms, settings per room, messages in time order)."""
    from qungui.core.events import Member, Message, MessageType, Room
    from qungui.pipeline.evaluation import T0

    rng = random.Random(seed)
    kind_names = sorted(kinds)
    rooms, settings = [], {}
    for g in range(groups):
        kind = kind_names[g % len(kind_names)]
        spec = kinds[kind]
        owner = Member(f"g{g}-owner", "王强", spec.get("owner", "王强-办公室-主任"))
        people = [owner] + [Member(f"g{g}-m{i}", f"{SURNAMES[(i + g) % 20]}伟",
                                   f"{SURNAMES[(i + g) % 20]}伟-{UNITS[i % 4]}-科员")
                            for i in range(members)]
        rooms.append(Room(id=f"g{g}@chatroom", topic=spec.get("topic", ""),
                          purpose=spec.get("purpose", ""), owner_id=owner.id,
                          members={m.id: m for m in people}))
        own: dict = {"topic": spec.get("purpose", "")} if g % 2 else {}
        if g % 10 == 1:
            own["allow"] = ["加班餐"]
            own["deny"] = [{"rule": "ads", "phrase": "代办资质"}]
        if g % 10 == 0:
            own["quiet"] = True
        if g % 5 == 0:
            own["report_due"] = {"time": "18:00", "remind": True}
        settings[rooms[-1].id] = own
    lines = mix(max(per_group * groups, 1), seed)
    messages = []
    n = 0
    for g, room in enumerate(rooms):
        clock = T0 + timedelta(seconds=rng.uniform(0, 600))
        people = list(room.members.values())
        for k in range(per_group):
            d = lines[n % len(lines)]
            n += 1
            clock += timedelta(seconds=rng.expovariate(1 / (8 * 3600 / max(per_group, 1))))
            sender = people[0] if rng.random() < 0.08 else rng.choice(people[1:])
            messages.append(Message(
                id=f"{room.id}-{k}", room_id=room.id, sender_id=sender.id, ts=clock,
                type=MessageType(d.get("type") or "text"), text=d.get("text", ""),
                sender_name=sender.name, file_name=d.get("file_name") or None))
    messages.sort(key=lambda m: m.ts)
    return rooms, settings, messages


async def run(args) -> int:
    from qungui.app import build_moderator
    from qungui.cli.common import load_parts
    from qungui.config import load_settings
    from qungui.core.events import RoomSnapshot
    from qungui.pipeline.evaluation import load_groups
    from qungui.storage.repository import Repository

    plugins, rulebook = load_parts(load_settings(None, env={}))
    rooms, own, messages = province(args.groups, args.members, args.per_group,
                                    load_groups(None))
    url, _, name, drop = await pg_database(args.pg)
    try:
        repo = await Repository.open(url, spool_path=Path(tempfile.mkdtemp()) / "s.jsonl")
        for room_id, settings in own.items():        # the owners' commands, as rows
            for key, value in settings.items():
                await repo.change_settings(room_id, f"{room_id}-owner", "set", key, value)
        moderator = build_moderator(repo, rulebook, plugins, bot_id="bot", durable=True)
        await moderator.start()
        for room in rooms:
            await moderator.handle(RoomSnapshot(room))
        times = []
        flagged = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for msg in messages:
            started = time.perf_counter()
            outcome = await moderator.handle(msg)
            times.append(time.perf_counter() - started)
            flagged += outcome.action not in ("none", "ignored")
        await moderator.message_log.flush()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        async with repo.sessions() as s:
            from sqlalchemy import text
            size = await s.scalar(text("SELECT pg_database_size(current_database())"))
        await repo.close()
    finally:
        await drop()
    times.sort()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.groups:,} groups x {args.members + 1} people, {len(messages):,} messages "
          f"({flagged:,} with an incident), durable live path on PostgreSQL")
    print(f"{len(messages) / wall:,.0f} msg/s wall, {len(messages) / cpu:,.0f} msg per CPU-second; "
          f"p50 {times[len(times) // 2] * 1000:.1f} ms, "
          f"p99 {times[min(len(times) - 1, int(0.99 * len(times)))] * 1000:.1f} ms; "
          f"peak memory {peak:,.0f} MB; database {size / 1e6:,.1f} MB")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=100, help="groups (default 100)")
    parser.add_argument("--members", type=int, default=20, help="members per group (default 20)")
    parser.add_argument("--per-group", type=int, default=20,
                        help="messages per group in the day (default 20)")
    parser.add_argument("--pg", default=PG_DEFAULT, help=f"the server (default {PG_DEFAULT})")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
