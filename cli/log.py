"""``bot.py log``: the incident log, filtered."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone

from cli import arguments, command
from cli.common import ACTION_CN, add_db, open_repo, settings_from, table


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
        raise argparse.ArgumentTypeError(
            f"not a time or duration: {value!r} (try 7d, 12h or 2026-11-20)") from None


def configure(sp):
    sp.add_argument("--room", help="room id")
    sp.add_argument("--rule", help="rule id, e.g. classified")
    sp.add_argument("--sender", help="sender contact id")
    sp.add_argument("--since", type=parse_since, help="7d, 12h, or an ISO date such as 2026-11-20")
    sp.add_argument("--limit", type=int, default=50)
    sp.add_argument("--format", choices=("table", "json"), default="table")
    add_db(sp)


@command("log", "list recorded incidents", "List incidents from the database, newest first.")
@arguments(configure)
async def run(args) -> int:
    from core.events import CHINA_TZ

    repo = await open_repo(settings_from(args))
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
    table(sys.stdout, ["编号", "时间", "群", "发送人", "规则", "分数", "处置", "状态", "证据"],
          [[str(r.id), r.ts.astimezone(CHINA_TZ).strftime("%m-%d %H:%M"), r.room_id[:16],
            r.sender_name or r.sender_id, r.rule or "", f"{r.score:.2f}",
            ACTION_CN.get(r.action, r.action), r.status, r.evidence[:30].replace("\n", " ")]
           for r in rows])
    return 0
