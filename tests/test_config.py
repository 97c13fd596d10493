"""Settings: defaults, then the TOML file, then the environment; secrets hidden."""

from __future__ import annotations

import pytest

from qungui.config import ConfigError, load_settings


def test_file_then_environment(tmp_path):
    cfg = tmp_path / "bot.toml"
    cfg.write_text('database_url = "postgresql://bot:pw@db/bot"\noperators = ["wxid_a"]\n', encoding="utf-8")
    s = load_settings(cfg, env={})
    assert s.database_url == "postgresql://bot:pw@db/bot" and s.operators == ("wxid_a",)
    s = load_settings(cfg, env={"BOT_DATABASE_URL": "sqlite:///x.db", "BOT_OPERATORS": "a, b"})
    assert s.database_url == "sqlite:///x.db" and s.operators == ("a", "b")


def test_describe_hides_secrets(tmp_path):
    s = load_settings(None,
                      env={"BOT_DATABASE_URL": "postgresql://bot:hunter2@db/bot",
                           "WECHATY_PUPPET_SERVICE_TOKEN": "tok-123"})
    text = s.describe() + repr(s)
    assert "hunter2" not in text and "tok-123" not in text and "puppet_token=set" in text


@pytest.mark.parametrize("body, message", [
    ("database_url = 5\n", "database_url must be a string"),
    ("colour = 'red'\n", "unknown key 'colour'"),
    ("operators = 'wxid'\n", "operators must be a list"),
    ("database_url = \n", "not valid TOML"),
])
def test_bad_config_names_the_problem(tmp_path, body, message):
    cfg = tmp_path / "bot.toml"
    cfg.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg, env={})


def test_missing_named_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "absent.toml", env={})


def test_spool_path_from_file_then_environment(tmp_path):
    from pathlib import Path

    cfg = tmp_path / "bot.toml"
    cfg.write_text('spool_path = "/var/spool/qungui/incidents.jsonl"\n', encoding="utf-8")
    assert load_settings(cfg, env={}).spool == Path("/var/spool/qungui/incidents.jsonl")
    s = load_settings(cfg, env={"BOT_SPOOL_PATH": str(tmp_path)})    # a folder holds the file
    assert s.spool == tmp_path / "incidents.jsonl" and f"spool={s.spool}" in s.describe()
    # not configured: a spool folder of its own in the data folder, never beside the database
    default = load_settings(None, env={"BOT_CONFIG": str(tmp_path / "absent.toml")})
    assert default.spool_path is None and default.spool == Path("data/spool/incidents.jsonl")
    lite = load_settings(None, env={"BOT_CONFIG": str(tmp_path / "absent.toml"),
                                  "BOT_DATABASE_URL": f"sqlite:///{tmp_path}/db/bot.sqlite3"})
    assert lite.spool == tmp_path / "db" / "spool" / "incidents.jsonl"
    cfg.write_text("spool_path = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="spool_path must be a string"):
        load_settings(cfg, env={})


def test_puppet_service_timeouts_from_file_then_environment(tmp_path):
    cfg = tmp_path / "bot.toml"
    cfg.write_text("send_timeout_seconds = 20\nlookup_timeout_seconds = 7.5\n", encoding="utf-8")
    s = load_settings(cfg, env={})
    assert (s.send_timeout_seconds, s.lookup_timeout_seconds) == (20.0, 7.5)
    s = load_settings(cfg, env={"BOT_SEND_TIMEOUT_SECONDS": "9"})
    assert (s.send_timeout_seconds, s.lookup_timeout_seconds) == (9.0, 7.5)
    assert load_settings(None, env={"BOT_CONFIG": str(tmp_path / "absent.toml")}).send_timeout_seconds == 15
    for bad in ("0", "-1", "forever", "601"):
        with pytest.raises(ConfigError, match="BOT_LOOKUP_TIMEOUT_SECONDS: a timeout"):
            load_settings(cfg, env={"BOT_LOOKUP_TIMEOUT_SECONDS": bad})
