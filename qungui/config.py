"""Deployment settings: defaults, then a TOML config file, then the environment.

Secrets (the puppet token, a database password) belong in the environment;
``describe()`` renders the settings for logs with every secret hidden.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from qungui.core.rulebook import DEFAULT_RULEBOOK
from qungui.storage.repository import DEFAULT_URL, default_spool_path, safe_url

DEFAULT_CONFIG = Path("bot.toml")
SPOOL_FILE = "incidents.jsonl"


class ConfigError(ValueError):
    pass


@dataclass(repr=False)
class Settings:
    database_url: str = DEFAULT_URL
    rulebook: Path = DEFAULT_RULEBOOK
    bot_id: str = "bot"
    operators: tuple[str, ...] = ()
    puppet_token: str = field(default="", repr=False)
    puppet_endpoint: str = ""
    log_level: str = "INFO"
    # days of recent messages kept as context for reviewers; 0 keeps none
    message_retention_days: int = 30
    # the file where incidents wait while the database is down; None:
    # spool/incidents.jsonl in the data folder (storage.repository.default_spool_path)
    spool_path: Path | None = None
    # the live channel gives up a call to the puppet service after this long
    # (the send is retried); look-ups are of rooms, contacts and members
    send_timeout_seconds: float = 15.0
    lookup_timeout_seconds: float = 10.0

    @property
    def spool(self) -> Path:
        """The spool file in use: the configured one or the default for the database."""
        return self.spool_path or default_spool_path(self.database_url)

    def __repr__(self) -> str:
        return f"Settings({self.describe()})"

    def describe(self) -> str:
        token = "set" if self.puppet_token else "not set"
        return (f"database={safe_url(self.database_url)} rulebook={self.rulebook} "
                f"spool={self.spool} "
                f"bot_id={self.bot_id} operators={len(self.operators)} puppet_token={token} "
                f"puppet_endpoint={self.puppet_endpoint or 'not set'}")


_TIMEOUT_KEYS = ("send_timeout_seconds", "lookup_timeout_seconds")
_FILE_KEYS = {"database_url", "rulebook", "bot_id", "operators", "puppet_endpoint", "log_level",
              "message_retention_days", "spool_path", *_TIMEOUT_KEYS}


def load_settings(config: str | Path | None = None, env: dict | None = None) -> Settings:
    env = os.environ if env is None else env
    s = Settings()
    path = Path(config or env.get("BOT_CONFIG") or DEFAULT_CONFIG)
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        bot = data.get("bot", data)
        for key, value in bot.items():
            if key not in _FILE_KEYS:
                raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(sorted(_FILE_KEYS))})")
            if key == "operators":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{path}: operators must be a list of contact ids")
                s.operators = tuple(value)
            elif key == "message_retention_days":
                s.message_retention_days = _retention(value, str(path))
            elif key in _TIMEOUT_KEYS:
                setattr(s, key, _timeout(value, f"{path}: {key}"))
            elif not isinstance(value, str):
                raise ConfigError(f"{path}: {key} must be a string")
            elif key == "rulebook":
                s.rulebook = Path(value)
            elif key == "spool_path":
                s.spool_path = _spool_path(value, str(path))
            else:
                setattr(s, key, value)
    elif config:
        raise ConfigError(f"{path}: no such config file")
    if env.get("BOT_DATABASE_URL"):
        s.database_url = env["BOT_DATABASE_URL"]
    if env.get("BOT_RULEBOOK"):
        s.rulebook = Path(env["BOT_RULEBOOK"])
    if env.get("BOT_SPOOL_PATH"):
        s.spool_path = _spool_path(env["BOT_SPOOL_PATH"], "BOT_SPOOL_PATH")
    if env.get("BOT_ID"):
        s.bot_id = env["BOT_ID"]
    if env.get("BOT_OPERATORS"):
        s.operators = tuple(x.strip() for x in env["BOT_OPERATORS"].split(",") if x.strip())
    if env.get("BOT_MESSAGE_RETENTION_DAYS"):
        s.message_retention_days = _retention(env["BOT_MESSAGE_RETENTION_DAYS"],
                                              "BOT_MESSAGE_RETENTION_DAYS")
    for key in _TIMEOUT_KEYS:
        name = f"BOT_{key.upper()}"
        if env.get(name):
            setattr(s, key, _timeout(env[name], name))
    s.puppet_token = env.get("WECHATY_PUPPET_SERVICE_TOKEN", "")
    s.puppet_endpoint = env.get("WECHATY_PUPPET_SERVICE_ENDPOINT", s.puppet_endpoint)
    return s


def _retention(value, where: str) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if isinstance(value, bool) or days < 0:
        raise ConfigError(f"{where}: message_retention_days must be a whole number of days >= 0")
    return days


def _timeout(value, where: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not 0 < seconds <= 600:
        raise ConfigError(f"{where}: a timeout is a number of seconds above 0 and at most 600")
    return seconds


def _spool_path(value: str, where: str) -> Path:
    """The spool file; a folder (an existing one, or a path ending in a
    slash) holds it as ``incidents.jsonl``."""
    if not value.strip():
        raise ConfigError(f"{where}: spool_path is empty")
    path = Path(value).expanduser()
    if value.endswith(("/", os.sep)) or path.is_dir():
        path = path / SPOOL_FILE
    return path
