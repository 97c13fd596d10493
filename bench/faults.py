"""Delivery under faults at full scale: ``bot.py run`` against the loopback
puppet-service gateway (tests/channels/rig.py) with the default pacing.

200 violations in 20 rooms arrive at once; the bot is stopped like
``docker stop`` (SIGTERM, SIGKILL 10 s later) and started again; killed with
SIGKILL mid-drain and started again; the gateway goes down for 30 s and
comes back. Prints what arrived (each warning once?), what was lost or
doubled, what the outbox says, and the most sends in any 1 s and 60 s.

    python -m bench.faults [--db URL]        (about 7 minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from tests.channels.rig import (AD, Bot, Gateway, build_world, connected, free_port,
                                max_in_window, outbox_statuses, rulebook, wait_for)


async def main(db_url: str | None, folder: Path) -> None:
    db_url = db_url or f"sqlite:///{folder}/bot.sqlite3"
    g = Gateway()
    pairs = build_world(g, rooms=20, members=10)
    port = free_port()
    await g.start(port)
    bot = Bot(folder, port, db_url, rulebook(folder))
    t0 = time.monotonic()

    def say(what: str) -> None:
        print(f"{time.monotonic() - t0:6.1f}s  {what}  (arrived {len(g.sent)})", flush=True)

    try:
        await bot.start()
        await connected(g, 1)
        for room, member in pairs:
            g.say(room, member, AD)
        say("200 violations in 20 rooms")
        await asyncio.sleep(20)
        rc, took = await bot.stop(grace=10)
        say(f"docker stop: exit {rc} after {took:.1f}s")
        await bot.start()
        await connected(g, 2)
        say("started again")
        await asyncio.sleep(random.uniform(20, 30))
        await bot.kill()
        say("kill -9 mid-drain")
        await bot.start()
        await connected(g, 3)
        say("started again")
        await asyncio.sleep(20)
        await g.down()
        say("gateway down")
        await asyncio.sleep(30)
        await g.start(port)
        say("gateway up")
        await wait_for(lambda: len(g.warnings()) >= len(pairs), 900, "every warning")
        await asyncio.sleep(5)
        rc, took = await bot.stop(grace=10)
        say(f"stopped: exit {rc} after {took:.1f}s")
    finally:
        await bot.kill()
        await g.close()
    warned = g.warnings()
    expected = {(r, (m,)) for r, m in pairs}
    statuses = await outbox_statuses(db_url)
    print(f"violations: {len(pairs)}")
    print(f"delivered once: {sum(1 for k in expected if warned[k] == 1)}")
    print(f"duplicates: {sum(n - 1 for n in warned.values() if n > 1)}")
    print(f"lost: {sum(1 for k in expected if warned[k] == 0)}")
    print(f"outbox: {dict(statuses)}")
    print(f"max sends in any 1 s: {max_in_window(g.times, 1.0)}; "
          f"in any 60 s: {max_in_window(g.times, 60.0)}")
    print(f"first to last send: {g.times[-1] - g.times[0]:.0f}s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(args.db, Path(tmp)))
