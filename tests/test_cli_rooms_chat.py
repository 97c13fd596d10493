"""``bot.py rooms`` and the console chat exercising owners' commands, as a
user runs them (in-process) on a real SQLite file."""

from __future__ import annotations

import json

from tests.test_cli import bot


def chat(db, *lines):
    res = bot("chat", "--db", f"sqlite:///{db}", input="\n".join([*lines, "/quit"]) + "\n")
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_chat_exercises_commands_mentions_private_and_clock(tmp_path):
    db = tmp_path / "chat.sqlite3"
    out = chat(db,
               "/as 李明", "/admin add @张伟", "/report-due 18:00", "/deny 内部价",
               "/as 张伟", "/disable flood", "/admin add @王芳",
               "/as 王芳", "这个项目有内部价，大家抓紧", "【工作汇报】今日完成项目对接",
               "/dm /举报 有人在群里替亲戚揽项目",
               "/as 李明", "/warns @王芳", "/time 2026-11-20 18:05",
               "/as 小王")
    assert "已设置管理员：张伟-商务局-副局长" in out
    assert "已停用“刷屏”（flood）" in out                          # the admin may
    assert "抱歉，该指令仅限群主使用。" in out                       # but not name admins
    assert "含有本群禁用词" not in out                              # reasons stay in the log
    assert "@王芳-发改委-科长 温馨提醒" in out                        # the room's deny phrase
    assert "→ 私聊 王芳-发改委-科长：已收到您的举报" in out
    assert "→ 私聊 李明-商务局-局长：【群规助手】「招商引资专项工作群」收到一条匿名举报" in out
    assert "王芳-发改委-科长：近7天计入提醒1次" in out
    assert "【每日汇报提醒】" in out and "（现在是 2026-11-20 18:05）" in out
    assert "“小王”加入了群聊" in out and "请将群昵称修改为规范格式" in out

    # the settings survived: a new chat session (a restarted bot) still has them
    again = chat(db, "/as 李明", "/status")
    assert "刷屏（flood）：已停用" in again and "每日汇报：截止18:00" in again

    rooms = bot("rooms", "--db", f"sqlite:///{db}")
    assert rooms.returncode == 0, rooms.stderr
    assert "demo-zsyz" in rooms.stdout and "flood.enabled=否" in rooms.stdout
    one = bot("rooms", "demo-zsyz", "--db", f"sqlite:///{db}", "--format", "json")
    data = json.loads(one.stdout)
    assert data["rules"]["flood"]["enabled"] is False and data["settings"]["admins"] == ["u2"]
    assert {c["action"] for c in data["changes"]} >= {"admin_add", "disable", "report_due", "refused"}
    table = bot("rooms", "demo-zsyz", "--db", f"sqlite:///{db}")
    assert "变更记录" in table.stdout and "停用规则 flood.enabled：默认 → 否" in table.stdout


def test_rooms_on_an_empty_database_and_unknown_room(tmp_path):
    db = tmp_path / "empty.sqlite3"
    res = bot("rooms", "--db", f"sqlite:///{db}")           # no database: not created empty
    assert res.returncode == 2 and "no database at" in res.stderr and not db.exists()
    assert bot("migrate", "--db", f"sqlite:///{db}").returncode == 0
    res = bot("rooms", "--db", f"sqlite:///{db}")
    assert res.returncode == 0 and "还没有群" in res.stdout
    res = bot("rooms", "nope", "--db", f"sqlite:///{db}")
    assert res.returncode == 2 and "no room 'nope'" in res.stderr


def test_rooms_has_help():
    res = bot("rooms", "--help")
    assert res.returncode == 0 and "usage:" in res.stdout
