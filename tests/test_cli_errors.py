"""Every mistake a user can make at the command line gets one clear line
saying what to do, and exit status 2; nothing is created or lost on the way.
In-process (``tests.test_cli.bot``) on real files and databases."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import uuid

import pytest

from tests.conftest import PG_HOST, PG_PORT, PG_USER, _pg_reachable
from tests.test_cli import SAMPLE, bot, bot_process


def one_line_error(res, *fragments: str) -> str:
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A database holding the sample's incidents."""
    db = tmp_path_factory.mktemp("stored") / "bot.sqlite3"
    assert bot("audit", SAMPLE, "--store", "--db", f"sqlite:///{db}").returncode == 0
    return db


@pytest.mark.quick
@pytest.mark.parametrize("url, fragment", [
    ("mysql://root:hunter2@db/bot", "not mysql: use sqlite:///"),
    ("::not a url::", "not a database URL"),
    ("postgresql://u@h", "names no database"),
])
def test_unsupported_or_unparseable_database_url(url, fragment):
    line = one_line_error(bot("log", "--db", url), "--db:", fragment)
    assert "hunter2" not in line
    line = one_line_error(bot("log", env={"BOT_DATABASE_URL": url}), "BOT_DATABASE_URL", fragment)
    assert "hunter2" not in line


@pytest.mark.quick
@pytest.mark.parametrize("cmd", [["log"], ["stats"], ["rooms"], ["web"], ["log", "--outbox"]])
def test_read_commands_never_create_a_database(tmp_path, cmd):
    res = bot(*cmd, env={"BOT_DATA_DIR": str(tmp_path / "data")})
    one_line_error(res, "no database at", str(tmp_path / "data" / "bot.sqlite3"), "demo")
    assert not (tmp_path / "data").exists()


def test_unwritable_data_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    one_line_error(bot("demo", env={"BOT_DATA_DIR": str(blocker / "data")}),
                   "the data folder", "cannot be written", "BOT_DATA_DIR")


def test_read_only_database(tmp_path, stored):
    db = tmp_path / "ro.sqlite3"
    shutil.copy(stored, db)
    # an immutable file: not even root may write it (chmod would not stop root)
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.fail("chattr +i is needed to make a file read-only for every user")
    try:
        one_line_error(bot("demo", "--db", f"sqlite:///{db}"), "is read-only", "write access")
        assert bot("log", "--db", f"sqlite:///{db}").returncode == 0     # reading still works
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)


@pytest.mark.postgres
@pytest.mark.parametrize("missing", ["database", "role"])
def test_missing_postgresql_database_or_role(missing):
    why = _pg_reachable()
    if why:
        pytest.skip(f"PostgreSQL not reachable: {why}")
    name = f"absent_{uuid.uuid4().hex[:8]}"
    user, database = (PG_USER, name) if missing == "database" else (name, "postgres")
    url = f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{database}"
    line = one_line_error(bot("migrate", "--db", url), f"the {missing} '{name}' does not exist")
    assert ("createdb" if missing == "database" else "createuser") in line


@pytest.mark.quick
def test_demo_with_a_missing_events_file():
    one_line_error(bot("demo", "--events", "/missing/events.jsonl"),
                   "/missing/events.jsonl: no such events file")


def test_broken_pipe_is_quiet(stored):
    """``log | head``: the reader going away ends the command quietly."""

    class Closed(io.StringIO):
        def write(self, s):
            raise BrokenPipeError(32, "Broken pipe")

    res = bot("log", "--db", f"sqlite:///{stored}", "--format", "json", stdout=Closed())
    assert res.returncode == 0 and res.stderr == ""
    # and as a real pipe whose reader has gone
    proc = subprocess.Popen(["sh", "-c", f'"$0" "$1" log --db "$2" --format csv --limit 0 | head -c 1',
                             bot_process.__globals__["sys"].executable,
                             str(bot_process.__globals__["ROOT"] / "bot.py"), f"sqlite:///{stored}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    assert b"BrokenPipe" not in err and b"Traceback" not in err, err


def test_audit_fails_when_no_line_can_be_decoded(tmp_path):
    f = tmp_path / "garbled.jsonl"
    f.write_bytes(b"\xff\xfe\x00 one\n\xfe\xff two\n\xc3\x28 three\n")
    res = bot("audit", f)
    assert res.returncode == 2 and res.stdout == ""
    assert "line 3: not UTF-8" in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith(f"error: {f}: no event could be read")


@pytest.mark.quick
def test_audit_input_format_that_is_not_the_file():
    one_line_error(bot("audit", "--input", "wechatmsg", SAMPLE),
                   "not a WeChatMsg export", "reads as a JSONL events file", "leave out --input")


@pytest.mark.quick
def test_unknown_rule_gets_suggestions(stored):
    one_line_error(bot("log", "--db", f"sqlite:///{stored}", "--rule", "clasified"),
                   "unknown rule 'clasified'", "did you mean classified?")
    one_line_error(bot("stats", "--db", f"sqlite:///{stored}", "--rule", "zzz"),
                   "unknown rule 'zzz'", "known: ads")


@pytest.mark.quick
def test_settings_errors(tmp_path):
    one_line_error(bot("log", env={"BOT_CONFIG": str(tmp_path / "nope.toml")}),
                   "nope.toml: no such config file (named by BOT_CONFIG)")
    (tmp_path / "bot.toml").write_text("colour = 'red'\n", encoding="utf-8")
    one_line_error(bot("log", cwd=tmp_path), "bot.toml: unknown key 'colour'", "known: data_dir")
    (tmp_path / "bot.toml").write_text("health_port = 'x'\n", encoding="utf-8")
    one_line_error(bot("log", cwd=tmp_path), "health_port: must be a port number")
    (tmp_path / "bot.toml").unlink()
    (tmp_path / ".env").write_text("BOT_LOG_LEVEL=LOUD\n", encoding="utf-8")
    one_line_error(bot("log", cwd=tmp_path), ".env: BOT_LOG_LEVEL: must be one of DEBUG")


def test_global_options_before_or_after_the_command(tmp_path, stored):
    cfg = tmp_path / "bot.toml"
    cfg.write_text('log_level = "INFO"\n', encoding="utf-8")
    url = f"sqlite:///{stored}"
    before = bot("--config", cfg, "--db", url, "log", "--rule", "ads", "--format", "json")
    after = bot("log", "--rule", "ads", "--format", "json", "--config", cfg, "--db", url)
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout and json.loads(before.stdout)["message_id"] == "t06"
    # log_level from the file: INFO records reach standard error
    assert " INFO " in before.stderr and " INFO " in after.stderr
    quiet = bot("log", "--db", url, "--log-level", "error", "--config", cfg)
    assert " INFO " not in quiet.stderr
    one_line_error(bot("--log-level", "LOUD", "log"), "--log-level: must be one of")


def test_log_csv_opens_in_excel(stored):
    res = bot("log", "--db", f"sqlite:///{stored}", "--format", "csv", "--rule", "classified")
    assert res.returncode == 0
    assert res.stdout.startswith("\ufeff编号,时间,群名称,群ID,")
    import csv
    rows = list(csv.reader(io.StringIO(res.stdout.lstrip("\ufeff"))))
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row))
    assert cell["时间"] == "2026-11-20 09:02:00"              # China time, no zone, no T
    assert cell["处置"] in ("群内提醒", "私聊提醒", "仅记录") and cell["审核状态"] == "待审核"
    assert cell["规则"] == "涉密信息" and cell["群名称"]          # names, as on the review page
    # the review page's labels, shared through qungui/review
    from qungui.review.export import csv_text
    assert csv_text([]).startswith("编号,") and not csv_text([]).startswith("\ufeff")
