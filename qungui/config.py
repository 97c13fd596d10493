"""Deployment settings: one model, read from its defaults, then a TOML file
(``bot.toml``), then a ``.env`` file, then the environment.

Every setting can be given in each of the three places: ``key = value`` in
the TOML file (at the top or under ``[bot]``), ``NAME=value`` in ``.env`` or
the environment (``NAME`` is the setting's variable, ``BOT_<KEY>`` for most).
Each value is checked as it is read; a bad one raises ``ConfigError`` naming
where it came from, the key and what is allowed, in one line.

Secrets (the puppet token, a database password) belong in the environment or
``.env``; ``describe()`` renders the settings for logs with every secret
hidden, and ``secrets()`` lists them for the log filter that masks them.
``bot.toml.example`` and ``.env.example`` are written from this model by
``tools/settings_examples.py``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

from qungui.core.rulebook import DEFAULT_RULEBOOK
from qungui.storage.repository import DEFAULT_URL, safe_url

DEFAULT_CONFIG = Path("bot.toml")
DEFAULT_DOTENV = Path(".env")
DEFAULT_DATA_DIR = Path("data")
DATABASE_FILE = "bot.sqlite3"
SPOOL_FILE = "incidents.jsonl"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# variables the bot reads that are not settings (the config file's own name,
# the web password for ``web --set-password``, the test suite's server)
NOT_SETTINGS = ("BOT_CONFIG", "BOT_WEB_PASSWORD")


class ConfigError(ValueError):
    pass


# --- checks: each takes a value as TOML or the environment gives it and returns
# it typed, or raises ValueError saying what is allowed ----------------------------

def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _path(value: Any) -> Path:
    if not _text(value).strip():
        raise ValueError("must be a path, not empty")
    return Path(value).expanduser()


def _nonempty(value: Any) -> str:
    if not _text(value).strip():
        raise ValueError("must not be empty")
    return value.strip()


def _operators(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):           # the environment: comma-separated
        return tuple(x.strip() for x in value.split(",") if x.strip())
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of contact ids (in the environment: comma-separated)")
    return tuple(v.strip() for v in value if v.strip())


def _level(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() in LOG_LEVELS:
        return value.strip().upper()
    raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")


def _int_range(low: int, high: int, what: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        try:
            number = int(value) if not isinstance(value, (bool, float)) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(what)
        return number
    return check


def _timeout(value: Any) -> float:
    try:
        seconds = float(value) if not isinstance(value, bool) else -1.0
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= 600:
        raise ValueError("a timeout is a number of seconds above 0 and at most 600")
    return seconds


def _spool(value: Any) -> Path:
    """The spool file; a folder (an existing one, or a path ending in a
    slash) holds it as ``incidents.jsonl``."""
    text = _text(value)
    if not text.strip():
        raise ValueError("spool_path is empty")
    path = Path(text).expanduser()
    if text.endswith(("/", os.sep)) or path.is_dir():
        path = path / SPOOL_FILE
    return path


DATABASE_HELP = ("use sqlite:///path/to/bot.sqlite3 or "
                 "postgresql://user:password@host:5432/database")


def check_database_url(value: Any) -> str:
    """A SQLAlchemy URL of SQLite or PostgreSQL (the two the bot is tested on)."""
    from sqlalchemy.engine import make_url

    text = _text(value).strip()
    if not text:                          # empty: the SQLite file in the data folder
        return ""
    try:
        url = make_url(text)
    except Exception:  # noqa: BLE001 - any parse failure is the same mistake
        raise ValueError(f"not a database URL: {DATABASE_HELP}") from None
    family = url.drivername.split("+")[0]
    if family not in ("sqlite", "postgresql", "postgres"):
        raise ValueError(f"the bot keeps its data in SQLite or PostgreSQL, not {family}: "
                         f"{DATABASE_HELP}")
    if family != "sqlite" and not url.database:
        raise ValueError(f"names no database: {DATABASE_HELP}")
    return text


def _setting(default, check, help: str, env: str | None = None, *, secret: bool = False,
             example: str | None = None, default_factory=None):
    meta = {"check": check, "help": help, "env": env, "secret": secret, "example": example}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta, repr=not secret)
    return field(default=default, metadata=meta, repr=not secret)


@dataclass(repr=False)
class Settings:
    data_dir: Path = _setting(
        DEFAULT_DATA_DIR, _path,
        "the bot's data folder: the SQLite database, the spool, outbox files and logs")
    database_url: str = _setting(
        DEFAULT_URL, check_database_url,
        "SQLAlchemy URL of the database, SQLite or PostgreSQL; empty: "
        "bot.sqlite3 in the data folder",
        example="postgresql://qungui:PASSWORD@127.0.0.1:5432/qungui")
    rulebook: Path = _setting(DEFAULT_RULEBOOK, _path, "the rulebook (YAML)",
                              example="rules/my-rulebook.yaml")
    bot_id: str = _setting("bot", _nonempty, "the bot's own contact id (its messages are skipped)",
                           "BOT_ID")
    operators: tuple[str, ...] = _setting(
        (), _operators, "contact ids of the operators who may use every command in every room",
        example='["wxid_operator1", "wxid_operator2"]')
    puppet_token: str = _setting(
        "", _text, "the wechaty puppet service token (a secret: environment or .env only)",
        "WECHATY_PUPPET_SERVICE_TOKEN", secret=True, example="puppet_...")
    puppet_endpoint: str = _setting(
        "", _text, "the puppet service's host:port (empty: discovered from the token)",
        "WECHATY_PUPPET_SERVICE_ENDPOINT", example="127.0.0.1:8788")
    log_level: str = _setting("WARNING", _level, f"logging level: {', '.join(LOG_LEVELS)}")
    message_retention_days: int = _setting(
        30, _int_range(0, 36500, "must be a whole number of days >= 0"),
        "days of recent messages kept as context for reviewers; 0 keeps none")
    spool_path: Path | None = _setting(
        None, _spool,
        "where incidents wait while the database is down; empty: spool/incidents.jsonl "
        "in the data folder", example="/var/spool/qungui/incidents.jsonl")
    send_timeout_seconds: float = _setting(
        15.0, _timeout, "the live channel gives up a send to the puppet service after this long "
                        "(it is retried)")
    lookup_timeout_seconds: float = _setting(
        10.0, _timeout, "the live channel gives up a look-up of a room, contact or member "
                        "after this long")
    health_host: str = _setting(
        "127.0.0.1", _nonempty, "address of the live bot's health endpoint (GET /healthz)")
    health_port: int = _setting(
        0, _int_range(0, 65535, "must be a port number from 1 to 65535, or 0 for off"),
        "port of the live bot's health endpoint; 0: off", example="8081")

    # whether data_dir was configured; if not, an SQLite database named by URL
    # keeps the rest of the data beside it (use_database)
    data_dir_given: bool = field(default=False, repr=False, compare=False)

    def use_database(self, url: str) -> None:
        """Point at this database; without a configured data folder, an SQLite
        file's folder becomes the data folder."""
        self.database_url = url or f"sqlite+aiosqlite:///{self.data_dir / DATABASE_FILE}"
        if url and not self.data_dir_given:
            from sqlalchemy.engine import make_url
            u = make_url(url)
            if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:" \
                    and not u.database.startswith("file:"):
                self.data_dir = Path(u.database).parent

    @property
    def spool(self) -> Path:
        """The spool file in use: the configured one or the one in the data folder."""
        return self.spool_path or self.data_dir / "spool" / SPOOL_FILE

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def secrets(self) -> list[str]:
        """The values no log line may show: the token and the database password."""
        from sqlalchemy.engine import make_url

        found = [self.puppet_token] if self.puppet_token else []
        try:
            password = make_url(self.database_url).password
        except Exception:  # noqa: BLE001
            password = None
        if password:
            found.append(str(password))
        return found

    def __repr__(self) -> str:
        return f"Settings({self.describe()})"

    def describe(self) -> str:
        token = "set" if self.puppet_token else "not set"
        return (f"data_dir={self.data_dir.resolve()} database={safe_url(self.database_url)} "
                f"rulebook={self.rulebook} spool={self.spool} "
                f"bot_id={self.bot_id} operators={len(self.operators)} puppet_token={token} "
                f"puppet_endpoint={self.puppet_endpoint or 'not set'}")


SETTINGS = tuple(f for f in fields(Settings) if "check" in f.metadata)


def env_name(f) -> str:
    return f.metadata["env"] or f"BOT_{f.name.upper()}"


ENV_NAMES = {env_name(f): f for f in SETTINGS}
KEYS = {f.name: f for f in SETTINGS}


def _apply(values: dict, f, raw: Any, where: str) -> None:
    try:
        values[f.name] = f.metadata["check"](raw)
    except ValueError as exc:
        shown = safe_url(str(raw)) if f.name == "database_url" else str(raw)
        got = "" if f.metadata["secret"] else f" (got {shown[:80]!r})"
        raise ConfigError(f"{where}: {exc}{got}") from None


def read_dotenv(path: Path) -> dict[str, str]:
    """``NAME=value`` lines (``export`` allowed, ``#`` comments, quotes stripped)."""
    out: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        name, eq, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name.replace("_", "").isalnum():
            raise ConfigError(f"{path}: line {n}: not NAME=value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[name] = value
    return out


def load_settings(config: str | Path | None = None, env: Mapping[str, str] | None = None,
                  dotenv: str | Path | None = None) -> Settings:
    """The settings from the defaults, the TOML file, ``.env`` and ``env``.

    ``config``: the TOML file (else ``BOT_CONFIG``, else ``./bot.toml`` if it
    exists; a file named by either must exist). ``env``: the environment
    (None: ``os.environ``, and then ``./.env`` is read too). ``dotenv``: a
    ``.env`` file to read (it must exist)."""
    if env is None:
        env = os.environ
        if dotenv is None and DEFAULT_DOTENV.is_file():
            dotenv = DEFAULT_DOTENV
    elif dotenv is not None and not Path(dotenv).is_file():
        raise ConfigError(f"{dotenv}: no such .env file")
    dot = read_dotenv(Path(dotenv)) if dotenv is not None else {}
    for name in dot:
        if name.startswith("BOT_") and name not in ENV_NAMES and name not in NOT_SETTINGS:
            raise ConfigError(f"{dotenv}: unknown setting {name} (known: "
                              f"{', '.join(sorted(ENV_NAMES))})")

    values: dict[str, Any] = {}
    named = config or env.get("BOT_CONFIG") or dot.get("BOT_CONFIG")
    path = Path(named) if named else DEFAULT_CONFIG
    if path.is_file():
        _read_toml(path, values)
    elif named:
        source = "--config" if config else "BOT_CONFIG"
        raise ConfigError(f"{path}: no such config file (named by {source})")

    for source, where in ((dot, f"{dotenv}: "), (env, "")):
        for name, f in ENV_NAMES.items():
            if source.get(name, "") != "":         # unset or empty: the value before stands
                _apply(values, f, source[name], f"{where}{name}")

    url = values.pop("database_url", "")
    s = Settings(**values, data_dir_given="data_dir" in values)
    s.use_database(url)                       # empty: the file in the data folder
    return s


def _read_toml(path: Path, values: dict) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    bot = data.get("bot", data) if isinstance(data.get("bot"), dict) else data
    for key, value in bot.items():
        f = KEYS.get(key)
        if f is None:
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(KEYS)})")
        _apply(values, f, value, f"{path}: {key}")


# --- the example files ---------------------------------------------------------------

def _toml_value(f) -> str:
    example = f.metadata["example"]
    if example is not None and example.startswith("["):
        return example
    default = "" if f.default is None or f.name == "database_url" else f.default
    value = example if example is not None else default
    if isinstance(default, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(default, float):
        return f"{float(value):g}"
    if isinstance(default, int) and not isinstance(default, bool):
        return str(value)
    return f'"{value}"'


def toml_example() -> str:
    """``bot.toml.example``: every setting, commented out, with its default or an example."""
    lines = ["# bot.toml — the bot's settings (generated by tools/settings_examples.py from",
             "# qungui/config.py; do not edit by hand). Every key can also be set in .env or",
             "# the environment under the name shown; the environment wins, then .env, then",
             "# this file. Secrets belong in the environment or .env, never here.", ""]
    for f in SETTINGS:
        lines.append(f"# {f.metadata['help']} ({env_name(f)})")
        lines.append(f"# {f.name} = {_toml_value(f)}")
        lines.append("")
    return "\n".join(lines)


def _env_value(f) -> str:
    example = f.metadata["example"]
    if f.name == "operators":
        return "wxid_operator1,wxid_operator2"
    if example is not None:
        return example
    default = f.default
    if f.name == "database_url" or default is None:
        return ""
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)


def env_example() -> str:
    """``.env.example``: every setting by its variable, commented out."""
    lines = ["# .env — the bot's settings as environment variables (generated by",
             "# tools/settings_examples.py from qungui/config.py; do not edit by hand).",
             "# Copy to .env (never committed). The environment wins over .env, .env over",
             "# bot.toml. docker compose reads this file too (compose.yaml).", ""]
    for f in SETTINGS:
        lines.append(f"# {f.metadata['help']}")
        lines.append(f"# {env_name(f)}={_env_value(f)}")
        lines.append("")
    return "\n".join(lines)
