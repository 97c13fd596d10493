"""The outbound queue: pacing, merging, retries and shutdown, on an injected
clock (the timing is exact and the tests take milliseconds)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from qungui.channels.outbound import FAILED_FILE, UNSENT_FILE, OutboundQueue, render_mentions
from qungui.core.actions import Remove, Send, SendPrivate
from qungui.core.rulebook import Sending
from tests.channels.fakes import FakeClock, until

DEFAULT = Sending()   # the rulebook defaults: 40 a minute, 3 s apart in a chat, jitter 2 s


class Recorder:
    """A transport that records when each call happened; it can be told to fail."""

    def __init__(self, clock: FakeClock, fail: dict[str, int] | None = None):
        self.clock = clock
        self.calls: list[tuple[float, str, str, tuple]] = []
        self.removed: list[tuple[float, str, str]] = []
        self.fail = dict(fail or {})
        self.attempts: dict[str, list[float]] = defaultdict(list)
        self.online = True

    async def send_text(self, conversation_id, text, mention_ids):
        self.attempts[conversation_id].append(self.clock.now())
        if self.fail.get(conversation_id, 0):
            self.fail[conversation_id] -= 1
            raise ConnectionError("gateway timeout")
        self.calls.append((self.clock.now(), conversation_id, text, tuple(mention_ids)))

    async def remove_member(self, room_id, member_id):
        self.removed.append((self.clock.now(), room_id, member_id))

    def available(self):
        return self.online

    def mention_name(self, room_id, contact_id):
        return {"u1": "李明-商务局-局长", "u2": "张伟-发改委-科长"}.get(contact_id, f"成员{contact_id}")


def make(tmp_path, policy=DEFAULT, fail=None, seed=7):
    clock = FakeClock()
    rec = Recorder(clock, fail)
    q = OutboundQueue(rec, policy, outbox_dir=tmp_path, clock=clock, rng=random.Random(seed))
    return q, rec, clock


async def test_burst_of_200_violations_across_20_rooms_keeps_every_limit(tmp_path):
    q, rec, clock = make(tmp_path)
    start = clock.now()
    q.submit(Send(f"room{r:02d}", f"温馨提醒 {r}-{m}", (f"m{r}-{m}",))
             for m in range(10) for r in range(20))
    assert q.pending == 200
    q.start()
    await until(lambda: len(rec.calls) == 200, what="200 sends")
    await q.close()

    times = [c[0] for c in rec.calls]
    # the global budget: never more than 40 sends in any 60 s
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 60) <= DEFAULT.per_minute
    # at that pace 200 messages need at least four full minutes
    assert times[-1] - start >= 4 * 60
    by_room = defaultdict(list)
    for t, room, text, mentions in rec.calls:
        by_room[room].append((t, text))
    assert len(by_room) == 20
    for room, sends in by_room.items():
        gaps = [b[0] - a[0] for a, b in zip(sends, sends[1:])]
        assert min(gaps) >= DEFAULT.room_gap_seconds, room
        # jitter: the gaps are not all the same, so the timing does not look scripted
        assert len({round(g, 3) for g in gaps}) > 1, room
        # order within a room is kept
        assert [int(text.split("-")[-1]) for _, text in sends] == list(range(10))
    # every warning waited the merge window first, like a person would
    assert times[0] - start >= DEFAULT.merge_window_seconds
    assert q.stats.sent == 200 and q.stats.failed == 0


async def test_warnings_to_one_member_in_a_short_window_are_merged(tmp_path):
    q, rec, clock = make(tmp_path)
    q.submit([Send("r1", "温馨提醒：您的发言涉及“广告推销”", ("u2",))])
    clock.t += 1
    q.submit([Send("r1", "温馨提醒：您的发言涉及“刷屏”", ("u2",)),
              Send("r1", "温馨提醒：请注意", ("u1",))])         # another member: separate
    clock.t += 1
    q.submit([Send("r1", "温馨提醒：您的发言涉及“广告推销”", ("u2",))])  # same text: said once
    q.submit([SendPrivate("u1", "【群规助手】成员 张伟 …", "r1"),
              SendPrivate("u1", "【群规助手】成员 王芳 …", "r1")])    # notes to the owner: one message
    clock.t += 10
    q.submit([Send("r1", "温馨提醒：您的发言涉及“谣言”", ("u2",))])     # outside the window
    q.start()
    await until(lambda: len(rec.calls) == 4, what="4 sends")
    await q.close()
    texts = {(c[1], c[3], c[2]) for c in rec.calls}
    assert ("r1", ("u2",), "@张伟-发改委-科长\u2005温馨提醒：您的发言涉及“广告推销”\n"
            "温馨提醒：您的发言涉及“刷屏”") in texts
    assert ("r1", ("u1",), "@李明-商务局-局长\u2005温馨提醒：请注意") in texts
    assert ("u1", (), "【群规助手】成员 张伟 …\n【群规助手】成员 王芳 …") in texts
    assert ("r1", ("u2",), "@张伟-发改委-科长\u2005温馨提醒：您的发言涉及“谣言”") in texts
    assert q.stats.merged == 3


async def test_plain_sends_are_not_held_or_merged(tmp_path):
    q, rec, clock = make(tmp_path)
    start = clock.now()
    q.submit([Send("r1", "大家好，我是本群的群规助手。"), Send("r1", "【工作群群规】")])
    q.start()
    await until(lambda: len(rec.calls) == 2, what="2 sends")
    await q.close()
    assert rec.calls[0][0] == start                       # the greeting goes out at once
    assert rec.calls[1][0] - rec.calls[0][0] >= DEFAULT.room_gap_seconds


async def test_failed_send_is_retried_with_backoff_and_others_keep_going(tmp_path):
    policy = Sending(merge_window_seconds=0, retry_base_seconds=2, jitter_seconds=0)
    q, rec, clock = make(tmp_path, policy, fail={"r1": 2})
    q.submit([Send("r1", "提醒一", ("u2",)), Send("r2", "提醒二", ("u2",))])
    q.start()
    await until(lambda: len(rec.calls) == 2, what="both sends")
    await q.close()
    tries = rec.attempts["r1"]
    assert len(tries) == 3
    assert tries[1] - tries[0] >= 2 and tries[2] - tries[1] >= 4      # 2 s, then 4 s
    # the other room was not held up by the failing one
    r2 = next(c for c in rec.calls if c[1] == "r2")
    assert r2[0] < tries[-1]
    assert q.stats.retried == 2 and q.stats.sent == 2


async def test_sending_waits_while_disconnected_instead_of_using_up_retries(tmp_path):
    policy = Sending(merge_window_seconds=0, max_attempts=2)
    q, rec, clock = make(tmp_path, policy)
    rec.online = False
    q.submit([Send("r1", "温馨提醒：请注意", ("u2",))])
    q.start()
    await until(lambda: clock.now() > 1000 + 600, what="ten offline minutes")
    assert rec.attempts == {} and q.pending == 1
    rec.online = True
    await until(lambda: len(rec.calls) == 1, what="the send once back online")
    await q.close()
    assert q.stats.failed == 0 and len(rec.attempts["r1"]) == 1


async def test_a_send_that_never_succeeds_is_recorded_not_lost(tmp_path):
    policy = Sending(merge_window_seconds=0, max_attempts=3, retry_base_seconds=1)
    q, rec, clock = make(tmp_path, policy, fail={"r1": 99})
    q.submit([Send("r1", "温馨提醒：请注意", ("u2",)), Send("r1", "第二条"), Remove("r1", "u2")])
    q.start()
    await until(lambda: q.stats.failed == 2, what="two give-ups")
    await until(lambda: len(rec.removed) == 1, what="the removal")
    await q.close()
    failed = [json.loads(l) for l in (tmp_path / FAILED_FILE).read_text("utf-8").splitlines()]
    assert [f["text"] for f in failed] == ["温馨提醒：请注意", "第二条"]
    assert all(f["attempts"] == 3 and "gateway timeout" in f["last_error"] for f in failed)
    assert failed[0]["mention_ids"] == ["u2"] and failed[0]["room_id"] == "r1"
    assert rec.removed[0][1:] == ("r1", "u2")


async def test_nothing_is_lost_on_shutdown(tmp_path):
    q, rec, clock = make(tmp_path, Sending(drain_seconds=30))
    q.submit(Send(f"r{i % 5}", f"提醒{i}", (f"u{i}",)) for i in range(60))
    kept = await q.close()      # SIGTERM with 60 warnings queued: 30 s to drain
    assert len(rec.calls) > 5
    sent = {c[2].split("\u2005")[1] for c in rec.calls}
    unsent = [json.loads(l) for l in (tmp_path / UNSENT_FILE).read_text("utf-8").splitlines()]
    assert kept == len(unsent) > 0
    assert sent.isdisjoint(u["text"] for u in unsent)
    assert sent | {u["text"] for u in unsent} == {f"提醒{i}" for i in range(60)}
    # the budget still held while draining
    assert len(rec.calls) <= Sending().per_minute

    # the next start sends what is still fresh
    q2, rec2, _ = make(tmp_path, Sending(merge_window_seconds=0, room_gap_seconds=0,
                                         jitter_seconds=0, per_minute=600))
    assert q2.restore() == kept
    assert not (tmp_path / UNSENT_FILE).exists()
    q2.start()
    await until(lambda: len(rec2.calls) == kept, what="restored sends")
    await q2.close()
    assert sent | {c[2].split("\u2005")[1] for c in rec2.calls} == {f"提醒{i}" for i in range(60)}


async def test_stale_unsent_messages_are_recorded_not_sent(tmp_path):
    old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    (tmp_path / UNSENT_FILE).write_text(
        json.dumps({"kind": "text", "conversation": "r1", "text": "两小时前的提醒",
                    "mention_ids": ["u2"], "room_id": "r1", "created_at": old}, ensure_ascii=False)
        + "\nnot json\n", encoding="utf-8")
    q, rec, _ = make(tmp_path)
    assert q.restore() == 0
    assert q.pending == 0
    failed = (tmp_path / FAILED_FILE).read_text("utf-8")
    assert "两小时前的提醒" in failed and "stale" in failed
    assert (tmp_path / "outbound-unsent.bad").read_text("utf-8").strip() == "not json"


@pytest.mark.parametrize("names, text, expected", [
    ([], "大家好", "大家好"),
    (["张伟-发改委-科长"], "温馨提醒", "@张伟-发改委-科长\u2005温馨提醒"),
    (["李明", "王芳"], "请审阅", "@李明\u2005@王芳\u2005请审阅"),
])
def test_mentions_render_the_way_wechat_highlights_them(names, text, expected):
    assert render_mentions(text, names) == expected
