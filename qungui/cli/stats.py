"""``bot.py stats``: incident counts per rule, per room and per day."""

from __future__ import annotations

import json
import sys

from qungui.cli import arguments, command
from qungui.cli.common import open_repo, settings_from, table
from qungui.cli.log import one_line, add_filters, incident_filter
from qungui.review.labels import STATUS_CN


def configure(sp):
    add_filters(sp)
    sp.add_argument("--days", type=int, default=14, help="days in the per-day count (default 14)")
    sp.add_argument("--format", choices=("table", "json"), default="table")


@command("stats", "count incidents per rule, room and day",
         "Count incidents (one per rule that fired on a message) per rule, per room and per "
         "day (China time), with the same filters as log.")
@arguments(configure)
async def run(args) -> int:
    from qungui.app import rule_titles
    from qungui.storage.review import ReviewStore

    repo = await open_repo(settings_from(args), create=False)
    try:
        ov = await ReviewStore(repo).overview(incident_filter(args), days=max(1, args.days))
    finally:
        await repo.close()
    if args.format == "json":
        json.dump({"total": ov.total, "by_status": ov.by_status,
                   "by_rule": dict(ov.by_rule), "by_room": {r: n for r, _, n in ov.by_room},
                   "by_day": dict(ov.by_day)}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not ov.total:
        print("没有符合条件的记录。")
        return 0
    titles = rule_titles()
    out = sys.stdout
    out.write(f"共 {ov.total} 条：" + "，".join(
        f"{STATUS_CN.get(s, s)} {n}" for s, n in sorted(ov.by_status.items())) + "\n\n按规则\n")
    table(out, ["规则", "名称", "条数"], [[r, titles.get(r, ""), str(n)] for r, n in ov.by_rule])
    out.write("\n按群\n")
    table(out, ["群", "群名称", "条数"], [[r, one_line(t, 20), str(n)] for r, t, n in ov.by_room])
    out.write(f"\n按日（最近 {len(ov.by_day)} 天，北京时间）\n")
    peak = max((n for _, n in ov.by_day), default=0) or 1
    table(out, ["日期", "条数", ""], [[d, str(n), "█" * round(20 * n / peak)] for d, n in ov.by_day])
    return 0
