"""The review desk at scale: timings of its pages over a large incident log.

Builds the database through the project's storage layer (its models and,
where present, ``storage.tally``'s per-day counts, in bulk transactions of
5,000 incidents), serves the review site in-process and times, over HTTP:
list page 1, a deep page (the middle of the log), a text search, the
overview, /api/stats, the CSV export (rows/s) and /healthz while the export
streams.

    python -m bench.review_scale [--incidents 100000] [--db sqlite|postgres|both]
                                 [--sqlite-file PATH]

Default: 100,000 incidents, on SQLite and on PostgreSQL (127.0.0.1:5432,
user postgres); ``--incidents 1000000`` is the full size (building it takes
several minutes). ``--sqlite-file`` keeps the SQLite database in PATH and,
when PATH already holds a built log, measures it without building again
(opening it applies any newer migrations, which fill their tables from the
incidents there). Runs against whichever ``qungui`` is on the path, so the
same script measures the code before and after a change.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import re
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

RULES = ["ads", "gossip", "off_topic", "flood", "rumor", "classified", "owner_praise",
         "cronyism", "red_envelope", "realname", "vote_buying", "central_policy"]
WORDS = ["代购", "面膜", "加微信", "会议", "通知", "项目", "材料", "收到", "领导", "红包", "谣言", "转发"]
PASSWORD = "bench-password"
END = datetime(2026, 12, 1, tzinfo=timezone.utc)


async def build(repo, n: int, rooms: int = 40, members: int = 60, days: int = 365) -> None:
    from sqlalchemy import insert, text

    from qungui.storage.models import IncidentRow, MemberRow, RoomRow
    try:
        from qungui.storage.tally import count_new
    except ImportError:                      # the code before the per-day counts
        count_new = None
    # the messages are new, as the repository's batched insert knows of its own
    fresh = {"fresh": True} if count_new is not None and "fresh" in inspect.signature(
        count_new).parameters else {}
    rnd = random.Random(7)
    async with repo.sessions.begin() as s:
        s.add_all(RoomRow(room_id=f"room{r}@chatroom", topic=f"第{r}工作群", purpose="工作")
                  for r in range(rooms))
        s.add_all(MemberRow(room_id=f"room{r}@chatroom", member_id=f"wxid_{m}", name=f"成员{m}",
                            alias=f"科员{m}") for r in range(rooms) for m in range(members))
    step = 5000
    span = days * 86400
    for start in range(0, n, step):
        batch = []
        for i in range(start, min(n, start + step)):
            rule = RULES[rnd.randrange(len(RULES))]
            words = "".join(rnd.choice(WORDS) for _ in range(8))
            batch.append(dict(
                room_id=f"room{rnd.randrange(rooms)}@chatroom", kind="violation",
                message_id=f"m{i}", rule=rule, sender_id=f"wxid_{rnd.randrange(members)}",
                sender_name=f"成员{i % members}", score=0.9, evidence=words[:6], reason="命中",
                excerpt=words, trace=[{"plugin": rule, "hit": True, "score": 0.9}], action="warn",
                status=rnd.choice(["open", "open", "confirmed", "dismissed"]),
                warning_text="", delivery="", counted=False, escalated=False,
                ts=END - timedelta(seconds=span * (n - i) / n), recorded_at=END))
        async with repo.sessions.begin() as s:
            await s.execute(insert(IncidentRow), batch)
            if count_new is not None:
                await count_new(s, [IncidentRow(**b) for b in batch], **fresh)
    async with repo.engine.begin() as c:
        await c.execute(text("ANALYZE"))


async def timed(fn, runs: int = 5) -> float:
    """The median of ``runs`` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


async def built(repo) -> int:
    """How many incidents the database already holds."""
    from sqlalchemy import func, select

    from qungui.storage.models import IncidentRow
    async with repo.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(IncidentRow)) or 0)


async def measure(url: str, n: int) -> dict:
    from aiohttp import ClientSession, CookieJar
    from aiohttp.test_utils import TestServer

    from qungui.app import rule_specs, rule_titles
    from qungui.storage.accounts import AccountStore
    from qungui.storage.repository import Repository
    from qungui.web import create_app
    from qungui.web.auth import hash_password

    t = time.perf_counter()
    repo = await Repository.open(url, spool_path=Path(tempfile.mkdtemp()) / "spool.jsonl")
    out: dict = {"open (migrations) s": time.perf_counter() - t}
    try:
        have = await built(repo)
        if have:
            n = have
        else:
            t = time.perf_counter()
            await build(repo, n)
            out["build s"] = time.perf_counter() - t
        await AccountStore(repo).set_password("审核员", hash_password(PASSWORD, n=2 ** 12), ["*"],
                                              actor="bench")
        server = TestServer(create_app(repo, rule_titles=rule_titles(), rule_specs=rule_specs(),
                                       failure_delay=0))
        await server.start_server()
        try:
            async with ClientSession(base_url=str(server.make_url("")),
                                 cookie_jar=CookieJar(unsafe=True)) as http:
                page = await (await http.get("/login")).text()
                csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
                signed = await http.post("/login", data={"username": "审核员", "password": PASSWORD,
                                                         "csrf": csrf, "next": "/"})
                assert signed.status == 200, signed.status

                def get(path):
                    async def go():
                        res = await http.get(path)
                        body = await res.read()
                        assert res.status == 200, (path, res.status, body[:300])
                    return go

                out["list page 1 ms"] = await timed(get("/incidents"))
                out["open queue ms"] = await timed(get("/incidents?status=open"))
                out["deep page ms"] = await timed(get(await deep_page(repo, n)))
                out["search ms"] = await timed(get("/incidents?q=" + "谣言红包转发"))
                out["overview ms"] = await timed(get("/"))
                out["/api/stats ms"] = await timed(get("/api/stats"))
                out.update(await export(http))
        finally:
            await server.close()
    finally:
        await repo.close()
    return out


async def deep_page(repo, n: int) -> str:
    """The list at the middle of the log: a cursor where the code pages by
    keyset, else ?page= (OFFSET)."""
    try:
        from qungui.storage.review import cursor_of
    except ImportError:
        return f"/incidents?page={n // 2 // 25}"
    from sqlalchemy import select

    from qungui.storage.models import IncidentRow
    async with repo.sessions() as s:
        row = await s.scalar(select(IncidentRow).order_by(IncidentRow.ts.desc(), IncidentRow.id.desc())
                             .offset(n // 2).limit(1))
    return f"/incidents?after={cursor_of(row)}"


async def export(http) -> dict:
    """The whole log as CSV, timing /healthz every 50 ms while it streams."""
    pings: list[float] = []
    done = asyncio.Event()

    async def ping():
        while not done.is_set():
            t = time.perf_counter()
            async with http.get("/healthz") as res:
                await res.read()
            pings.append((time.perf_counter() - t) * 1000)
            await asyncio.sleep(0.05)

    pinger = asyncio.create_task(ping())
    t = time.perf_counter()
    lines = 0
    async with http.get("/export.csv") as res:
        async for chunk in res.content.iter_chunked(1 << 16):
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - t
    done.set()
    await pinger
    rows = lines - 1
    return {"export rows": rows, "export rows/s": rows / seconds,
            "healthz during export median ms": statistics.median(pings) if pings else 0.0,
            "healthz during export max ms": max(pings) if pings else 0.0}


async def postgres_url() -> tuple[str, str]:
    import asyncpg
    name = f"bench_review_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def drop_postgres(name: str) -> None:
    import asyncpg
    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--incidents", type=int, default=100_000)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--sqlite-file", type=Path, default=None,
                    help="build the SQLite log here and keep it; reuse it if already built")
    args = ap.parse_args()
    for kind in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        name = None
        if kind == "sqlite":
            path = args.sqlite_file or Path(tempfile.mkdtemp()) / "bench.sqlite3"
            url = f"sqlite+aiosqlite:///{path.resolve()}"
        else:
            url, name = await postgres_url()
        try:
            result = await measure(url, args.incidents)
        finally:
            if name:
                await drop_postgres(name)
        print(f"\n{kind}, {args.incidents:,} incidents")
        for key, value in result.items():
            print(f"  {key:34s} {value:12,.1f}")


if __name__ == "__main__":
    asyncio.run(main())
