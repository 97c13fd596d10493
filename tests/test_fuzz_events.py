"""Property-based fuzzing of the events reader and the engine (hypothesis).

* The reader, given any line (fuzzed event objects, mutated lines, raw
  bytes), returns an event or reports an error with the line number; it
  never raises, and what it returns is clean (no NUL, no lone surrogate, an
  aware time in range).
* ``Moderator.handle`` on a real engine with a real database (SQLite and
  PostgreSQL, as the ``repo`` fixture) never raises on what the reader lets
  through, nor on events a channel might build directly.
* A hang guard: the worst inputs known for the reader and the engine run in
  a child process that must finish within a timeout.

The example counts are kept small so the suite stays fast; the long run is
``tools/fuzz_events.py`` (100,000 lines).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from qungui.channels.replay import LineError, LineNote, parse_line, read_events
from qungui.core.events import (TS_MAX, TS_MIN, BotAdded, Member, MemberJoined, MemberLeft,
                                Message, MessageType, PrivateMessage, Room, RoomSnapshot)
from qungui.pipeline.outcome import Outcome

from tests.conftest import work_room

ROOT = Path(__file__).resolve().parent.parent

FUZZ = settings(deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# --- strategies ------------------------------------------------------------------------

ODD_CHARS = ("\x00", "\ud800", "\udfff", "\udc80", "\ud83d", "\u200b", "\ufeff", "\u202e", "\u0301",
             "\u2028", "\x1b", "★", "机", "密", "微", "信", "😀", "１", "⑧", "@", "/", "\n", "\t")
chars = st.one_of(st.characters(codec=None), st.sampled_from(ODD_CHARS))
texts = st.text(chars, max_size=60)
long_texts = st.one_of(texts, st.builds(lambda t, n: t * n, texts, st.integers(1, 40)),
                       st.sampled_from(["加我微信abc123456出售茶叶¥99", "机密★1年 内部资料",
                                        "/help", "/举报 u2 发广告", "/申诉", "收到", "@所有人 请报送",
                                        "x" * 20_001]))
HOSTILE_NUMBERS = (float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 5e-324, 1.7e12,
                   253402300800, -62135596800, 32503680000, 10 ** 30, 2 ** 64, 10 ** 4000)
numbers = st.one_of(st.integers(-(10 ** 40), 10 ** 40), st.floats(),
                    st.sampled_from(HOSTILE_NUMBERS))
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
any_time = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59),
                        timezones=st.none() | offsets)
plausible_time = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                              timezones=st.none() | offsets)
times = st.one_of(plausible_time.map(datetime.isoformat), any_time.map(datetime.isoformat),
                  st.floats(0, 4e9), numbers, texts,
                  st.sampled_from(["0001-01-01", "9999-12-31T23:59:59-23:59", "1970-01-01T00:00:00Z",
                                   "2999-12-31T23:59:59", "3000-01-01", "2026-11-20T09:00:00Z"]))
json_values = st.recursive(st.none() | st.booleans() | numbers | texts,
                           lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(texts, inner, max_size=4), max_leaves=12)
ids = st.one_of(st.sampled_from(["u1", "u2", "u3", "u4", "op1", "botid", "r1", "r2", "m1"]),
                texts, st.text(chars, min_size=250, max_size=260), numbers)


plain_ids = st.one_of(st.sampled_from(["u1", "u2", "u3", "u4", "op1", "botid", "stranger"]),
                      st.text(chars, min_size=1, max_size=12), st.integers(0, 10 ** 12),
                      st.text(chars, min_size=250, max_size=256))
room_names = st.one_of(st.sampled_from(["r1", "r2", "r3"]), st.text(chars, min_size=1, max_size=8))
plain_times = st.one_of(plausible_time.map(datetime.isoformat), st.floats(1.5e9, 2e9),
                        st.integers(0, 32503679999))
members = st.fixed_dictionaries({"id": plain_ids}, optional={
    "name": st.text(chars, max_size=20),
    "alias": st.sampled_from(["李明-商务局-局长", "小王", "", "名" * 200]) | st.text(chars, max_size=20)})


@st.composite
def event_objects(draw):
    """A well-formed event of some kind (its strings may hold anything),
    then up to three of its fields replaced by hostile values."""
    kind = draw(st.sampled_from(["message", "message", "message", "room", "join", "leave",
                                 "bot_added", "private"]))
    d = {"kind": kind}
    if kind in ("message", "private"):
        d.update(id=draw(plain_ids), sender_id=draw(plain_ids), ts=draw(plain_times),
                 text=draw(long_texts), sender_name=draw(st.text(chars, max_size=20)))
    if kind == "message":
        d.update(room_id=draw(room_names), type=draw(st.sampled_from([t.value for t in MessageType])),
                 mention_ids=draw(st.lists(plain_ids, max_size=4)),
                 file_name=draw(st.none() | st.text(chars, max_size=20)),
                 amount=draw(st.none() | st.floats(-1e12, 1e12) | st.sampled_from(["88.8", 5e-324])))
    elif kind == "room":
        d.update(room_id=draw(room_names), topic=draw(st.text(chars, max_size=30)),
                 purpose=draw(st.text(chars, max_size=60)), owner_id=draw(st.none() | plain_ids),
                 members=draw(st.lists(members, max_size=6)))
    elif kind == "join":
        d.update(room_id=draw(room_names), member=draw(members), ts=draw(plain_times),
                 inviter_id=draw(st.none() | plain_ids))
    elif kind == "leave":
        d.update(room_id=draw(room_names), member_id=draw(plain_ids), ts=draw(plain_times))
    elif kind == "bot_added":
        d.update(room_id=draw(room_names), ts=draw(plain_times))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(sorted(set(d) | {"kind", "ts", "type", "amount", "extra"})))
        if draw(st.booleans()) and key in d:
            del d[key]
        else:
            d[key] = draw(times if key == "ts" else ids if key.endswith("id") else json_values)
    return d


def dumps(obj, ascii: bool) -> bytes:
    try:
        text = json.dumps(obj, ensure_ascii=ascii)
    except ValueError:           # an integer too long to print
        return b'{"kind":"message","amount":' + b"9" * 5000 + b"}"
    # a lone surrogate written raw is not UTF-8: the reader must say so
    return text.encode("utf-8", "surrogatepass")


def splice(raw: bytes, at: int, cut: int, insert: bytes) -> bytes:
    at %= len(raw) + 1
    return raw[:at] + insert + raw[at + cut:]


object_lines = st.builds(dumps, event_objects(), st.booleans())
lines = st.one_of(
    object_lines, object_lines,
    st.builds(splice, object_lines, st.integers(0, 10 ** 6), st.integers(0, 20),
              st.binary(max_size=12) | st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\x00", b"\\u",
                                                        b'"', b"NaN", b"1e999", b"[" * 2000])),
    st.binary(max_size=200),
    st.builds(dumps, json_values, st.booleans()),
).map(lambda raw: raw.replace(b"\n", b" "))


def _clean_string(s: str) -> bool:
    return "\x00" not in s and not any("\ud800" <= c <= "\udfff" for c in s)


def assert_clean(event) -> None:
    """What the reader returns can be stored anywhere."""
    for name, value in vars(event).items():
        if isinstance(value, str):
            assert _clean_string(value), (name, value)
        elif isinstance(value, datetime):
            assert value.tzinfo is not None and TS_MIN <= value < TS_MAX, (name, value)
        elif isinstance(value, tuple):
            assert all(_clean_string(v) for v in value), (name, value)
        elif isinstance(value, (Member, Room)):
            assert_clean(value)
        elif isinstance(value, dict):
            for member in value.values():
                assert_clean(member)


# --- the reader ------------------------------------------------------------------------


@settings(FUZZ, max_examples=250)
@given(raw=lines, lineno=st.integers(1, 10 ** 6))
def test_reader_returns_an_event_or_reports_the_line(raw, lineno):
    event, reports = parse_line(raw, lineno)
    assert all(r.lineno == lineno and r.message for r in reports)
    assert not any("internal error" in r.message for r in reports), reports
    assert str(reports[0]).startswith(f"line {lineno}: ") if reports else True
    if event is None:
        assert not raw.strip() or [type(r) for r in reports] == [LineError]
    else:
        assert all(isinstance(r, LineNote) for r in reports)
        assert_clean(event)


@settings(FUZZ, max_examples=40)
@given(st.lists(lines, max_size=15))
def test_read_events_accounts_for_every_line(raw_lines):
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "events.jsonl"
        f.write_bytes(b"".join(r + b"\n" for r in raw_lines))
        got = list(read_events(f))
    said: dict[int, list] = {}
    for lineno, item in got:
        said.setdefault(lineno, []).append(item)
    for lineno, raw in enumerate(raw_lines, 1):
        items = said.pop(lineno, [])
        if not raw.strip():
            assert items == []
            continue
        errors = [i for i in items if isinstance(i, LineError)]
        events = [i for i in items if not isinstance(i, (LineError, LineNote))]
        assert (len(errors), len(events)) in ((1, 0), (0, 1)), (lineno, items)
    assert said == {}


# --- the engine ------------------------------------------------------------------------


class Engine:
    """A real engine on a real database, driven from a synchronous test (one
    event loop for every example, so the message-context writer runs too)."""

    def __init__(self, db_url, plugins, rulebook, matcher):
        from qungui.app import build_moderator
        from qungui.storage.repository import Repository

        self.postgres = db_url.startswith("postgres")
        self.loop = asyncio.new_event_loop()
        self.spool = tempfile.TemporaryDirectory()
        self.repo = self.run(Repository.open(db_url,
                                             spool_path=Path(self.spool.name) / "spool.jsonl"))
        self.moderator = build_moderator(self.repo, rulebook, plugins, matcher, bot_id="botid",
                                         operators=["op1"])
        self.run(self.moderator.start())
        self.run(self.moderator.handle(RoomSnapshot(work_room())))
        self.run(self.moderator.handle(RoomSnapshot(work_room("r2"))))

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def handle(self, event) -> Outcome:
        outcome = self.run(self.moderator.handle(event))
        assert isinstance(outcome, Outcome)
        return outcome

    def close(self) -> None:
        try:
            self.run(self.repo.close())
            self.run(self.repo.close())
            # on PostgreSQL a value the column cannot hold fails like an outage
            # (SQLite's only such failure is a busy lock between two writers)
            if self.postgres:
                assert not self.repo.degraded, "a write failed as if the database were down"
        finally:
            self.loop.close()
            self.spool.cleanup()


@settings(FUZZ, max_examples=120)
@given(raw=st.one_of(object_lines, object_lines, object_lines, lines))
def _handle_parsed(engine: Engine, raw):
    event, _ = parse_line(raw, 1)
    if event is not None:
        engine.handle(event)


def test_handle_never_raises_on_what_the_reader_reads(db_url, plugins, rulebook, matcher):
    engine = Engine(db_url, plugins, rulebook, matcher)
    try:
        _handle_parsed(engine)
    finally:
        engine.close()


strings = st.text(chars, max_size=40)
room_ids = st.sampled_from(["r1", "r2", "r3"]) | strings
direct_events = st.one_of(
    st.builds(Message, id=strings, room_id=room_ids, sender_id=st.sampled_from(["u2", "u3"]) | strings,
              ts=any_time, type=st.sampled_from(list(MessageType)), text=long_texts,
              sender_name=strings, mention_ids=st.lists(strings, max_size=3).map(tuple),
              file_name=st.none() | strings, amount=st.none() | st.floats()),
    st.builds(MemberJoined, room_id=room_ids, member=st.builds(Member, strings, strings, strings),
              ts=any_time, inviter_id=st.none() | strings),
    st.builds(MemberLeft, room_id=room_ids, member_id=strings, ts=any_time),
    st.builds(BotAdded, room_id=room_ids, ts=any_time),
    st.builds(PrivateMessage, id=strings, sender_id=strings, ts=any_time, text=long_texts),
    st.builds(lambda rid, topic, owner, ms: RoomSnapshot(Room(rid, topic, topic, owner,
                                                              {m.id: m for m in ms})),
              room_ids, strings, st.none() | strings,
              st.lists(st.builds(Member, strings, strings, strings), max_size=4)),
)


@settings(FUZZ, max_examples=80)
@given(event=direct_events)
def _handle_direct(engine: Engine, event):
    engine.handle(event)


def test_handle_never_raises_on_events_a_channel_builds(db_url, plugins, rulebook, matcher):
    """Channels build events without the reader: NUL characters, lone
    surrogates, naive times and times from year 1 to 9999 reach the engine."""
    engine = Engine(db_url, plugins, rulebook, matcher)
    try:
        _handle_direct(engine)
    finally:
        engine.close()


# --- the hang guard ----------------------------------------------------------------------

WORST = r'''
import asyncio, json, sys, tempfile, time
from pathlib import Path

def lines():
    msg = {"kind": "message", "id": "m", "room_id": "r1", "sender_id": "u2",
           "ts": "2026-11-20T09:00:00+08:00"}
    yield "deep lists", b"[" * 999_000
    yield "deep objects", b'{"a":' * 190_000
    yield "oversized line", b'{"kind":"message","text":"' + b"x" * 3_000_000 + b'"}'
    yield "4,300-digit limit", b'{"kind":"message","id":' + b"7" * 900_000 + b"}"
    yield "big integers", json.dumps({**msg, "id": "bi", "ts": 10 ** 4000, "amount": 10 ** 4000}).encode()
    yield "lone surrogates", json.dumps({**msg, "id": "s", "text": "\ud800" * 160_000}).encode()
    yield "NUL characters", json.dumps({**msg, "id": "n", "text": "\x00a" * 80_000}).encode()
    yield "long text", json.dumps({**msg, "id": "t", "text": "请各单位按时报送材料。" * 30_000},
                                  ensure_ascii=False).encode()
    yield "many mentions", json.dumps({**msg, "id": "mm", "mention_ids": ["u3"] * 150_000}).encode()
    yield "longest ids", json.dumps({**msg, "id": "i" * 256, "room_id": "r" * 256,
                                     "sender_id": "s" * 256, "sender_name": "名" * 200}).encode()
    yield "most members", json.dumps({"kind": "room", "room_id": "r1", "owner_id": "u1",
        "members": [{"id": f"m{i}", "name": "张伟", "alias": "张伟-商务局-科长"}
                    for i in range(5_000)]}, ensure_ascii=False).encode()
    yield "join, longest id", json.dumps({"kind": "join", "room_id": "r1", "ts": 0,
        "member": {"id": "j" * 256, "name": "名" * 200, "alias": "别" * 200}}).encode()
    yield "nested garbage", json.dumps({**msg, "id": "g", "x": [[[[{"a": [1] * 1000}]]]] * 100}).encode()
    yield "huge kind", json.dumps({"kind": "k" * 900_000}).encode()

async def main():
    from qungui.app import build_moderator, load_parts
    from qungui.channels.replay import parse_line
    from qungui.rules import data_path
    from qungui.storage.repository import Repository
    plugins, rulebook = load_parts(data_path("default.yaml"))
    with tempfile.TemporaryDirectory() as d:
        repo = await Repository.open(f"sqlite+aiosqlite:///{d}/worst.sqlite3")
        moderator = build_moderator(repo, rulebook, plugins, bot_id="botid")
        await moderator.start()
        for name, raw in lines():
            started = time.perf_counter()
            event, reports = parse_line(raw, 1)
            outcome = await moderator.handle(event) if event is not None else None
            print(json.dumps({"input": name, "read": event is not None,
                              "reports": [r.message[:80] for r in reports],
                              "action": outcome and str(outcome.action),
                              "seconds": round(time.perf_counter() - started, 3)}), flush=True)
        await repo.close()
        await repo.close()

asyncio.run(main())
'''


def test_worst_known_inputs_finish_in_a_child_process():
    """Each of the worst inputs known for the reader and the engine is read
    and handled; the child process must end well within the timeout (a hang
    would be killed there, not freeze the suite)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    try:
        res = subprocess.run([sys.executable, "-c", WORST], capture_output=True, text=True,
                             cwd=ROOT, env=env, timeout=180)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"hung: the worst inputs did not finish in 180 s; done so far:\n"
                             f"{exc.stdout}") from None
    assert res.returncode == 0, res.stderr[-3000:]
    done = {r["input"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert len(done) == 14, res.stdout
    assert not done["deep lists"]["read"] and "nested too deeply" in done["deep lists"]["reports"][0]
    assert "longer than" in done["oversized line"]["reports"][0]
    assert "not usable JSON" in done["4,300-digit limit"]["reports"][0]
    assert "out of range" in done["big integers"]["reports"][0]
    for name in ("lone surrogates", "NUL characters", "long text", "many mentions",
                 "longest ids", "most members", "join, longest id", "nested garbage"):
        assert done[name]["read"], done[name]
    assert done["lone surrogates"]["reports"] == ["field 'text': 160000 lone surrogate(s) removed"]
    assert "unknown event kind" in done["huge kind"]["reports"][0]
