"""The command line. Each command is one module in this package that
registers itself with ``@command``; ``bot.py`` only builds the parser and
runs the chosen command."""

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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bot.py", description="群规助手：微信工作群的群规管理机器人")
    p.add_argument("--config", help="TOML config file (default: ./bot.toml if present)")
    p.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = load_commands()
    names = [n for n in ORDER if n in commands] + sorted(set(commands) - set(ORDER))
    for name in names:
        cmd = commands[name]
        sp = sub.add_parser(name, help=cmd.help, description=cmd.description)
        cmd.configure(sp)
        sp.set_defaults(func=cmd.run)
    return p
