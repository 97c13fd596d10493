"""Chat exports read as engine events: each format by its header, WeChat's
type codes, GBK files, malformed rows by line number, and ``bot.py audit``."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qungui.channels.exports import (ExportError, ExportNote, RowError, detect_encoding, detect_format,
                                    read_contacts, read_export)
from qungui.core.events import MemberJoined, Message, MessageType, RoomSnapshot

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "exports"
ROOM = "20231120001@chatroom"
# written as the tools write them (see the module docstring of channels.exports)
CHATLOG = DATA / "chatlog.csv"                                  # chatlog v0.0.28
PYWXDUMP = DATA / "pywxdump" / f"{ROOM}_0_13.csv"               # PyWxDump 3.1.45, users.json beside it
WECHATMSG = DATA / "wechatmsg" / "招商引资专项工作群_utf8.csv"   # WeChatMsg 2.0.5


def split(path, **kw):
    events = list(read_export(path, **kw))
    msgs = [e for _, e in events if isinstance(e, Message)]
    errors = [e for _, e in events if isinstance(e, RowError)]
    snaps = [e for _, e in events if isinstance(e, RoomSnapshot)]
    return msgs, errors, snaps


def joins(path, **kw):
    return [(e.room_id, e.member.id, e.member.name, e.inviter_id)
            for _, e in read_export(path, **kw) if isinstance(e, MemberJoined)]


@pytest.mark.parametrize("name, fmt, encoding", [
    ("wechatmsg.csv", "wechatmsg", "utf-8-sig"),
    ("chatlog_gbk.csv", "chatlog-csv", "gb18030"),
    ("chatlog.json", "chatlog-json", "utf-8-sig"),
    ("pywxdump.csv", "pywxdump", "utf-8-sig"),
    (CHATLOG.relative_to(DATA), "chatlog-csv", "utf-8-sig"),
    (PYWXDUMP.relative_to(DATA), "pywxdump", "utf-8-sig"),
    (WECHATMSG.relative_to(DATA), "wechatmsg", "utf-8-sig"),
])
def test_format_and_encoding_are_detected(name, fmt, encoding):
    assert detect_format(DATA / name) == fmt
    assert detect_encoding(DATA / name) == encoding


def test_wechatmsg_csv():
    msgs, errors, snaps = split(DATA / "wechatmsg.csv")
    assert [m.id for m in msgs] == ["101", "102", "103", "105", "107", "109"]   # 104: system notice
    by_id = {m.id: m for m in msgs}
    assert by_id["102"].text.startswith("机密★1年")          # the "wxid_…:\n" prefix is gone
    assert by_id["102"].sender_id == "wxid_liuyang"
    assert by_id["102"].sender_name == "刘洋-自然资源局-副局长"
    assert by_id["103"].type is MessageType.RED_ENVELOPE and "恭喜发财" in by_id["103"].text
    assert by_id["105"].type is MessageType.FILE and by_id["105"].file_name == "项目推进会会议纪要.docx"
    assert by_id["107"].type is MessageType.TRANSFER and by_id["107"].amount == 500.0
    assert by_id["109"].sender_id == "self"
    assert by_id["101"].ts.isoformat() == "2025-11-20T09:00:00+08:00"
    # row 102 spans two lines, so the short row starts on line 8
    assert [(e.lineno, e.message) for e in errors] == [
        (8, "4 fields, the header has 12"),
        (10, "field 'CreateTime' is not an ISO 8601 time: '昨天'")]
    assert str(errors[0]) == "line 8: 4 fields, the header has 12"
    assert len(snaps) == 1 and set(snaps[0].room.members) >= {"wxid_chenjing", "wxid_liuyang"}


def test_chatlog_csv_in_gbk():
    msgs, errors, snaps = split(DATA / "chatlog_gbk.csv", owner_id="wxid_liming")
    assert [m.sender_name for m in msgs] == ["张伟", "赵磊", "陈静", "李明"]
    assert msgs[0].text.startswith("李局长英明")
    assert msgs[1].type is MessageType.RED_ENVELOPE
    assert msgs[2].type is MessageType.FILE and msgs[2].file_name == "绝密-干部调整考察名单.xlsx"
    assert [(e.lineno, e.message) for e in errors] == [(4, "missing talker")]
    room = snaps[0].room
    assert room.topic == "招商引资专项工作群" and room.owner_id == "wxid_liming"
    assert room.members["wxid_liming"].name == "李明"      # known before the owner speaks


def test_chatlog_json():
    msgs, errors, _ = split(DATA / "chatlog.json")
    assert [m.id for m in msgs] == ["1763780400000", "1763780460000", "1763780640000"]
    assert msgs[1].type is MessageType.TRANSFER and msgs[1].amount == 500.0
    assert [str(e) for e in errors] == ["item 3: not a JSON object", "item 4: missing time"]


def test_pywxdump_csv():
    msgs, errors, _ = split(DATA / "pywxdump.csv")
    assert [m.type for m in msgs] == [MessageType.TEXT, MessageType.TRANSFER, MessageType.FILE]
    assert msgs[1].amount == 1000.0
    assert msgs[2].file_name == "机密-用地调整方案.pdf"       # from the Windows path in src
    assert [e.lineno for e in errors] == [5]                  # row 6 is a system notice: skipped


def test_chatlog_released_csv():
    """The header chatlog writes, its placeholders, its notices and quoted replies."""
    msgs, errors, snaps = split(CHATLOG, owner_id="wxid_liming")
    assert errors == []
    assert [(m.sender_id, m.type) for m in msgs] == [
        ("wxid_wangfang", MessageType.TEXT), ("wxid_wangfang", MessageType.IMAGE),
        ("wxid_zhaolei", MessageType.RED_ENVELOPE), ("wxid_zhangwei", MessageType.TEXT),
        ("wxid_chenjing", MessageType.FILE), ("wxid_zhouqiang", MessageType.TRANSFER),
        ("wxid_chenjing", MessageType.URL), ("wxid_liming", MessageType.TEXT)]
    image, quoted, file, transfer, link = msgs[1], msgs[3], msgs[4], msgs[5], msgs[6]
    assert image.text == ""                              # not the link to chatlog's server
    assert quoted.text == "好的收到"                      # the quoted advert is not the replier's
    assert file.file_name == "绝密-干部调整考察名单.xlsx" and file.text == ""
    assert transfer.amount == 500.0
    assert link.text == "2025年招商引资政策汇编"
    # 系统消息 rows (joins, a red-envelope receipt, a recall) and the 拍一拍 are nobody's words
    assert not any("系统消息" in (m.sender_id, m.sender_name) for m in msgs)
    assert joins(CHATLOG) == [(ROOM, "wxid_sunli", "孙丽", "wxid_liming"),
                              (ROOM, "wxid_xiaowang", "小王", "wxid_liming"),
                              (ROOM, "wxid_zhouqiang", "周强", "wxid_chenjing")]  # ids from their messages
    assert snaps[0].room.topic == "招商引资专项工作群"


def test_chatlog_quote_marks_only_a_real_quote():
    from qungui.channels.exports import _chatlog_reply
    assert _chatlog_reply("> 王芳(wxid_wangfang) 11-21 09:01:00\n> 第一行\n> 第二行\n回复") == "回复"
    assert _chatlog_reply("> 王芳 11-21 09:01:00\n> 引的话\n回复\n第二行") == "回复\n第二行"
    assert _chatlog_reply("> [引用]\n回复") == "回复"
    assert _chatlog_reply("> 我说的\n加微信 wxdemo2026") == "> 我说的\n加微信 wxdemo2026"


def test_chatlog_json_notices(tmp_path):
    item = {"seq": 1, "time": "2025-11-22T10:00:00+08:00", "talker": ROOM, "talkerName": "群",
            "isChatRoom": True, "sender": "系统消息", "senderName": "", "isSelf": False,
            "type": 10000, "subType": 0, "content": '"李明(wxid_liming)"邀请"孙丽(wxid_sunli)"加入了群聊'}
    pat = dict(item, seq=2, sender="wxid_zhaolei", type=49, subType=62,
               content='"${wxid_zhaolei}" 拍了拍 "${wxid_liming}"')
    receipt = dict(item, seq=3, content="你领取了赵磊的红包")
    text = dict(item, seq=4, sender="wxid_zhaolei", senderName="赵磊", type=1, content="收到")
    path = tmp_path / "chatlog.json"
    path.write_text(json.dumps([item, pat, receipt, text], ensure_ascii=False), encoding="utf-8")
    assert [m.id for m in split(path)[0]] == ["4"]
    assert joins(path) == [(ROOM, "wxid_sunli", "孙丽", "wxid_liming")]


def test_pywxdump_as_exported():
    events = list(read_export(PYWXDUMP))
    notes = [str(e) for _, e in events if isinstance(e, ExportNote)]
    assert len(notes) == 1 and "users.json" in notes[0]
    msgs = [e for _, e in events if isinstance(e, Message)]
    assert not any(isinstance(e, RowError) for _, e in events)
    by_id = {m.id[-3:]: m for m in msgs}
    assert sorted(by_id) == ["101", "104", "105", "107", "108", "111", "112"]
    # contact names from users.json beside the export (the remark, else the nickname)
    assert by_id["101"].sender_name == "张伟-招商局-科长"
    assert by_id["107"].sender_name == "赵磊"
    # the quoted reply is the replier's words only
    assert by_id["105"].text == "好的收到" and by_id["105"].sender_id == "wxid_zhangwei"
    assert by_id["107"].type is MessageType.TRANSFER and by_id["107"].amount == 1000.0
    assert by_id["108"].file_name == "机密-用地调整方案.pdf"
    assert by_id["111"].type is MessageType.IMAGE and by_id["111"].text == ""
    # 邀请加群, 系统通知, 拍一拍 and 消息撤回 rows name nobody: none is a message from 未知
    assert {m.sender_id for m in msgs} == {"wxid_zhangwei", "wxid_wangfang", "wxid_zhaolei",
                                           "wxid_liuyang", "wxid_liming"}
    # the template names ids; 周强 is never named with one and keeps his name
    assert joins(PYWXDUMP) == [(ROOM, "wxid_sunli", "孙丽", "wxid_liming"),
                               (ROOM, "周强", "周强", "wxid_sunli")]


def test_contacts_given_or_found_beside(tmp_path):
    alone = tmp_path / PYWXDUMP.name
    alone.write_bytes(PYWXDUMP.read_bytes())
    assert {m.sender_name for m in split(alone)[0]} == {""}           # ids only
    named = split(alone, contacts=PYWXDUMP.with_name("users.json"))[0]
    assert named[0].sender_name == "张伟-招商局-科长"
    # chatlog's contact list, JSON and CSV
    as_json = tmp_path / "contacts.json"
    as_json.write_text(json.dumps({"items": [{"userName": "wxid_zhangwei", "alias": "",
                                              "remark": "", "nickName": "张伟"}]}), encoding="utf-8")
    as_csv = tmp_path / "contacts.csv"
    as_csv.write_text("UserName,Alias,Remark,NickName\nwxid_zhangwei,,张伟-招商局,张伟\n",
                      encoding="utf-8")
    assert read_contacts(as_json) == {"wxid_zhangwei": "张伟"}
    assert read_contacts(as_csv) == {"wxid_zhangwei": "张伟-招商局"}
    with pytest.raises(ExportError, match="no contact"):
        read_contacts(tmp_path / PYWXDUMP.name)


def test_wechatmsg_room_is_the_given_id_else_a_clear_fallback():
    events = list(read_export(WECHATMSG))
    assert "wechatmsg-12" in next(str(e) for _, e in events if isinstance(e, ExportNote))
    snap = next(e for _, e in events if isinstance(e, RoomSnapshot))
    assert snap.room.id == "wechatmsg-12" and snap.room.topic == "招商引资专项工作群"
    msgs, errors, snaps = split(WECHATMSG, room_id=ROOM)
    assert errors == [] and {m.room_id for m in msgs} == {ROOM} and snaps[0].room.id == ROOM
    assert not any(isinstance(e, ExportNote) for _, e in read_export(WECHATMSG, room_id=ROOM))
    by_id = {m.id: m for m in msgs}
    assert sorted(by_id) == ["1", "3", "4", "5", "7", "9"]         # 2, 6, 8: notices
    assert by_id["5"].type is MessageType.RED_ENVELOPE
    assert by_id["4"].text == ""           # a quoted reply's card is not in WeChatMsg's CSV
    assert joins(WECHATMSG, room_id=ROOM) == [(ROOM, "wxid_zhouqiang", "周强", "wxid_chenjing")]
    with pytest.raises(ExportError, match="only for a WeChatMsg"):
        list(read_export(CHATLOG, room_id=ROOM))


def test_ids_without_a_message_id_are_stable():
    first = [m.id for m in split(DATA / "chatlog_gbk.csv")[0]]
    again = [m.id for m in split(DATA / "chatlog_gbk.csv")[0]]
    assert first == again and len(set(first)) == len(first)


def test_unknown_file_is_a_clear_error(tmp_path):
    odd = tmp_path / "notes.csv"
    odd.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ExportError, match="unrecognised export"):
        detect_format(odd)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"talker": "x",', encoding="utf-8")
    with pytest.raises(ExportError, match="not valid JSON"):
        list(read_export(broken))


def bot(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("name, flagged, errors", [
    ("wechatmsg.csv", {"102": "classified", "103": "red_envelope", "107": "red_envelope"}, 2),
    ("chatlog_gbk.csv", ["classified", "owner_praise", "red_envelope"], 1),
    ("chatlog.json", {"1763780400000": "ads", "1763780460000": "red_envelope"}, 2),
    ("pywxdump.csv", {"7301000000000000002": "red_envelope", "7301000000000000003": "classified"}, 1),
    # the image, the quoted reply (好的收到), the link and the notices are clean
    (CHATLOG, ["ads", "classified", "red_envelope", "red_envelope"], 0),
    (PYWXDUMP, {"7301000000000000104": "vote_buying", "7301000000000000107": "red_envelope",
                "7301000000000000108": "classified"}, 0),
    (WECHATMSG, {"3": "ads", "5": "red_envelope"}, 0),
])
def test_audit_reads_every_export_format(tmp_path, name, flagged, errors):
    r = bot("audit", str(DATA / name), "--owner", "wxid_liming", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    got = {l["id"]: l["findings"][0]["rule"] for l in lines if l["action"] != "none"}
    if isinstance(flagged, list):   # ids are content hashes here: check by rule
        assert sorted(got.values()) == flagged
    else:
        assert got == flagged
    assert not {"系统消息", "未知", "系统"} & {l["sender_id"] for l in lines}
    assert r.stderr.count(": line ") + r.stderr.count(": item ") == errors
    if errors:
        assert f"{errors} malformed line(s) skipped" in r.stderr
    else:
        assert "malformed" not in r.stderr


def test_audit_files_a_wechatmsg_export_under_the_given_room(tmp_path):
    db = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    r = bot("audit", str(WECHATMSG), "--room", ROOM, "--store", "--db", db, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert {json.loads(l)["room_id"] for l in r.stdout.splitlines()} == {ROOM}
    log = bot("log", "--room", ROOM, "--format", "json", "--db", db, cwd=tmp_path)
    assert log.returncode == 0, log.stderr
    assert {json.loads(l)["message_id"] for l in log.stdout.splitlines()} >= {"3", "5"}
    wrong = bot("audit", str(CHATLOG), "--room", ROOM, cwd=tmp_path)
    assert wrong.returncode == 2 and "only for a WeChatMsg" in wrong.stderr


def test_audit_names_senders_from_a_contact_list(tmp_path):
    alone = tmp_path / PYWXDUMP.name
    alone.write_bytes(PYWXDUMP.read_bytes())
    r = bot("audit", str(alone), "--contacts", str(PYWXDUMP.with_name("users.json")),
            "--format", "table", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "王芳-财政局-科员" in r.stdout and "5 contact name(s)" in r.stderr


def test_audit_store_keeps_incidents_for_review(tmp_path):
    db = tmp_path / "audit.sqlite3"
    r = bot("audit", str(DATA / "wechatmsg.csv"), "--store", "--db", f"sqlite:///{db}",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select message_id, rule, evidence || excerpt from incidents "
                            "order by message_id").fetchall()
    # the join notice (row 104) is a join: its nickname is checked like a live one's
    assert [(m, rule) for m, rule, _ in rows] == [("102", "classified"), ("103", "red_envelope"),
                                                  ("107", "red_envelope"),
                                                  ("join:wxid_zhouqiang:2025-11-20T09:05:00+08:00",
                                                   "realname")]
    assert "用地调整" not in rows[0][2]              # classified content is never stored
    again = bot("audit", str(DATA / "wechatmsg.csv"), "--store", "--db", f"sqlite:///{db}",
                cwd=tmp_path)
    assert again.returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from incidents").fetchone()[0] == 4


def test_audit_refuses_an_unknown_file_clearly(tmp_path):
    odd = tmp_path / "notes.csv"
    odd.write_text("a,b,c\n", encoding="utf-8")
    r = bot("audit", str(odd), cwd=tmp_path)
    assert r.returncode == 2 and "unrecognised export" in r.stderr and "Traceback" not in r.stderr
