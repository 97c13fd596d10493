"""Fixtures for the WeChat channel: the real engine on a real database, a
rulebook whose sending pace suits tests, and wechaty's FakePuppet."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qungui.core.rulebook import Sending

# The pacing rules still apply; only the waits are short, so tests take milliseconds.
FAST = Sending(per_second=20, per_minute=600, min_gap_seconds=0.0, room_gap_seconds=0.0, jitter_seconds=0.0, merge_window_seconds=0.2,
               max_attempts=4, retry_base_seconds=0.01, stale_after_seconds=600, drain_seconds=5)

ROOM = "r1@chatroom"
OWNER = ("u1", "李明", "李明-商务局-局长")
MEMBERS = [OWNER, ("u2", "张伟", "张伟-发改委-科长"), ("u3", "王芳", "王芳-财政局-科员"),
           ("u4", "赵强", "赵强-住建局-副局长")]


@pytest.fixture
def fast_rulebook(rulebook):
    return replace(rulebook, sending=FAST)


@pytest.fixture
async def live_moderator(repo, plugins, fast_rulebook, matcher):
    from qungui.app import build_moderator
    m = build_moderator(repo, fast_rulebook, plugins, matcher, bot_id="bot", operators=["op1"],
                        durable=True)
    await m.start()
    return m


@pytest.fixture
def puppet():
    from tests.channels.fakes import WorkGroupPuppet
    from qungui.channels.wechaty import load_wechaty
    p = WorkGroupPuppet(load_wechaty().PuppetOptions())
    p.add_room(ROOM, "招商引资专项工作群", OWNER[0], MEMBERS)
    return p
