"""Hostile lines in an events file: the reader reads, mends or skips each one
with its line number, ``bot.py audit`` keeps going, the engine never fails
on what the reader lets through, and closing the store is safe in any state.

``bot.py audit`` runs in-process (``bot.main``), as the command line runs it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

import bot
from qungui.channels.replay import (MAX_LINE_BYTES, LineError, LineNote, parse_line,
                                    read_events)
from qungui.core.events import (CHINA_TZ, BotAdded, EventError, Member, MemberJoined, Message,
                                PrivateMessage, clean_event, event_from_dict, parse_ts)
from qungui.core.outcomes import Act
from qungui.core.ports import StoredMessage

from tests.conftest import T0

ROOM = {"kind": "room", "room_id": "r", "owner_id": "u1",
        "members": [{"id": "u1", "name": "李明", "alias": "李明-商务局-局长"}]}


def message(id: str, **fields) -> dict:
    return {"kind": "message", "id": id, "room_id": "r", "sender_id": "u2",
            "ts": "2026-11-20T09:00:00+08:00", "text": "收到", **fields}


def line(obj) -> bytes:
    return obj if isinstance(obj, bytes) else json.dumps(obj).encode()


def audit(tmp_path, capsys, *lines, args=()) -> tuple[int, list[dict] | str, str]:
    """Run ``bot.py audit`` on a file of these lines: exit status, the JSON
    lines on stdout (the text with ``--format table``), stderr."""
    f = tmp_path / "events.jsonl"
    f.write_bytes(b"".join(line(l) + b"\n" for l in lines))
    code = bot.main(["audit", str(f), *args])
    out, err = capsys.readouterr()
    return code, (out if "table" in args else [json.loads(l) for l in out.splitlines()]), err


# --- the tester's cases, through the real bot.py audit ------------------------------


def test_audit_skips_a_nan_timestamp_and_goes_on(tmp_path, capsys):
    code, out, err = audit(tmp_path, capsys, ROOM, b'{"kind":"message","id":"nan","room_id":"r",'
                           b'"sender_id":"u2","ts":NaN,"text":"x"}', message("ok"))
    assert code == 0, err
    assert [o["id"] for o in out] == ["ok"]
    assert "line 2: field 'ts' is not a finite number: nan" in err
    assert err.strip().splitlines()[-1] == "2 event(s) processed, 1 malformed line(s) skipped"


def test_audit_skips_timestamps_out_of_range(tmp_path, capsys):
    code, out, err = audit(tmp_path, capsys, ROOM,
                           message("huge", ts=1e20), message("ms", ts=1_763_600_000_000),
                           message("negative", ts=-1), message("inf", ts=float("inf")),
                           message("bignum", ts=10 ** 40), message("ok"))
    assert code == 0, err
    assert [o["id"] for o in out] == ["ok"]
    assert "line 2: field 'ts' is out of range: 1e+20 seconds since 1970" in err
    assert "line 3: field 'ts' is out of range" in err and "(milliseconds? give seconds)" in err
    assert "line 4: field 'ts' is out of range: -1 seconds since 1970" in err
    assert "line 5: field 'ts' is not a finite number: inf" in err
    assert "line 6: field 'ts' is out of range" in err
    assert "5 malformed line(s) skipped" in err


def test_audit_skips_year_1_and_year_9999(tmp_path, capsys):
    code, out, err = audit(tmp_path, capsys, ROOM,
                           message("y1", ts="0001-01-01T00:00:00", text="加我微信abc123456出售茶叶"),
                           message("y9999", ts="9999-12-31T23:59:59-23:59"),
                           {"kind": "join", "room_id": "r", "member": {"id": "u9"},
                            "ts": "0001-01-01"},
                           message("edge", ts="2999-12-31T23:59:59+00:00"),
                           message("ok", ts="1970-01-01T00:00:00Z"))
    assert code == 0, err
    assert [o["id"] for o in out] == ["edge", "ok"]
    assert ("line 2: field 'ts' is out of range: 0001-01-01T00:00:00+08:00 "
            "(times from 1970 to 2999 are accepted)") in err
    assert "line 3: field 'ts' is out of range: 9999-12-31T23:59:59-23:59" in err
    assert "line 4: field 'ts' is out of range: 0001-01-01T00:00:00+08:00" in err
    assert "3 malformed line(s) skipped" in err


def test_audit_removes_lone_surrogates_and_reads_the_message(tmp_path, capsys):
    code, out, err = audit(tmp_path, capsys, ROOM,
                           message("s", text="出售茶叶\ud800，加我微信\udfffabc123456",
                                   sender_name="\ud83d张伟"),
                           b'{"kind":"message","id":"raw","room_id":"r","sender_id":"u2",'
                           b'"ts":"2026-11-20T09:01:00+08:00","text":"\xed\xa0\x80"}',
                           message("nul", text="机\u0000密\u0000文件"), message("ok"))
    assert code == 0, err
    assert [o["id"] for o in out] == ["s", "nul", "ok"]
    assert out[0]["findings"] and out[0]["findings"][0]["rule"] == "ads"
    assert "line 2: field 'text': 2 lone surrogate(s) removed (mended, the event is read)" in err
    assert "line 2: field 'sender_name': 1 lone surrogate(s) removed" in err
    # a surrogate written as raw bytes is not UTF-8: that line is skipped
    assert "line 3: not UTF-8" in err
    assert "line 4: field 'text': 2 NUL character(s) removed" in err
    assert err.strip().splitlines()[-1] == ("4 event(s) processed, 1 malformed line(s) skipped, "
                                            "3 mended")


def test_audit_reports_unknown_kinds_and_types(tmp_path, capsys):
    deep = "x"
    for _ in range(300):
        deep = {"k": [deep]}
    code, out, err = audit(tmp_path, capsys, ROOM,
                           {"kind": "sticker", "room_id": "r"},
                           b'{"kind": ' + b"7" * 5000 + b'}',
                           {"kind": ["message"]}, {"kind": deep}, {"kind": None},
                           {"room_id": "r"}, message("t", type="hologram"),
                           message("t2", type={"a": 1}), [1, 2], "message",
                           message("ok"))
    assert code == 0, err
    assert [o["id"] for o in out] == ["ok"]
    for n in range(2, 12):
        assert f"line {n}: " in err
    assert "line 2: unknown event kind 'sticker'" in err
    assert "line 3: not usable JSON" in err
    assert "line 4: unknown event kind (a JSON list)" in err
    assert "line 5: unknown event kind (a JSON object)" in err
    assert "line 6: missing field 'kind'" in err and "line 7: missing field 'kind'" in err
    assert "line 8: unknown message type 'hologram'" in err
    assert "line 9: unknown message type (a JSON object)" in err
    assert "line 10: an event must be a JSON object, got a list" in err
    assert "10 malformed line(s) skipped" in err


def test_audit_exits_2_when_no_line_can_be_read(tmp_path, capsys):
    code, out, err = audit(tmp_path, capsys, b"not json", message("nan", ts=float("nan")),
                           {"kind": "sticker"})
    assert code == 2 and out == []
    assert "line 1: not valid JSON" in err and "line 3: unknown event kind" in err
    last = err.strip().splitlines()[-1]
    assert last == f"error: {tmp_path / 'events.jsonl'}: no event could be read (3 malformed line(s) skipped)"
    code, out, err = audit(tmp_path, capsys)
    assert code == 2 and err.strip() == (
        f"error: {tmp_path / 'events.jsonl'}: no event could be read (the file holds no events)")


def test_audit_table_format_survives_hostile_lines(tmp_path, capsys):
    code, out, err = audit(tmp_path, capsys, ROOM, message("s", text="机密★1年\ud800"),
                           message("y1", ts="0001-01-01"), args=("--format", "table"))
    assert code == 0, err
    assert "classified" in out and "y1" not in out
    assert "line 2: field 'text': 1 lone surrogate(s) removed" in err
    assert "line 3: field 'ts' is out of range" in err


# --- the real parser ----------------------------------------------------------------


@pytest.mark.parametrize("raw, reason", [
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":NaN}',
     "field 'ts' is not a finite number: nan"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":Infinity}',
     "field 'ts' is not a finite number: inf"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":1e400}',
     "field 'ts' is not a finite number: inf"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":253402300800}',
     "field 'ts' is out of range: 253402300800 seconds since 1970"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":"0001-01-01T00:00:00+23:59"}',
     "field 'ts' is out of range: 0001-01-01T00:00:00+23:59"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":"1969-12-31T23:59:59Z"}',
     "field 'ts' is out of range"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":"3000-01-01T00:00:00Z"}',
     "field 'ts' is out of range"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":"' + b"9" * 100 + b'"}',
     "field 'ts' is not an ISO 8601 time"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":[2026]}',
     "field 'ts' must be an ISO 8601 time or epoch seconds, got a list"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":true}',
     "field 'ts' must be an ISO 8601 time or epoch seconds, got true/false"),
    (b'{"kind":"bot_added","room_id":"r","ts":"9999-12-31"}', "field 'ts' is out of range"),
    (b'{"kind":"room","room_id":"r","ts":-1e300}', "field 'ts' is out of range"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":0,"amount":1e999}',
     "field 'amount' must be a finite number"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":0,"amount":"1e999"}',
     "field 'amount' must be a finite number"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":0,"amount":' + b"9" * 400 + b'}',
     "field 'amount' must be a finite number"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":0,"amount":true}',
     "field 'amount' must be a number, got true/false"),
    (b'{"kind":"message","id":"\\ud800\\u0000","room_id":"r","sender_id":"u","ts":0}',
     "field 'id' holds nothing but 1 lone surrogate(s) and 1 NUL character(s)"),
    (b'{"kind":"message","id":' + b"1" * 40 + b',"room_id":"r","sender_id":"u","ts":0}',
     "field 'id' is a number too large to be an identifier"),
    (b'{"kind":"message","id":NaN,"room_id":"r","sender_id":"u","ts":0}',
     "field 'id' must be a string, got nan"),
    (b'{"kind":"message","id":"m","room_id":{},"sender_id":"u","ts":0}',
     "field 'room_id' must be a string, got an object"),
    (b'{"kind":"message","id":"m","room_id":"r","ts":0}', "missing field 'sender_id'"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":0,"text":["x"]}',
     "field 'text' must be a string, got a list"),
    (b'{"kind":"message","id":"m","room_id":"r","sender_id":"u","ts":0,"mention_ids":["'
     + b"u" * 300 + b'"]}', "field 'mention_ids' holds an id longer than 256 characters"),
    (b'{"kind":"join","room_id":"r","ts":0,"member":{"id":"u","name":"' + b"x" * 201 + b'"}}',
     "'member': field 'name' is longer than 200 characters"),
    (b'{"kind":"room","room_id":"r","members":[' + b",".join([b'{"id":"m"}'] * 5001) + b']}',
     "field 'members' has 5001 entries, more than 5000"),
    (b'{"kind":"room","room_id":"r","members":[{"id":"a"},7]}', "'members[1]' must be an object"),
    (b"[" * 100_000, "JSON nested too deeply"),
    (b'{"a":' * 5000 + b"1" + b"}" * 5000, "JSON nested too deeply"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"kind":"message"', "not valid JSON"),
])
def test_parser_reports_the_line_and_the_reason(raw, reason):
    event, reports = parse_line(raw, 42)
    assert event is None
    assert len(reports) == 1 and isinstance(reports[0], LineError)
    assert reports[0].lineno == 42 and reason in reports[0].message, reports[0].message
    assert str(reports[0]).startswith("line 42: ")


def test_parser_mends_what_it_can_and_says_so():
    raw = json.dumps(message("m\u0000", text="a\ud800b\u0000c\ud83d\ude00", sender_name="\udfff",
                             mention_ids=["u3", "\ud800", "u4\u0000"], file_name="\ud800",
                             ts="2026-11-20T09:00:00")).encode()
    event, reports = parse_line(raw, 3)
    assert isinstance(event, Message)
    assert (event.id, event.text, event.sender_name) == ("m", "abc😀", "")
    assert event.mention_ids == ("u3", "u4") and event.file_name is None
    assert event.ts == datetime(2026, 11, 20, 9, tzinfo=CHINA_TZ)    # naive: China time
    assert all(isinstance(r, LineNote) and r.lineno == 3 for r in reports)
    said = [r.message for r in reports]
    assert "field 'id': 1 NUL character(s) removed" in said
    assert "field 'text': 1 lone surrogate(s) and 1 NUL character(s) removed" in said
    assert str(reports[0]).endswith("(mended, the event is read)")
    room, notes = parse_line(json.dumps({
        "kind": "room", "room_id": "r\u0000", "owner_id": "\ud800", "topic": "群\ud800",
        "members": [{"id": "u1\u0000", "name": "\ud800李明"}]}).encode(), 1)
    assert room.room.id == "r" and room.room.owner_id is None and room.room.topic == "群"
    assert list(room.room.members) == ["u1"] and room.room.members["u1"].name == "李明"
    assert {n.message.split(":")[0] for n in notes} == {
        "field 'room_id'", "field 'owner_id'", "field 'topic'", "field 'members[0].id'",
        "field 'members[0].name'"}


def test_reader_passes_over_an_oversized_line_and_reads_the_next(tmp_path):
    f = tmp_path / "big.jsonl"
    with open(f, "wb") as out:
        out.write(json.dumps(ROOM).encode() + b"\n")
        out.write(b'{"kind":"message","text":"' + b"x" * (3 * MAX_LINE_BYTES) + b'"}\n')
        out.write(json.dumps(message("ok")).encode())       # no newline at the end
    got = list(read_events(f))
    assert [n for n, _ in got] == [1, 2, 3]
    assert isinstance(got[1][1], LineError) and "longer than" in got[1][1].message
    assert isinstance(got[2][1], Message) and got[2][1].id == "ok"


def test_parse_ts_bounds():
    assert parse_ts(0) == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert parse_ts("2999-12-31T23:59:59Z").year == 2999
    for bad in (float("nan"), -0.5, 32503680000, "0001-01-01", "9999-12-31", "", None, True, []):
        with pytest.raises(EventError):
            parse_ts(bad)


def test_clean_event_refuses_times_out_of_range_and_mends_the_rest():
    old = Message("m", "r", "u", datetime(1, 1, 1))
    with pytest.raises(EventError, match="out of range"):
        clean_event(old)
    naive = PrivateMessage("p", "u\u0000", datetime(2026, 11, 20, 9), text="/help\ud800")
    event, notes = clean_event(naive)
    assert event.ts.tzinfo is CHINA_TZ and event.sender_id == "u" and event.text == "/help"
    assert len(notes) == 2
    same = BotAdded("r", T0)
    assert clean_event(same) == (same, [])
    assert clean_event(same)[0] is same


def test_event_from_dict_without_notes_still_mends():
    event = event_from_dict(message("m", text="\ud800x"))
    assert event.text == "x"


# --- the engine never fails on what it is given -------------------------------------


async def test_handle_ignores_times_out_of_range_and_mends_odd_strings(moderator):
    for ts in (datetime(1, 1, 1, tzinfo=CHINA_TZ), datetime(9999, 12, 31, 23, 59),
               datetime(1, 1, 1)):
        out = await moderator.handle(Message("old", "r1", "u2", ts, text="加我微信abc123456出售茶叶"))
        assert out.action == Act.IGNORED and "out of range" in out.error
        out = await moderator.handle(MemberJoined("r1", Member("u9", "小王"), ts))
        assert out.kind == "join" and out.action == Act.IGNORED
    out = await moderator.handle(Message("m1", "r1", "u2", datetime(2026, 11, 20, 9),
                                         text="出售茶叶\ud800，加我微信\u0000abc123456",
                                         sender_name="张\ud800伟"))
    assert out.action in (Act.WARN, Act.PRIVATE) and out.findings[0].rule == "ads"
    rows = await moderator.repo.incidents(room_id="r1")
    assert rows[0].ts == datetime(2026, 11, 20, 1, tzinfo=timezone.utc)
    assert "\u0000" not in rows[0].excerpt and "\ud800" not in rows[0].excerpt
    assert not moderator.repo.degraded


async def test_long_ids_and_names_fit_the_store(moderator, clock):
    """On PostgreSQL a join key or a name longer than its column made the
    database look down: the incident went to the spool and stayed there."""
    long_id = "x" * 256
    member = Member(long_id, "名" * 200, "")
    out = await moderator.handle(MemberJoined("r1", member, T0))
    assert out.action in (Act.WARN, Act.EXEMPT, Act.LOG, Act.REVIEW)
    out = await moderator.handle(clock.msg("出售茶叶，加我微信abc123456，¥99一盒", sender=long_id))
    assert out.action != Act.NONE
    await moderator.message_log.flush()
    assert not moderator.repo.degraded
    rows = await moderator.repo.incidents(room_id="r1")
    assert len({r.message_id for r in rows}) == 2
    assert all(len(r.message_id) <= 256 for r in rows)
    assert all(len(r.sender_name) <= 200 for r in rows)
    assert moderator.message_log.written >= 1 and moderator.message_log.dropped == 0


# --- closing -------------------------------------------------------------------------


async def test_close_is_safe_after_a_failed_write_and_twice(db_url):
    from qungui.storage.repository import Repository

    repo = await Repository.open(db_url)
    log = repo.message_log(30)
    # what today's reader let through: a year-1 time the database cannot hold
    log.add(StoredMessage("r1", "m1", "u2", "张伟", "text", "x",
                          datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8)))))
    await repo.close()
    await repo.close()
    assert log.dropped == 1
    fresh = await Repository.open(db_url)
    await fresh.close()
    await fresh.close()
