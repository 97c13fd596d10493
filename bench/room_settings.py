"""What per-room phrases cost: memory per room and build time of the rooms'
automata, a cached settings lookup, and inspecting a message with a room's
automaton versus the shared one.

    .venv/bin/python bench/room_settings.py                      # 100, 1,000, 10,000 rooms
    .venv/bin/python bench/room_settings.py --rooms 100 --whole 20

Every room has ``--phrases`` phrases of its own (half allow phrases, some
for every rule and some for one, half deny phrases), all different from
room to room, so no two rooms share an automaton. Memory is the growth of
the process's resident set (the automata live partly outside Python's
heap) after building every room's view (the settings as read from the
database included), divided by the rooms; build time is the time to
compute one room's view (its effective rulebook and its automaton); the
maximum includes a pause of Python's garbage collector. ``--whole N`` also measures, for N rooms, the way rooms were
built before: the room's phrases compiled with every lexicon into one
automaton of its own (1.0–1.7 MB and 70–110 ms a room).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qungui.app import load_parts  # noqa: E402
from qungui.core.events import Message, Room  # noqa: E402
from qungui.core.matcher import ALL_RULES, ALLOW_PHRASE, Matcher  # noqa: E402
from qungui.pipeline.engine import Moderator  # noqa: E402
from qungui.pipeline.room_settings import RoomSettings  # noqa: E402
from qungui.rules import data_path  # noqa: E402

TEXTS = ["请各单位于周五下班前报送本月招商项目进展，材料发到商务局邮箱。",
         "自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456",
         "这个项目有内部价，大家抓紧", "周末一起去打羽毛球吧，球馆我订好了"] * 250
RULES = ("ads", "off_topic", "gossip", "rumor", "cronyism")


def rss_mb() -> float:
    """Resident set in MB, after Python's garbage and the C heap's free
    memory are given back (glibc's malloc_trim), so that it counts what is
    kept."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def settings_of(room: int, phrases: int) -> dict:
    """A room's own phrases: different words in every room."""
    allow = [f"放行{room}号短语{i}" if i % 2 else {"rule": RULES[i % len(RULES)],
                                                  "phrase": f"{room}号放行{i}"}
             for i in range(phrases // 2)]
    deny = [{"rule": RULES[i % len(RULES)], "phrase": f"禁{room}用词{i}"}
            for i in range(phrases - phrases // 2)]
    return {"allow": allow, "deny": deny}


def build_rooms(settings: RoomSettings, rooms: int, phrases: int) -> tuple:
    """(views, MB per room, ms to build a room's view: median, 99th percentile, max)."""
    gc.collect()
    before = rss_mb()
    times = []
    views = []
    for r in range(rooms):
        raw = settings_of(r, phrases)
        t = time.perf_counter()
        views.append(settings.view(f"room{r}", raw))
        times.append(time.perf_counter() - t)
    gc.collect()
    times.sort()
    return (views, (rss_mb() - before) / rooms, statistics.median(times) * 1e3,
            times[int(len(times) * 0.99)] * 1e3, times[-1] * 1e3)


def whole_automata(settings: RoomSettings, base: Matcher, rooms: int, phrases: int):
    """The former way: every room's phrases compiled with every lexicon."""
    gc.collect()
    before = rss_mb()
    kept, times = [], []
    for r in range(rooms):
        view = settings.view(f"w{r}", settings_of(r, phrases))
        t = time.perf_counter()
        extra = [(rule, ALLOW_PHRASE, p) for scope, p in view.allow
                 for rule in (settings.rulebook.rules if scope == ALL_RULES else (scope,))
                 if rule not in settings.never_allowed]
        extra += [(rule, "room_deny", p) for rule, p in view.deny]
        kept.append(Matcher(base._source + tuple(extra)))
        times.append(time.perf_counter() - t)
    gc.collect()
    return (rss_mb() - before) / rooms, statistics.median(times) * 1e3, max(times) * 1e3


class FakeRepo:
    """Settings come from memory here: this measures the cache, not a database."""

    def __init__(self, raw):
        self.raw = raw

    async def room_settings(self, room_id):
        return self.raw


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", default="100,1000,10000",
                        help="numbers of rooms to build, comma-separated")
    parser.add_argument("--phrases", type=int, default=20, help="phrases of each room's own")
    parser.add_argument("--whole", type=int, default=0,
                        help="also build this many rooms the former way (a whole automaton each)")
    args = parser.parse_args()

    plugins, rulebook = load_parts(data_path("default.yaml"))
    m = Moderator(None, rulebook, plugins)
    base = m.matcher
    print(f"lexicon entries: {len(base)}; {args.phrases} phrases a room")
    print(f"{'rooms':>7} {'KB/room':>9} {'MB in all':>10} {'build ms: median':>17} {'p99':>7} "
          f"{'max':>7}")
    for rooms in (int(x) for x in args.rooms.split(",") if x):
        settings = RoomSettings(None, rulebook, m.params, base, m.plugins)
        views, per_room, median, p99, worst = build_rooms(settings, rooms, args.phrases)
        print(f"{rooms:>7,} {per_room * 1e3:>9.1f} {per_room * rooms:>10.1f} {median:>17.3f} "
              f"{p99:>7.2f} {worst:>7.2f}", flush=True)
        del views, settings
    if args.whole:
        settings = RoomSettings(None, rulebook, m.params, base, m.plugins)
        per_room, median, worst = whole_automata(settings, base, args.whole, args.phrases)
        print(f"former way, {args.whole} rooms: {per_room:.3f} MB/room, build median "
              f"{median:.1f} ms, max {worst:.1f} ms")

    raw = {"allow": [f"放行短语{i}号" for i in range(10)],
           "deny": [{"rule": "off_topic", "phrase": f"禁用词{i}"} for i in range(9)]
           + [{"rule": "off_topic", "phrase": "内部价"}]}
    m.settings = RoomSettings(FakeRepo(raw), rulebook, m.params, base, m.plugins)
    view = await m.settings.get("r1")
    n = 10_000
    t = time.perf_counter()
    for _ in range(n):
        await m.settings.get("r1")
    print(f"cached settings lookup: {(time.perf_counter() - t) / n * 1e6:.2f} µs")

    room = Room("r1", "招商引资专项工作群", "招商项目洽谈、签约与落地推进", "u1", {})
    msgs = [Message(f"m{i}", "r1", "u2", datetime.now(timezone.utc), text=t)
            for i, t in enumerate(TEXTS)]
    for label, v in (("shared automaton", m.settings.default), ("room automaton", view)):
        m.inspect(msgs[0], room, v)
        t = time.perf_counter()
        for msg in msgs:
            m.inspect(msg, room, v)
        print(f"inspect with the {label}: "
              f"{(time.perf_counter() - t) / len(msgs) * 1000:.3f} ms/message")


if __name__ == "__main__":
    asyncio.run(main())
