#!/usr/bin/env python3
"""群规助手 — the moderation bot for WeChat work groups.

Commands: demo, chat, audit, log, run, migrate. ``python bot.py CMD --help``
explains each one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DEMO_EVENTS = ROOT / "rules" / "samples" / "demo.jsonl"

log = logging.getLogger("bot")


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit code 2."""


# --- building the parts -----------------------------------------------------


def load_parts(settings):
    """Plugins, rulebook and matcher: loaded once per process."""
    from core import nlp
    from core.plugin import load_plugins
    from core.rulebook import RulebookError, load_rulebook

    plugins = load_plugins()
    try:
        rulebook = load_rulebook(settings.rulebook, set(plugins),
                                 {n: p.defaults for n, p in plugins.items()})
    except RulebookError as exc:
        raise CliError(f"rulebook error: {exc}") from None
    nlp.init()
    return plugins, rulebook


async def open_moderator(settings, database_url: str | None = None):
    from core.engine import Moderator
    from storage.repository import Repository, StorageUnavailable

    plugins, rulebook = load_parts(settings)
    try:
        repo = await Repository.open(database_url or settings.database_url)
    except StorageUnavailable as exc:
        raise CliError(str(exc)) from None
    moderator = Moderator(repo, rulebook, plugins, bot_id=settings.bot_id,
                          operators=settings.operators)
    await moderator.start()
    return moderator


def settings_from(args):
    from core.config import ConfigError, load_settings

    try:
        settings = load_settings(getattr(args, "config", None))
    except ConfigError as exc:
        raise CliError(f"config error: {exc}") from None
    if getattr(args, "rulebook", None):
        settings.rulebook = Path(args.rulebook)
    if getattr(args, "db", None):
        settings.database_url = args.db
    return settings


# --- demo -----------------------------------------------------------------------


async def cmd_demo(args) -> int:
    from channels.base import deliver
    from channels.console import ConsoleChannel
    from channels.replay import LineError, read_events
    from core.events import Message

    settings = settings_from(args)
    moderator = await open_moderator(settings)
    out = sys.stdout
    channel = ConsoleChannel(moderator, out)
    counts: dict[str, int] = {}
    duplicates = 0
    try:
        for lineno, event in read_events(args.events):
            if isinstance(event, LineError):
                print(f"{args.events}: {event}", file=sys.stderr)
                continue
            channel.show(event)
            outcome = await deliver(moderator, channel, event)
            if outcome.action == "duplicate":
                duplicates += 1
                out.write("    （此消息已处理并记录过，不再重复提醒）\n")
            if isinstance(event, Message) or outcome.kind == "join":
                counts[outcome.action] = counts.get(outcome.action, 0) + 1
        rows = await moderator.repo.summary()
        out.write("\n══ 事件记录汇总（数据库：%s）══\n" % _safe(settings.database_url))
        _table(out, ["规则", "名称", "处置", "条数"],
               [[rule or "-", moderator.plugins[rule].title if rule in moderator.plugins else "",
                 _ACTION_CN.get(action, action), str(n)] for rule, action, n in rows])
        total = sum(n for _, _, n in rows)
        out.write(f"共 {total} 条记录。本次处理：" + "，".join(
            f"{_ACTION_CN.get(k, k)} {v}" for k, v in sorted(counts.items())) + "\n")
        if duplicates:
            out.write(f"其中 {duplicates} 条消息此前已处理，未重复记录或提醒（幂等）。"
                      "如需从头演示，可删除数据库文件或用 --db 指定新库。\n")
        out.write("查看记录：python bot.py log    逐条审计：python bot.py audit "
                  f"{_rel(args.events)}\n")
    finally:
        await moderator.repo.close()
    return 0


_ACTION_CN = {"warn": "群内提醒", "private": "私聊提醒", "review": "仅记录", "exempt": "豁免（群主/管理员）",
              "none": "无违规", "duplicate": "重复投递", "log": "仅记录（不重复提醒）", "reply": "指令回复",
              "refused": "指令拒绝", "unknown": "未知指令", "ignored": "忽略", "error": "出错"}


def _rel(path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _safe(url: str) -> str:
    from storage.repository import safe_url
    return safe_url(url)


def _width(s: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _table(out, header: list[str], rows: list[list[str]]) -> None:
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip() + "\n"

    out.write(line(header))
    out.write("  ".join("─" * w for w in widths) + "\n")
    for r in rows:
        out.write(line(r))


# --- audit ------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.done = max(total, 1), enabled, 0

    def step(self, lineno: int) -> None:
        if self.enabled and (lineno % 200 == 0 or lineno == self.total):
            filled = int(30 * lineno / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {lineno}/{self.total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


async def cmd_audit(args) -> int:
    from channels.replay import LineError, count_lines, read_events
    from core.events import Message

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{args.file}: no such file")
    settings = settings_from(args)
    tmp = None
    if not args.store:
        tmp = tempfile.TemporaryDirectory(prefix="bot-audit-")
        settings.database_url = f"sqlite+aiosqlite:///{tmp.name}/audit.sqlite3"
    moderator = await open_moderator(settings)
    progress = Progress(count_lines(path) if sys.stderr.isatty() else 0, sys.stderr.isatty())
    errors = 0
    table_rows = []
    try:
        for lineno, event in read_events(path):
            progress.step(lineno)
            if isinstance(event, LineError):
                errors += 1
                print(f"{path}: {event}", file=sys.stderr)
                continue
            outcome = await moderator.handle(event)
            if not isinstance(event, Message):
                continue
            action = "command" if outcome.kind == "command" else outcome.action
            if args.format == "jsonl":
                sys.stdout.write(json.dumps({
                    "id": event.id, "room_id": event.room_id, "sender_id": event.sender_id,
                    "findings": [f.as_dict() for f in outcome.findings], "action": action,
                }, ensure_ascii=False) + "\n")
            else:
                top = max(outcome.findings, key=lambda f: f.score, default=None)
                table_rows.append([event.id, event.sender_name or event.sender_id,
                                   top.rule if top else "", f"{top.score:.2f}" if top else "",
                                   _ACTION_CN.get(action, action),
                                   (top.evidence if top else "")[:30]])
    finally:
        progress.close()
        await moderator.repo.close()
        if tmp:
            tmp.cleanup()
    if args.format == "table":
        _table(sys.stdout, ["消息", "发送人", "规则", "分数", "处置", "证据"], table_rows)
    if errors:
        print(f"{errors} malformed line(s) skipped", file=sys.stderr)
    return 0


# --- log ----------------------------------------------------------------------------


def parse_since(value: str) -> datetime:
    """'7d', '12h', '30m' ago, or an ISO date/time."""
    value = value.strip()
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if value[:-1].isdigit() and value[-1:] in units:
        return datetime.now(timezone.utc) - timedelta(**{units[value[-1]]: int(value[:-1])})
    from core.events import EventError, parse_ts
    try:
        return parse_ts(value, "since")
    except EventError:
        raise argparse.ArgumentTypeError(f"not a time or duration: {value!r} (try 7d, 12h or 2026-11-20)")


async def cmd_log(args) -> int:
    from core.events import CHINA_TZ

    settings = settings_from(args)
    from storage.repository import Repository, StorageUnavailable
    try:
        repo = await Repository.open(settings.database_url)
    except StorageUnavailable as exc:
        raise CliError(str(exc)) from None
    try:
        rows = await repo.incidents(room_id=args.room, rule=args.rule, sender_id=args.sender,
                                    since=args.since, limit=args.limit)
    finally:
        await repo.close()
    if args.format == "json":
        for r in rows:
            sys.stdout.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")
        return 0
    if not rows:
        print("没有符合条件的记录。")
        return 0
    _table(sys.stdout, ["编号", "时间", "群", "发送人", "规则", "分数", "处置", "状态", "证据"],
           [[str(r.id), r.ts.astimezone(CHINA_TZ).strftime("%m-%d %H:%M"), r.room_id[:16],
             r.sender_name or r.sender_id, r.rule or "", f"{r.score:.2f}",
             _ACTION_CN.get(r.action, r.action), r.status, r.evidence[:30].replace("\n", " ")]
            for r in rows])
    return 0


# --- chat ---------------------------------------------------------------------------


async def cmd_chat(args) -> int:
    from channels.base import deliver
    from channels.console import ConsoleChannel
    from channels.replay import read_events
    from core.events import Member, Message, RoomSnapshot

    settings = settings_from(args)
    moderator = await open_moderator(settings)
    channel = ConsoleChannel(moderator)
    snapshot = next((e for _, e in read_events(DEMO_EVENTS) if isinstance(e, RoomSnapshot)), None)
    if snapshot is None:
        raise CliError(f"{DEMO_EVENTS}: no room line to start the chat from")
    room = snapshot.room
    await moderator.handle(snapshot)
    speaker = next((m for m in room.members.values() if m.id != room.owner_id), room.owner)
    print(f"控制台群聊「{room.topic}」。输入消息后回车发送；/as 姓名 切换发言人；"
          f"/who 查看成员；/quit 退出。群主是 {room.owner.display if room.owner else '未知'}。")
    session = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    n = 0
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, f"{speaker.display}> ")
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if line in ("/quit", "/exit", "/退出"):
                break
            if line == "/who":
                for m in room.members.values():
                    print(f"  {m.display}" + ("（群主）" if m.id == room.owner_id else ""))
                continue
            if line.startswith("/as "):
                wanted = line[4:].strip()
                found = next((m for m in room.members.values()
                              if wanted in (m.name, m.alias, m.id)), None)
                if found is None:
                    found = Member(f"chat-{len(room.members) + 1}", wanted, wanted)
                    room.members[found.id] = found
                    print(f"  （新成员 {wanted} 加入了群聊）")
                speaker = found
                continue
            n += 1
            msg = Message(id=f"chat-{session}-{n}", room_id=room.id, sender_id=speaker.id,
                          sender_name=speaker.name, ts=datetime.now(timezone.utc), text=line)
            await deliver(moderator, channel, msg)
    finally:
        await moderator.repo.close()
    return 0


# --- run / migrate --------------------------------------------------------------


async def cmd_run(args) -> int:
    settings = settings_from(args)
    missing = [name for name, value in (("WECHATY_PUPPET_SERVICE_TOKEN", settings.puppet_token),)
               if not value]
    if missing:
        raise CliError(
            "cannot start the WeChat channel: set " + " and ".join(missing) +
            " (and WECHATY_PUPPET_SERVICE_ENDPOINT if your puppet service has no discovery) "
            "in the environment. To try the bot without WeChat: python bot.py demo")
    try:
        from channels import wechaty as wechaty_channel
    except ImportError as exc:
        raise CliError(f"the WeChat channel is not available: {exc}") from None
    logging.getLogger().info("starting with %s", settings.describe())
    moderator = await open_moderator(settings)
    try:
        return await wechaty_channel.run(moderator, settings)
    finally:
        await moderator.repo.close()


async def cmd_migrate(args) -> int:
    from storage.repository import Repository, StorageUnavailable

    settings = settings_from(args)
    try:
        repo = await Repository.open(settings.database_url)
    except StorageUnavailable as exc:
        raise CliError(str(exc)) from None
    await repo.close()
    print(f"database is at the latest schema: {_safe(settings.database_url)}")
    return 0


# --- argument parsing -------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bot.py", description="群规助手：微信工作群的群规管理机器人")
    p.add_argument("--config", help="TOML config file (default: ./bot.toml if present)")
    p.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp, db=True):
        sp.add_argument("--rulebook", help="rulebook YAML (default rules/default.yaml)")
        if db:
            sp.add_argument("--db", help="SQLAlchemy database URL (default: BOT_DATABASE_URL or "
                                         "sqlite:///data/bot.sqlite3)")

    sp = sub.add_parser("demo", help="replay the bundled sample work group through the real engine",
                        description="Replay a sample work-group conversation through the engine "
                                    "with a console channel, storing incidents in the database.")
    common(sp)
    sp.add_argument("--events", default=str(DEMO_EVENTS), help="events file to replay")
    sp.set_defaults(func=cmd_demo)

    sp = sub.add_parser("chat", help="an interactive console group (/as NAME switches speaker)",
                        description="Type as a member of a console work group; the owner's "
                                    "commands work and the bot answers as in WeChat.")
    common(sp)
    sp.set_defaults(func=cmd_chat)

    sp = sub.add_parser("audit", help="check an events file, one JSON line per message",
                        description="Run every event of a JSONL events file through the engine "
                                    "and print one result per message event, in input order. "
                                    "Malformed lines are reported on stderr by line number.")
    sp.add_argument("file", help="events file (JSONL)")
    sp.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    sp.add_argument("--store", action="store_true",
                    help="keep the incidents in the configured database (default: a scratch one)")
    common(sp)
    sp.set_defaults(func=cmd_audit)

    sp = sub.add_parser("log", help="list recorded incidents",
                        description="List incidents from the database, newest first.")
    sp.add_argument("--room", help="room id")
    sp.add_argument("--rule", help="rule id, e.g. classified")
    sp.add_argument("--sender", help="sender contact id")
    sp.add_argument("--since", type=parse_since, help="7d, 12h, or an ISO date such as 2026-11-20")
    sp.add_argument("--limit", type=int, default=50)
    sp.add_argument("--format", choices=("table", "json"), default="table")
    sp.add_argument("--db", help="SQLAlchemy database URL")
    sp.set_defaults(func=cmd_log)

    sp = sub.add_parser("run", help="the live bot on WeChat (needs the puppet service settings)",
                        description="Connect to WeChat through the wechaty puppet service. "
                                    "Needs WECHATY_PUPPET_SERVICE_TOKEN in the environment.")
    common(sp)
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("migrate", help="bring the database schema up to date",
                        description="Apply the Alembic migrations to the configured database.")
    sp.add_argument("--db", help="SQLAlchemy database URL")
    sp.set_defaults(func=cmd_migrate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return asyncio.run(args.func(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
