"""bot.py log / stats / web --set-password, run as a user runs them."""

from __future__ import annotations

import csv
import io
import re
import json
import sqlite3

import pytest

from tests.test_cli import SAMPLE, bot


@pytest.fixture
def stored(tmp_path):
    db = tmp_path / "bot.sqlite3"
    assert bot("audit", str(SAMPLE), "--store", "--db", f"sqlite:///{db}").returncode == 0
    return f"sqlite:///{db}"


def test_log_filters_and_formats(stored):
    js = bot("log", "--db", stored, "--format", "json", "--status", "open", "--until", "2030-01-01")
    rows = [json.loads(l) for l in js.stdout.splitlines()]
    assert {r["rule"] for r in rows} == {"classified", "red_envelope", "ads"}
    assert all(r["ts"].endswith("+08:00") and "trace" in r for r in rows)
    assert bot("log", "--db", stored, "--status", "dismissed").stdout.strip() == "没有符合条件的记录。"
    search = bot("log", "--db", stored, "-q", "代购", "--format", "json")
    assert [json.loads(l)["rule"] for l in search.stdout.splitlines()] == ["ads"]
    member = bot("log", "--db", stored, "--member", "张伟", "--format", "json")
    assert member.returncode == 0
    out = bot("log", "--db", stored, "--format", "csv")
    assert out.stdout.startswith("\ufeff")            # for Excel: UTF-8 with its mark
    table = list(csv.reader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert table[0][:4] == ["编号", "时间", "群名称", "群ID"] and len(table) == 4
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[1]) for r in table[1:])
    # classified content never reaches an export: only the marking and a hash
    classified = next(r for r in table[1:] if r[6] == "涉密信息")
    assert "内容已隐去" in classified[10]
    bad = bot("log", "--db", stored, "--until", "soon")
    assert bad.returncode == 2 and "not a time or duration" in bad.stderr


def test_csv_cells_that_look_like_formulas_are_defused(tmp_path):
    from qungui.review.export import safe_cell
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_cell("+1") == "'+1" and safe_cell("正常文本") == "正常文本"


def test_stats_per_rule_room_and_day(stored):
    res = bot("stats", "--db", stored)
    assert res.returncode == 0, res.stderr
    assert "按规则" in res.stdout and "按群" in res.stdout and "按日" in res.stdout
    data = json.loads(bot("stats", "--db", stored, "--format", "json", "--days", "3").stdout)
    assert data["total"] == 3 and data["by_rule"] == {"classified": 1, "red_envelope": 1, "ads": 1}
    assert data["by_room"] == {"test-room": 3} and len(data["by_day"]) == 3
    assert sum(data["by_day"].values()) == 3


def test_set_password_stores_a_slow_hash_never_the_password(tmp_path):
    db = tmp_path / "bot.sqlite3"
    url = f"sqlite:///{db}"
    secret = "Tr0ub4dor&3-office"
    res = bot("--log-level", "DEBUG", "web", "--set-password", "--user", "li", "--room", "r1",
              "--db", url, env={"BOT_WEB_PASSWORD": secret})
    assert res.returncode == 0, res.stderr
    assert secret not in res.stdout + res.stderr
    with sqlite3.connect(db) as conn:
        (room, stored), = conn.execute("select room_id, password_hash from web_accounts").fetchall()
        dump = "\n".join(conn.iterdump())
    assert room == "r1" and secret not in dump
    scheme, n, r, p, _, _ = stored.split("$")
    assert scheme == "scrypt" and int(n) >= 2 ** 15
    from qungui.web.auth import verify_password
    assert verify_password(secret, stored) and not verify_password(secret + "x", stored)
    # from standard input, and a second time only updates
    again = bot("web", "--set-password", "--user", "li", "--db", url, input="another-long-one\n")
    assert again.returncode == 0 and "已更新" in again.stdout
    assert "li\t全部群" in bot("web", "--list-users", "--db", url).stdout
    short = bot("web", "--set-password", "--db", url, input="short\n")
    assert short.returncode == 2 and "too short" in short.stderr
    assert bot("web", "--delete-user", "--user", "li", "--db", url).returncode == 0
    assert bot("web", "--delete-user", "--user", "li", "--db", url).returncode == 2


@pytest.mark.parametrize("cmd", ["log", "stats", "web"])
def test_help(cmd):
    res = bot(cmd, "--help")
    assert res.returncode == 0 and "usage:" in res.stdout


def test_web_port_in_use_is_a_clear_error(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert bot("migrate", "--db", f"sqlite:///{tmp_path}/b.sqlite3").returncode == 0
        res = bot("web", "--port", str(port), "--db", f"sqlite:///{tmp_path}/b.sqlite3")
    assert res.returncode == 2 and "cannot listen" in res.stderr
