"""What per-room settings cost: building a room's own automaton (its allow
and deny phrases beside every lexicon), a cached settings lookup, and
inspecting a message with the room's automaton versus the shared one.

    .venv/bin/python bench/room_settings.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qungui.core import nlp  # noqa: E402
from qungui.app import build_moderator
from qungui.pipeline.engine import Moderator  # noqa: E402
from qungui.core.events import Message, Room  # noqa: E402
from qungui.core.matcher import Matcher, load_lexicons  # noqa: E402
from qungui.core.plugin import specs_of  # noqa: E402
from qungui.plugins import load_plugins  # noqa: E402
from qungui.core.rulebook import load_rulebook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["请各单位于周五下班前报送本月招商项目进展，材料发到商务局邮箱。",
         "自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456",
         "这个项目有内部价，大家抓紧", "周末一起去打羽毛球吧，球馆我订好了"] * 250


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


class FakeRepo:
    """Settings come from memory here: this measures the cache, not a database."""

    def __init__(self, raw):
        self.raw = raw

    async def room_settings(self, room_id):
        return self.raw


async def main() -> None:
    nlp.init()
    plugins = load_plugins()
    rulebook = load_rulebook(specs=specs_of(plugins))
    base = Matcher(load_lexicons(ROOT / "qungui" / "rules" / "lexicons"))
    raw = {"allow": [f"放行短语{i}号" for i in range(10)],
           "deny": [{"rule": "off_topic", "phrase": f"禁用词{i}"} for i in range(9)]
           + [{"rule": "off_topic", "phrase": "内部价"}]}
    m = build_moderator(FakeRepo(raw), rulebook, plugins, base, bot_id="bot")
    build = timed(lambda: base.extended([("ads", "room_deny", f"词{i}") for i in range(20)]), 20)
    print(f"lexicon entries: {len(base)}")
    print(f"room automaton build (20 extra phrases): median {statistics.median(build):.1f} ms, "
          f"max {max(build):.1f} ms (once per distinct phrase set, then cached)")

    view = await m.settings.get("r1")
    n = 10_000
    t = time.perf_counter()
    for _ in range(n):
        await m.settings.get("r1")
    print(f"cached settings lookup: {(time.perf_counter() - t) / n * 1e6:.2f} µs")

    room = Room("r1", "招商引资专项工作群", "招商项目洽谈、签约与落地推进", "u1", {})
    msgs = [Message(f"m{i}", "r1", "u2", datetime.now(timezone.utc), text=t) for i, t in enumerate(TEXTS)]
    for label, v in (("shared automaton", m.settings.default), ("room automaton", view)):
        m.inspect(msgs[0], room, v)
        t = time.perf_counter()
        for msg in msgs:
            m.inspect(msg, room, v)
        print(f"inspect with the {label}: {(time.perf_counter() - t) / len(msgs) * 1000:.3f} ms/message")


if __name__ == "__main__":
    asyncio.run(main())
