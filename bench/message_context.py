"""What storing message context costs the engine.

Replays the demo conversation's messages (renamed so each is new) through
the real Moderator on a SQLite file, once with the message log on and once
off (retention 0), and reports the time per ``handle()`` call and the time
the background writer needs to flush. Run:

    .venv/bin/python bench/message_context.py [ROUNDS]

Measured on the 2-core development machine (SQLite file, 20 rounds = 1140
messages): handle() mean 1.44 ms with the log off and 1.44 ms with it on,
p95 3.3 ms and 4.5 ms; the last batch flushed in 4 ms. At 50 rounds the two
runs differ by less than run-to-run noise (means 3.4-5.7 ms either way):
the write is batched off the path a warning takes, so its cost shows, if at
all, in the tail.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def run(retention_days: int, rounds: int, workdir: str) -> dict:
    from qungui.channels.replay import LineReport, read_events
    from qungui.cli.common import DEMO_EVENTS
    from qungui.core import nlp
    from qungui.app import build_moderator
    from qungui.core.events import Message
    from qungui.core.plugin import specs_of
    from qungui.plugins import load_plugins
    from qungui.core.rulebook import load_rulebook
    from qungui.storage.repository import Repository

    plugins = load_plugins()
    rulebook = load_rulebook(specs=specs_of(plugins))
    nlp.init()
    repo = await Repository.open(f"sqlite+aiosqlite:///{workdir}/bench-{retention_days}.sqlite3")
    moderator = build_moderator(repo, rulebook, plugins, message_retention_days=retention_days)
    events = [e for _, e in read_events(DEMO_EVENTS) if not isinstance(e, LineReport)]
    timings = []
    for r in range(rounds):
        for event in events:
            if isinstance(event, Message):
                event = dataclasses.replace(event, id=f"{event.id}-{r}",
                                            ts=event.ts + timedelta(hours=r))
                started = time.perf_counter()
                await moderator.handle(event)
                timings.append(time.perf_counter() - started)
            elif r == 0:
                await moderator.handle(event)
    started = time.perf_counter()
    await moderator.message_log.flush()
    flush = time.perf_counter() - started
    written = moderator.message_log.written
    await repo.close()
    timings.sort()
    return {"messages": len(timings), "mean_ms": statistics.mean(timings) * 1000,
            "p95_ms": timings[int(len(timings) * 0.95)] * 1000, "final_flush_ms": flush * 1000,
            "rows_written": written}


async def main() -> None:
    import logging
    logging.disable(logging.WARNING)   # the demo has a refused command; not news here
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as workdir:
        off = await run(0, rounds, workdir)
        on = await run(30, rounds, workdir)
    for name, r in (("message log off", off), ("message log on ", on)):
        print(f"{name}: {r['messages']} messages, handle() mean {r['mean_ms']:.3f} ms, "
              f"p95 {r['p95_ms']:.3f} ms; final flush {r['final_flush_ms']:.1f} ms, "
              f"{r['rows_written']} rows written in the background")


if __name__ == "__main__":
    asyncio.run(main())
