"""The sender over the real outbox (SQLite and PostgreSQL): pacing, merging,
retries, expiry, dead leases, the budget across restarts, the old files."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from qungui.channels.outbound import OutboxSender, render_mentions
from qungui.core.ports import Handled, IncidentIn, Outgoing
from qungui.core.rulebook import Sending
from qungui.storage.models import OutboxRow
from tests.channels.fakes import until

QUICK = Sending(per_second=4, per_minute=600, min_gap_seconds=0.0, room_gap_seconds=0.5,
                jitter_seconds=0.05, merge_window_seconds=0.3, max_attempts=3,
                retry_base_seconds=0.05, send_timeout_seconds=0.5, drain_seconds=1)
ACCOUNT = "wxid_bot"


class Recorder:
    """A transport that records when each call arrived; it can fail or hang."""

    def __init__(self, fail: dict[str, int] | None = None, hang: set[str] = frozenset()):
        self.calls: list[tuple[float, str, str, tuple]] = []
        self.removed: list[tuple[str, str]] = []
        self.attempts: dict[str, int] = defaultdict(int)
        self.fail = dict(fail or {})
        self.hang = set(hang)
        self.online = True

    async def send_text(self, conversation_id, text, mention_ids):
        self.attempts[conversation_id] += 1
        if conversation_id in self.hang:
            await asyncio.Event().wait()
        if self.fail.get(conversation_id, 0):
            self.fail[conversation_id] -= 1
            raise ConnectionError("gateway timeout")
        self.calls.append((time.time(), conversation_id, text, tuple(mention_ids)))

    async def remove_member(self, room_id, member_id):
        self.removed.append((room_id, member_id))

    def available(self):
        return self.online

    def mention_name(self, room_id, contact_id):
        return {"u2": "张伟-发改委-科长"}.get(contact_id, f"成员{contact_id}")


def sender(repo, rec, policy=QUICK, legacy_dir=None):
    return OutboxSender(repo.outbox, rec, policy, account=lambda: ACCOUNT, legacy_dir=legacy_dir,
                        rng=random.Random(7))


def warning(room, member, text, hold=0.0):
    return Outgoing("warning", room, text, (member,), room_id=room, mergeable=True,
                    hold_seconds=hold)


async def test_pacing_per_second_and_per_chat_and_priority(repo):
    # a greeting first, then 11 warnings across 4 rooms: warnings go first
    await repo.deliver([Outgoing("greeting", "r0", "大家好")], account=ACCOUNT)
    await repo.deliver([warning(f"r{i % 4}", f"u{i}", f"提醒{i}") for i in range(11)],
                       account=ACCOUNT)
    rec = Recorder()
    s = sender(repo, rec)
    s.start()
    await until(lambda: len(rec.calls) == 12, timeout=20, what="12 sends")
    await s.close()
    times = [c[0] for c in rec.calls]
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 1.0) <= QUICK.per_second
    by_room = defaultdict(list)
    for t, room, *_ in rec.calls:
        by_room[room].append(t)
    for room, ts in by_room.items():
        assert all(b - a >= QUICK.room_gap_seconds for a, b in zip(ts, ts[1:])), room
    assert rec.calls[-1][2] == "大家好"          # greetings last
    counts = await repo.outbox_counts(ACCOUNT)
    assert counts.sent == 12 and counts.pending == 0


async def test_warnings_to_one_member_merge_and_tell_their_incidents(repo):
    t0 = datetime.now(timezone.utc)
    # a window and a hold wide enough for three commits one after another on
    # a loaded machine (0.3 s was not, once: the first warning went alone)
    window = 2.0
    for n, text in enumerate(["温馨提醒：广告推销", "温馨提醒：刷屏", "温馨提醒：广告推销"]):
        row = IncidentIn(room_id="r1", message_id=f"m{n}", rule="ads", sender_id="u2", ts=t0,
                         action="warn", counted=True,
                         outgoing=[dict(warning("r1", "u2", text, hold=window).record(),
                                        account=ACCOUNT)],
                         handled=Handled("r1", "message", f"k{n}").key_list())
        assert await repo.record([row])
    await repo.deliver([warning("r1", "u3", "温馨提醒：另一位", hold=window)], account=ACCOUNT)
    rec = Recorder()
    s = sender(repo, rec, dataclasses.replace(QUICK, merge_window_seconds=window))
    s.start()
    await until(lambda: len(rec.calls) == 2, what="two sends")
    await s.close()
    texts = {c[2] for c in rec.calls}
    assert "@张伟-发改委-科长\u2005温馨提醒：广告推销\n温馨提醒：刷屏" in texts
    assert s.stats.merged == 2
    incidents = await repo.incidents(room_id="r1")
    assert {i.delivery for i in incidents} == {"sent"} and all(i.delivered_at for i in incidents)
    rows = await repo.outbox.rows()
    assert sorted(r.status for r in rows) == ["merged", "merged", "sent", "sent"]


async def test_failures_are_retried_then_given_up_and_others_keep_going(repo):
    await repo.deliver([warning("r1", "u2", "提醒一"), warning("r2", "u2", "提醒二"),
                        Outgoing("removal", "r3", room_id="r3", member_id="u9")],
                       account=ACCOUNT)
    rec = Recorder(fail={"r1": 99})
    s = sender(repo, rec)
    s.start()
    await until(lambda: s.stats.failed == 1, timeout=10, what="a give-up")
    await s.close()
    assert rec.attempts["r1"] == QUICK.max_attempts
    assert [c[1] for c in rec.calls] == ["r2"] and rec.removed == [("r3", "u9")]
    failed = await repo.outbox.rows(statuses=("failed",))
    assert len(failed) == 1 and "gateway timeout" in failed[0].last_error


async def test_a_hanging_send_times_out_is_retried_and_does_not_hold_other_chats(repo):
    await repo.deliver([warning("stuck", "u2", "卡住的"), warning("r2", "u2", "正常的")],
                       account=ACCOUNT)
    rec = Recorder(hang={"stuck"})
    s = sender(repo, rec)
    s.start()
    await until(lambda: any(c[1] == "r2" for c in rec.calls), what="the other chat served")
    await until(lambda: s.stats.timeouts >= 1, what="a timeout")
    rec.hang.clear()
    await until(lambda: any(c[1] == "stuck" for c in rec.calls), timeout=10, what="the retry")
    started = time.monotonic()
    await s.close()
    assert time.monotonic() - started < 2


async def test_offline_waits_without_attempts_and_stale_rows_expire(repo):
    await repo.deliver([warning("r1", "u2", "提醒")], account=ACCOUNT)
    async with repo.sessions.begin() as ses:
        old = datetime.now(timezone.utc) - timedelta(hours=1)
        ses.add(OutboxRow(account=ACCOUNT, conversation="r9", kind="warning", text="一小时前",
                          mention_ids=[], incident_ids=[], created_at=old, not_before=old))
    rec = Recorder()
    rec.online = False
    s = sender(repo, rec)
    s.start()
    await asyncio.sleep(1.2)
    assert rec.attempts == {}
    rec.online = True
    await until(lambda: len(rec.calls) == 1, what="the send once online")
    await s.close()
    assert rec.calls[0][1] == "r1"
    assert (await repo.outbox_counts(ACCOUNT)).expired == 1


async def test_a_row_left_sending_by_a_dead_process_is_never_sent_again(repo):
    now = datetime.now(timezone.utc)
    async with repo.sessions.begin() as ses:
        ses.add(OutboxRow(account=ACCOUNT, conversation="r1", kind="warning", text="发送中断",
                          mention_ids=[], incident_ids=[], created_at=now, not_before=now,
                          status="sending", claimed_by="gone-1", last_attempt_at=now,
                          claimed_until=now - timedelta(seconds=1)))
    rec = Recorder()
    s = sender(repo, rec)
    s.start()
    await until(lambda: s.stats.unknown == 1, what="the dead lease settled")
    await s.close()
    assert rec.calls == []
    assert (await repo.outbox_counts(ACCOUNT)).unknown == 1


async def test_the_budget_of_the_last_minute_survives_a_restart(repo):
    # 40 sends in the last 30 s, from an earlier process: the budget is spent
    now = datetime.now(timezone.utc)
    async with repo.sessions.begin() as ses:
        for i in range(40):
            at = now - timedelta(seconds=30 - i * 0.5)
            ses.add(OutboxRow(account=ACCOUNT, conversation=f"r{i}", kind="warning", text="",
                              mention_ids=[], incident_ids=[], created_at=at, not_before=at,
                              status="sent", sent_at=at, last_attempt_at=at))
    await repo.deliver([warning("r1", "u2", "第41条")], account=ACCOUNT)
    rec = Recorder()
    s = sender(repo, rec, Sending(per_minute=40, merge_window_seconds=0,
                                                           min_gap_seconds=0, room_gap_seconds=0))
    s.start()
    await asyncio.sleep(1.0)
    await s.close(drain_seconds=0)
    assert rec.calls == []                     # the 41st waits for the window
    assert (await repo.outbox_counts(ACCOUNT)).pending == 1


async def test_files_of_earlier_versions_are_imported_once(repo, tmp_path):
    fresh = datetime.now(timezone.utc).isoformat()
    old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    (tmp_path / "outbound-unsent.jsonl").write_text(
        json.dumps({"kind": "text", "conversation": "r1", "text": "未发出的提醒", "mention_ids": ["u2"],
                    "room_id": "r1", "created_at": fresh}, ensure_ascii=False) + "\nnot json\n",
        encoding="utf-8")
    (tmp_path / "outbound-failed.jsonl").write_text(
        json.dumps({"kind": "text", "conversation": "r1", "text": "两小时前的提醒",
                    "mention_ids": [], "room_id": "r1", "created_at": old}, ensure_ascii=False)
        + "\n", encoding="utf-8")
    rec = Recorder()
    s = sender(repo, rec, legacy_dir=tmp_path)
    s.start()
    await until(lambda: len(rec.calls) == 1, what="the imported send")
    await s.close()
    assert rec.calls[0][2] == "@张伟-发改委-科长\u2005未发出的提醒"
    assert not (tmp_path / "outbound-unsent.jsonl").exists()
    assert (tmp_path / "outbound-unsent.jsonl.imported").exists()
    assert (tmp_path / "outbound-failed.jsonl.imported").exists()
    counts = await repo.outbox_counts(ACCOUNT)
    assert counts.sent == 1 and counts.expired == 1


async def test_accounts_claim_only_their_own_rows(repo):
    await repo.deliver([warning("r1", "u2", "甲的")], account="wxid_a")
    await repo.deliver([warning("r1", "u2", "乙的")], account="wxid_b")
    rec = Recorder()
    s = OutboxSender(repo.outbox, rec, QUICK, account=lambda: "wxid_a")
    s.start()
    await until(lambda: len(rec.calls) == 1, what="one send")
    await asyncio.sleep(0.5)
    await s.close()
    assert [c[2].split("\u2005")[1] for c in rec.calls] == ["甲的"]
    assert (await repo.outbox_counts("wxid_b")).pending == 1


async def test_a_handled_event_writes_nothing_the_second_time(repo):
    key = Handled("r1", "bot_added", "2026-11-20T09:00:00+08:00")
    assert await repo.deliver([Outgoing("greeting", "r1", "大家好")], account=ACCOUNT, handled=key)
    assert not await repo.deliver([Outgoing("greeting", "r1", "大家好")], account=ACCOUNT,
                                  handled=key)
    assert (await repo.outbox_counts()).pending == 1
    assert await repo.claim_handled(Handled("r1", "command", "c1"), ACCOUNT)
    assert not await repo.claim_handled(Handled("r1", "command", "c1"), "wxid_other")


@pytest.mark.parametrize("names, text, expected", [
    ([], "大家好", "大家好"),
    (["张伟-发改委-科长"], "温馨提醒", "@张伟-发改委-科长\u2005温馨提醒"),
    (["李明", "王芳"], "请审阅", "@李明\u2005@王芳\u2005请审阅"),
])
def test_mentions_render_the_way_wechat_highlights_them(names, text, expected):
    assert render_mentions(text, names) == expected
