"""``bot.py demo``: the sample work group through the real engine."""

from __future__ import annotations

import sys
from pathlib import Path

from qungui.cli import arguments, command
from qungui.review.labels import ACTION_CN
from qungui.cli.common import (DEMO_EVENTS, CliError, add_rulebook_and_db, open_moderator, relative,
                        prog, safe, settings_from, table)


def configure(sp):
    add_rulebook_and_db(sp)
    sp.add_argument("--events", default=str(DEMO_EVENTS), help="events file to replay "
                                                               "(default: the bundled sample)")


@command("demo", "replay the bundled sample work group through the real engine",
         "Replay a sample work-group conversation through the engine with a console "
         "channel, storing incidents in the database.")
@arguments(configure)
async def run(args) -> int:
    from qungui.channels.base import deliver
    from qungui.channels.console import ConsoleChannel
    from qungui.channels.replay import LineReport, read_events
    from qungui.core.events import Message

    settings = settings_from(args)
    if not Path(args.events).is_file():
        raise CliError(f"{args.events}: no such events file (leave out --events for the "
                       "bundled sample)")
    moderator = await open_moderator(settings)
    out = sys.stdout
    out.write(f"数据目录：{Path(settings.data_dir).resolve()}（数据库：{safe(settings.database_url)}）\n")
    channel = ConsoleChannel(moderator.directory, out)
    counts: dict[str, int] = {}
    duplicates = 0
    try:
        for _, event in read_events(args.events):
            if isinstance(event, LineReport):
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
        out.write(f"\n══ 事件记录汇总（数据库：{safe(settings.database_url)}）══\n")
        table(out, ["规则", "名称", "处置", "条数"],
              [[rule or "-", moderator.plugins[rule].title if rule in moderator.plugins else "",
                ACTION_CN.get(action, action), str(n)] for rule, action, n in rows])
        total = sum(n for _, _, n in rows)
        out.write(f"共 {total} 条记录。本次处理：" + "，".join(
            f"{ACTION_CN.get(k, k)} {v}" for k, v in sorted(counts.items())) + "\n")
        if duplicates:
            out.write(f"其中 {duplicates} 条消息此前已处理，未重复记录或提醒（幂等）。"
                      "如需从头演示，可删除数据库文件或用 --db 指定新库。\n")
        out.write(f"查看记录：{prog()} log    逐条审计：{prog()} audit {relative(args.events)}\n")
    finally:
        await moderator.repo.close()
    return 0
