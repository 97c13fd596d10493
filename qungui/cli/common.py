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
    sp.add_argument("--rulebook", help="rulebook YAML (default rules/default.yaml)")
    if db:
        add_db(sp)


def add_db(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--db", help="SQLAlchemy database URL (default: BOT_DATABASE_URL or "
                                 "sqlite:///data/bot.sqlite3)")


def settings_from(args):
    from qungui.config import ConfigError, load_settings

    try:
        settings = load_settings(getattr(args, "config", None))
    except ConfigError as exc:
        raise CliError(f"config error: {exc}") from None
    if getattr(args, "rulebook", None):
        settings.rulebook = Path(args.rulebook)
    if getattr(args, "db", None):
        settings.database_url = args.db
    return settings


def load_parts(settings):
    """Plugins and rulebook, validated; jieba loaded. Once per process."""
    from qungui.app import load_parts as load
    from qungui.core.rulebook import RulebookError

    try:
        return load(settings.rulebook)
    except RulebookError as exc:
        raise CliError(f"rulebook error: {exc}") from None


async def open_repo(settings, *, migrate: bool = True):
    from qungui.storage.repository import Repository, StorageUnavailable

    try:
        return await Repository.open(settings.database_url, spool_path=settings.spool_path,
                                     migrate=migrate)
    except StorageUnavailable as exc:
        raise CliError(str(exc)) from None


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
