"""What the commands share: settings, opening the parts, printing tables."""

from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path
from qungui.rules import data_path

DEMO_EVENTS = data_path("samples", "demo.jsonl")


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit code 2."""


def add_rulebook_and_db(sp: argparse.ArgumentParser, db: bool = True) -> None:
    """--rulebook (``--db`` is a global option, accepted by every command)."""
    sp.add_argument("--rulebook", help="rulebook YAML (default rules/default.yaml)")


def add_db(sp: argparse.ArgumentParser) -> None:
    """Nothing to add: ``--db`` is a global option (``qungui.cli.global_options``)."""


def load_settings_for(args):
    """The settings: defaults, the TOML file, .env, the environment, then the
    global options given on the command line."""
    from qungui.config import ConfigError, check_database_url, load_settings

    try:
        settings = load_settings(getattr(args, "config", None))
    except ConfigError as exc:
        raise CliError(f"settings: {exc}") from None
    if getattr(args, "db", None):
        try:
            settings.use_database(check_database_url(args.db))
        except ValueError as exc:
            raise CliError(f"--db: {exc}") from None
    if getattr(args, "log_level", None):
        settings.log_level = args.log_level
    return settings


def settings_from(args):
    """The command's own copy of the settings (``main`` read them once),
    with its --rulebook."""
    from dataclasses import replace

    base = getattr(args, "settings", None)
    settings = replace(base) if base is not None else load_settings_for(args)
    if getattr(args, "rulebook", None):
        settings.rulebook = Path(args.rulebook)
    return settings


def ensure_data_dir(settings) -> Path:
    """The data folder, created if need be and checked to be writable."""
    import tempfile

    folder = Path(settings.data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise CliError(f"the data folder {folder.resolve()} cannot be written "
                       f"({exc.strerror or type(exc).__name__}): set BOT_DATA_DIR (or data_dir "
                       "in bot.toml) to a folder the bot's user may write") from None
    return folder


def sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:" \
            and not u.database.startswith("file:"):
        return Path(u.database)
    return None


def _check_sqlite(path: Path, *, create: bool) -> None:
    """A read command finds the database there; a write command can write it."""
    import sqlite3

    if not path.exists():
        if not create:
            raise CliError(f"no database at {path.resolve()}: nothing recorded yet (run "
                           f"`{prog()} demo`, or point --db / BOT_DATABASE_URL / BOT_DATA_DIR "
                           "at the bot's database)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(f"cannot create the folder of the database {path}: "
                           f"{exc.strerror or exc}: point --db or BOT_DATA_DIR at a folder "
                           "the bot's user may write") from None
        return
    if not create:
        return
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(version)}")     # a write, changing nothing
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "readonly" in str(exc) or "read-only" in str(exc):
            raise CliError(f"the database {path.resolve()} is read-only: give the bot's user "
                           "write access to the file and its folder") from None
        if "locked" not in str(exc):
            raise CliError(f"the database {path.resolve()} cannot be opened: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise CliError(f"{path.resolve()} is not an SQLite database ({exc})") from None


def load_parts(settings):
    """Plugins and rulebook, validated; jieba loaded. Once per process."""
    from qungui.app import load_parts as load
    from qungui.core.rulebook import RulebookError

    try:
        return load(settings.rulebook)
    except RulebookError as exc:
        raise CliError(f"rulebook error: {exc}") from None


async def open_repo(settings, *, create: bool = True, migrate: bool = True):
    """The repository. ``create=False`` (log, stats, rooms, web): a database
    that does not exist is an error, never created empty. ``migrate=False``:
    another process brought the schema up to date (``audit --workers``)."""
    from qungui.storage.repository import Repository, StorageUnavailable

    if create:
        ensure_data_dir(settings)
    path = sqlite_file(settings.database_url)
    if path is not None:
        _check_sqlite(path, create=create)
    try:
        return await Repository.open(settings.database_url, spool_path=settings.spool,
                                     migrate=migrate)
    except StorageUnavailable as exc:
        why = await _postgres_problem(settings.database_url)
        raise CliError(why or str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot open the database or its spool: {exc.strerror or exc} "
                       f"({getattr(exc, 'filename', '') or safe(settings.database_url)})") from None


async def _postgres_problem(url: str) -> str | None:
    """Why a PostgreSQL server refused us, when it did say: no such database,
    no such role, wrong password."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if not u.drivername.startswith(("postgresql", "postgres")):
        return None
    try:
        import asyncpg
        conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432,
                                     user=u.username, password=u.password, database=u.database,
                                     timeout=5)
        await conn.close()
        return None
    except Exception as exc:  # noqa: BLE001
        state = getattr(exc, "sqlstate", None)
    where = f"on the PostgreSQL server {u.host or '127.0.0.1'}:{u.port or 5432}"
    if state == "3D000":
        return (f"the database {u.database!r} does not exist {where}: create it "
                f"(createdb -O {u.username or 'ROLE'} {u.database}) or fix the URL")
    if state == "28000":
        return (f"the role {u.username!r} does not exist {where}: create it "
                f"(createuser {u.username}) or fix the user in the URL")
    if state == "28P01":
        return f"the password for the role {u.username!r} was refused {where}"
    return None


async def open_moderator(settings, *, durable: bool = False, migrate: bool = True):
    from qungui.app import build_moderator

    plugins, rulebook = load_parts(settings)
    repo = await open_repo(settings, migrate=migrate)
    moderator = build_moderator(repo, rulebook, plugins, bot_id=settings.bot_id,
                                operators=settings.operators,
                                message_retention_days=settings.message_retention_days,
                                durable=durable)
    await moderator.start()
    return moderator


def prog() -> str:
    """How the user ran the bot, for the commands it suggests: ``qungui`` when
    installed, ``python bot.py`` from a checkout."""
    import sys
    return "python bot.py" if Path(sys.argv[0]).name == "bot.py" else "qungui"


def safe(url: str) -> str:
    from qungui.storage.repository import safe_url
    return safe_url(url)


def relative(path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def table(out, header: list[str], rows: list[list[str]]) -> None:
    """A plain-text table that lines up Chinese (double-width) text."""
    widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths)).rstrip() + "\n"

    out.write(line(header))
    out.write("  ".join("─" * w for w in widths) + "\n")
    for r in rows:
        out.write(line(r))
