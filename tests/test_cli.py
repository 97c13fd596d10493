"""The command line, run as a user runs it, on real files: in-process
(``qungui.cli.main`` with an argv, its output captured) for speed, and a
handful of real subprocesses where the process itself matters."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "events_sample.jsonl"
RULES = ("owner_praise", "off_topic", "classified", "central_policy", "red_envelope",
         "vote_buying", "gossip", "cronyism", "rumor", "ads", "flood", "realname")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def bot(*args, env=None, cwd=None, input=None, stdout=None) -> Result:
    """``bot.py ARGS`` in this process: the environment without the caller's
    BOT_ and WECHATY_ variables (plus ``env``), in ``cwd`` (else an empty
    folder), standard input from ``input``."""
    from qungui.cli import main

    out, err = stdout or io.StringIO(), io.StringIO()
    saved_env, saved_cwd, saved_in = dict(os.environ), os.getcwd(), sys.stdin
    with tempfile.TemporaryDirectory(prefix="qungui-cli-") as empty:
        try:
            for key in [k for k in os.environ if k.startswith(("BOT_", "WECHATY_"))]:
                del os.environ[key]
            os.environ.update(env or {})
            os.chdir(cwd or empty)
            sys.stdin = io.StringIO(input or "")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main([str(a) for a in args], prog="bot.py")
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(saved_cwd)
            sys.stdin = saved_in
    return Result(code, out.getvalue() if stdout is None else "", err.getvalue())


def bot_process(*args, env=None, cwd=None, input=None, **kw):
    """``python bot.py ARGS`` as a real subprocess."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    e.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *map(str, args)],
                          capture_output=True, text=True, env=e, cwd=cwd or ROOT, timeout=120,
                          input=input, **kw)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "demo.sqlite3"


def incidents(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("select room_id, message_id, rule, action from incidents").fetchall()


def test_demo_warns_for_every_rule_and_is_idempotent(db):
    first = bot("demo", "--db", f"sqlite:///{db}")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "群规助手：@" in out and "事件记录汇总" in out
    rows = incidents(db)
    assert {r[2] for r in rows} >= set(RULES), sorted({r[2] for r in rows})
    # every content rule is actually spoken about in the conversation, not only logged
    spoken = {r[2] for r in rows if r[3] in ("warn", "private")}
    assert spoken >= set(RULES), set(RULES) - spoken
    # no classified content leaks into the bot's words or the database
    bot_lines = [l for l in out.splitlines() if l.lstrip().startswith("🤖")]
    for secret in ("干部调整考察名单", "用地调整的内部方案"):
        assert not any(secret in l for l in bot_lines)
    with sqlite3.connect(db) as conn:
        stored = conn.execute("select evidence || excerpt || warning_text from incidents "
                              "where rule = 'classified' or message_id in "
                              "(select message_id from incidents where rule = 'classified')").fetchall()
    assert len(stored) >= 2
    assert not any(secret in s[0] for s in stored for secret in ("干部调整", "用地调整"))
    second = bot("demo", "--db", f"sqlite:///{db}")
    assert second.returncode == 0, second.stderr
    assert incidents(db) == rows
    assert "不再重复提醒" in second.stdout and "温馨提醒" not in second.stdout


def test_audit_jsonl_one_line_per_message_in_order():
    res = bot("audit", str(SAMPLE), "--format", "jsonl")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(l) for l in res.stdout.splitlines()]
    assert [l["id"] for l in lines] == ["t01", "t02", "t03", "t04", "t06", "t07", "t08"]
    for l in lines:
        assert set(l) >= {"id", "findings", "action"}
        for f in l["findings"]:
            assert set(f) == {"rule", "score", "evidence", "reason"}
    flagged = {l["id"]: {f["rule"] for f in l["findings"]} for l in lines if l["action"] != "none"}
    assert flagged == {"t02": {"classified"}, "t03": {"red_envelope"}, "t06": {"ads"}}
    errs = res.stderr
    for n in (4, 7, 8):
        assert f"line {n}:" in errs
    assert "hologram" in errs and "3 malformed line(s) skipped" in errs


def test_audit_table_and_store(tmp_path, db):
    res = bot("audit", str(SAMPLE), "--format", "table")
    assert res.returncode == 0 and "t02" in res.stdout and "classified" in res.stdout
    stored = bot("audit", str(SAMPLE), "--store", "--db", f"sqlite:///{db}")
    assert stored.returncode == 0
    assert sorted(r[1] for r in incidents(db)) == ["t02", "t03", "t06"]


def test_audit_hostile_input_is_reported_not_fatal(tmp_path):
    f = tmp_path / "hostile.jsonl"
    f.write_bytes(
        b'{"kind":"room","room_id":"r","owner_id":"u1","members":[]}\n'
        + b'\xff\xfe not utf8\n'
        + b'[' * 100000 + b'\n'
        + b'{"kind":"sticker","room_id":"r"}\n'
        + json.dumps({"kind": "message", "id": "big", "room_id": "r", "sender_id": "u2",
                      "ts": "2026-11-20T09:00:00+08:00", "text": "机密★1年" + "汇报" * 200000},
                     ensure_ascii=False).encode() + b'\n'
        + b'{"kind":"message","id":"ok","room_id":"r","sender_id":"u2","ts":"2026-11-20T09:01:00+08:00","text":"\xe6\x94\xb6\xe5\x88\xb0"}\n')
    res = bot("audit", str(f))
    assert res.returncode == 0, res.stderr
    assert [json.loads(l)["id"] for l in res.stdout.splitlines()] == ["ok"]
    for n in (2, 3, 4, 5):
        assert f"line {n}:" in res.stderr
    assert "unknown event kind 'sticker'" in res.stderr


def test_log_lists_and_filters(db):
    assert bot("audit", str(SAMPLE), "--store", "--db", f"sqlite:///{db}").returncode == 0
    table = bot("log", "--db", f"sqlite:///{db}")
    assert table.returncode == 0 and "classified" in table.stdout and "ads" in table.stdout
    js = bot("log", "--db", f"sqlite:///{db}", "--rule", "ads", "--format", "json")
    rows = [json.loads(l) for l in js.stdout.splitlines()]
    assert [r["message_id"] for r in rows] == ["t06"]
    assert bot("log", "--db", f"sqlite:///{db}", "--sender", "nobody").stdout.strip() == "没有符合条件的记录。"
    since = bot("log", "--db", f"sqlite:///{db}", "--since", "2030-01-01", "--format", "json")
    assert since.stdout == ""
    bad = bot("log", "--db", f"sqlite:///{db}", "--since", "yesterday-ish")
    assert bad.returncode == 2 and "not a time or duration" in bad.stderr


def test_run_without_token_says_what_to_set():
    res = bot("run")
    assert res.returncode == 2
    assert "WECHATY_PUPPET_SERVICE_TOKEN" in res.stderr and "demo" in res.stderr


def test_bad_rulebook_names_the_key(tmp_path, db):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "qungui" / "rules" / "default.yaml").read_text(encoding="utf-8")
                   .replace("threshold: 0.6, action: warn, clause: 10", "threshold: 7, action: warn, clause: 10"),
                   encoding="utf-8")
    res = bot("audit", str(SAMPLE), "--rulebook", str(bad))
    assert res.returncode == 2 and "rules.ads.threshold" in res.stderr


def test_database_unreachable_is_a_clear_error():
    res = bot("log", "--db", "postgresql://postgres:pw@127.0.0.1:1/none")
    assert res.returncode == 2 and "cannot reach the database" in res.stderr
    assert "pw" not in res.stderr.replace("postgresql://postgres:***", "")


def test_chat_console_switches_speaker_and_runs_commands(db):
    script = "\n".join(["/as 张伟", "李局高瞻远瞩，跟着您干我们心里踏实！", "/status",
                        "/as 李明", "/status", "/quit"]) + "\n"
    res = bot("chat", "--db", f"sqlite:///{db}", input=script)
    assert res.returncode == 0, res.stderr
    assert "仅限群主" in res.stdout          # 张伟 may not use /status
    assert "群规助手运行中" in res.stdout      # the owner may
    assert any(r[2] == "owner_praise" for r in incidents(db))


@pytest.mark.quick
@pytest.mark.parametrize("cmd", ["demo", "chat", "audit", "log", "run", "migrate", "health"])
def test_every_command_has_help(cmd):
    res = bot(cmd, "--help")
    assert res.returncode == 0 and "usage:" in res.stdout and "--log-level" in res.stdout


def test_bot_py_from_the_checkout_is_the_same_command(tmp_path):
    """A real process: ``python bot.py`` runs the CLI; a usage error is one line."""
    res = bot_process("--help")
    assert res.returncode == 0 and "demo" in res.stdout and "health" in res.stdout
    bad = bot_process("log", "--log-level", "LOUD", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "bot.py log: error: argument --log-level: must be one of DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL (got 'LOUD') (see bot.py log --help)"]
