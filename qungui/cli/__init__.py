"""The command line. Each command is one module in this package that
registers itself with ``@command``; ``main`` builds the parser, reads the
settings, sets up logging and runs the chosen command. ``main`` is the
``qungui`` console script and what ``python bot.py`` calls."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Awaitable, Callable

# the order commands are listed in --help; others follow alphabetically
ORDER = ("demo", "chat", "audit", "log", "stats", "web", "rooms", "run", "migrate")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], Awaitable[int]]


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, description: str):
    """Register ``run`` (an async function of the parsed args) with its
    ``configure`` function attached as ``run.configure``."""

    def wrap(run):
        configure = getattr(run, "configure", lambda p: None)
        COMMANDS[name] = Command(name, help, description, configure, run)
        return run

    return wrap


def arguments(configure):
    """Decorator order helper: ``@command(...)`` over ``@arguments(fn)``."""

    def wrap(run):
        run.configure = configure
        return run

    return wrap


def load_commands() -> dict[str, Command]:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name != "common":
            importlib.import_module(f"{__name__}.{info.name}")
    return COMMANDS


class Parser(argparse.ArgumentParser):
    """A usage error is one line saying what is wrong and where to look; exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def log_level(value: str) -> str:
    from qungui.config import LOG_LEVELS
    if value.strip().upper() not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(LOG_LEVELS)} (got {value!r})")
    return value.strip().upper()


def global_options(p: argparse.ArgumentParser, *, on_command: bool) -> None:
    """--config, --log-level and --db, accepted before or after the command:
    the command's copy has no default, so it only overrides when given."""
    kw = {"default": argparse.SUPPRESS} if on_command else {"default": None}
    p.add_argument("--config", help="TOML settings file (default: BOT_CONFIG, else ./bot.toml "
                                    "if present)", **kw)
    p.add_argument("--log-level", type=log_level, metavar="LEVEL",
                   help="DEBUG, INFO, WARNING, ERROR or CRITICAL (default: log_level of the "
                        "settings, WARNING)", **kw)
    p.add_argument("--db", metavar="URL",
                   help="SQLAlchemy database URL, SQLite or PostgreSQL (default: BOT_DATABASE_URL, "
                        "else bot.sqlite3 in the data folder BOT_DATA_DIR, ./data)", **kw)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = Parser(prog=prog, description="群规助手：微信工作群的群规管理机器人")
    global_options(p, on_command=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = load_commands()
    names = [n for n in ORDER if n in commands] + sorted(set(commands) - set(ORDER))
    for name in names:
        cmd = commands[name]
        sp = sub.add_parser(name, help=cmd.help, description=cmd.description)
        global_options(sp, on_command=True)
        cmd.configure(sp)
        sp.set_defaults(func=cmd.run)
    return p


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run one command; the exit status: 0, 2 for bad input or settings, 130
    on Ctrl+C, 1 for an unexpected error (logged, secrets masked)."""
    import asyncio
    import logging
    import os
    import sys

    from qungui.cli import _logs
    from qungui.cli.common import CliError, load_settings_for

    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as exc:          # --help, or a usage error already printed
        return int(exc.code or 0)
    try:
        settings = load_settings_for(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _logs.install(args.log_level or settings.log_level, settings.secrets())
    args.settings = settings
    try:
        return asyncio.run(args.func(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (``qungui log | head``): stop quietly, and keep
        # the interpreter's last flush of standard output from complaining
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0
    except Exception:  # noqa: BLE001 - one line for the user, the traceback masked in the log
        logging.getLogger("bot").exception("the command failed")
        print("error: the command failed unexpectedly (the log above has the details)",
              file=sys.stderr)
        return 1
