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
    ("database_url = 5\n", "database_url: must be a string"),
    ("colour = 'red'\n", "unknown key 'colour'"),
    ("operators = 5\n", "operators: must be a list"),
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
    default = load_settings(None, env={})
    assert default.spool_path is None and default.spool == Path("data/spool/incidents.jsonl")
    lite = load_settings(None, env={"BOT_DATABASE_URL": f"sqlite:///{tmp_path}/db/bot.sqlite3"})
    assert lite.spool == tmp_path / "db" / "spool" / "incidents.jsonl"
    cfg.write_text("spool_path = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="spool_path: must be a string"):
        load_settings(cfg, env={})


def test_puppet_service_timeouts_from_file_then_environment(tmp_path):
    cfg = tmp_path / "bot.toml"
    cfg.write_text("send_timeout_seconds = 20\nlookup_timeout_seconds = 7.5\n", encoding="utf-8")
    s = load_settings(cfg, env={})
    assert (s.send_timeout_seconds, s.lookup_timeout_seconds) == (20.0, 7.5)
    s = load_settings(cfg, env={"BOT_SEND_TIMEOUT_SECONDS": "9"})
    assert (s.send_timeout_seconds, s.lookup_timeout_seconds) == (9.0, 7.5)
    assert load_settings(None, env={}).send_timeout_seconds == 15
    for bad in ("0", "-1", "forever", "601"):
        with pytest.raises(ConfigError, match="BOT_LOOKUP_TIMEOUT_SECONDS: a timeout"):
            load_settings(cfg, env={"BOT_LOOKUP_TIMEOUT_SECONDS": bad})


# --- one model, four sources -------------------------------------------------------

def test_every_setting_in_every_source(tmp_path):
    """Each setting can be given in the TOML file, in .env and in the
    environment; the environment wins over .env, .env over the file."""
    from qungui.config import SETTINGS, env_name

    samples = {"data_dir": ("/srv/a", "/srv/b", "/srv/c"),
               "database_url": ("sqlite:///a.db", "sqlite:///b.db", "postgresql://u@h/c"),
               "rulebook": ("a.yaml", "b.yaml", "c.yaml"), "bot_id": ("a", "b", "c"),
               "operators": (["a"], "b", "c,d"), "puppet_token": ("ta", "tb", "tc"),
               "puppet_endpoint": ("a:1", "b:2", "c:3"), "log_level": ("debug", "INFO", "error"),
               "message_retention_days": (1, "2", "3"), "spool_path": ("/s/a", "/s/b", "/s/c"),
               "send_timeout_seconds": (1, "2", "3.5"), "lookup_timeout_seconds": (1, "2", "3"),
               "health_host": ("a", "b", "0.0.0.0"), "health_port": (1, "2", "8081")}
    assert set(samples) == {f.name for f in SETTINGS}
    cfg, dot = tmp_path / "bot.toml", tmp_path / ".env"
    import json
    cfg.write_text("".join(f"{k} = {json.dumps(v[0])}\n" for k, v in samples.items()),
                   encoding="utf-8")
    from_file = load_settings(cfg, env={})
    from_dotenv = (dot.write_text("".join(f"{env_name(f)}={samples[f.name][1]}\n" for f in SETTINGS),
                                  encoding="utf-8"), load_settings(cfg, env={}, dotenv=dot))[1]
    from_env = load_settings(cfg, env={env_name(f): samples[f.name][2] for f in SETTINGS}, dotenv=dot)
    assert (from_file.bot_id, from_dotenv.bot_id, from_env.bot_id) == ("a", "b", "c")
    assert from_file.log_level == "DEBUG" and from_dotenv.log_level == "INFO"
    assert from_env.log_level == "ERROR" and from_env.operators == ("c", "d")
    assert (from_file.health_port, from_dotenv.health_port, from_env.health_port) == (1, 2, 8081)
    assert from_env.database_url == "postgresql://u@h/c" and from_env.puppet_token == "tc"
    assert from_env.send_timeout_seconds == 3.5 and str(from_env.data_dir) == "/srv/c"


@pytest.mark.quick
@pytest.mark.parametrize("env, message", [
    ({"BOT_LOG_LEVEL": "LOUD"}, "BOT_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ({"BOT_DATABASE_URL": "mysql://root:hunter2@db/bot"}, "not mysql: use sqlite:///"),
    ({"BOT_DATABASE_URL": "::not a url::"}, "BOT_DATABASE_URL: not a database URL"),
    ({"BOT_HEALTH_PORT": "70000"}, "BOT_HEALTH_PORT: must be a port number"),
    ({"BOT_MESSAGE_RETENTION_DAYS": "-3"}, "whole number of days"),
    ({"BOT_CONFIG": "/nonexistent/bot.toml"}, "no such config file \\(named by BOT_CONFIG\\)"),
])
def test_bad_values_are_one_line_naming_the_key(env, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(None, env=env)
    text = str(caught.value)
    assert "\n" not in text and "hunter2" not in text


def test_log_level_in_toml_and_unknown_keys_in_dotenv(tmp_path):
    cfg = tmp_path / "bot.toml"
    cfg.write_text('[bot]\nlog_level = "info"\n', encoding="utf-8")
    assert load_settings(cfg, env={}).log_level == "INFO"
    dot = tmp_path / ".env"
    # compose's own variables may share .env; a misspelt setting of ours may not
    dot.write_text("POSTGRES_PASSWORD=pw\nexport BOT_ID='bot-1'  \n# comment\n", encoding="utf-8")
    assert load_settings(None, env={}, dotenv=dot).bot_id == "bot-1"
    dot.write_text("BOT_LOGLEVEL=INFO\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting BOT_LOGLEVEL"):
        load_settings(None, env={}, dotenv=dot)
    dot.write_text("WECHATY_PUPPET_SERVICE_TOKEN=tok-secret-1\nBOT_HEALTH_PORT=x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="BOT_HEALTH_PORT") as caught:
        load_settings(None, env={}, dotenv=dot)
    assert "tok-secret-1" not in str(caught.value)


def test_the_data_folder_holds_the_database_and_the_spool(tmp_path):
    s = load_settings(None, env={"BOT_DATA_DIR": str(tmp_path / "d")})
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path}/d/bot.sqlite3"
    assert s.spool == tmp_path / "d" / "spool" / "incidents.jsonl"
    assert f"data_dir={tmp_path / 'd'}" in s.describe()
    # a configured folder stays the data folder whatever the database
    s = load_settings(None, env={"BOT_DATA_DIR": str(tmp_path / "d"),
                                 "BOT_DATABASE_URL": "sqlite:////elsewhere/x.db"})
    assert s.spool == tmp_path / "d" / "spool" / "incidents.jsonl"


@pytest.mark.quick
def test_the_example_files_are_up_to_date():
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).resolve().parent.parent / "tools" / "settings_examples.py"
    spec = importlib.util.spec_from_file_location("settings_examples", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.stale() == [], "run python tools/settings_examples.py"
    from qungui.config import SETTINGS, env_name
    for f in SETTINGS:                       # each example names every setting
        assert f"# {f.name} = " in (module.ROOT / "bot.toml.example").read_text(encoding="utf-8")
        assert f"# {env_name(f)}=" in (module.ROOT / ".env.example").read_text(encoding="utf-8")
