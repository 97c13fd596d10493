"""``bot.py log``: the incident log, filtered, as a table, CSV or JSON lines;
``--export-labelled`` writes the reviewed incidents as labelled examples for
the next training run (the corpus format of ``pipeline.evaluation``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from qungui.cli import arguments, command
from qungui.cli.common import CliError, add_db, open_repo, settings_from, table
from qungui.review.labels import ACTION_CN, DELIVERY_CN, OUTGOING_CN, STATUS_CN


def when(end: bool):
    def parse(value: str):
        from qungui.review.when import WhenError, parse_when
        try:
            return parse_when(value, end=end)
        except WhenError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def add_filters(sp) -> None:
    """The filters ``log`` and ``stats`` share (the web page has the same)."""
    sp.add_argument("--room", help="room id")
    sp.add_argument("--rule", help="rule id, e.g. classified")
    sp.add_argument("--member", "--sender", dest="member",
                    help="sender contact id, or part of the sender's name")
    sp.add_argument("--status", choices=("open", "confirmed", "dismissed"), help="review status")
    sp.add_argument("--since", type=when(False), help="7d, 12h, or an ISO date such as 2026-11-20")
    sp.add_argument("--until", type=when(True),
                    help="end of the range (exclusive); a bare date includes that day")
    sp.add_argument("--search", "-q", dest="search", help="text in evidence, reason, excerpt or names")
    add_db(sp)


def check_rule(rule: str | None) -> None:
    """--rule names a rule the bot has; a typo gets the nearest names."""
    import difflib

    from qungui.app import rule_titles

    if not rule:
        return
    known = sorted(rule_titles())
    if rule not in known:
        close = difflib.get_close_matches(rule, known, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(known)}"
        raise CliError(f"--rule: unknown rule {rule!r}; {hint}")


def incident_filter(args):
    from qungui.storage.review import IncidentFilter
    check_rule(args.rule)
    return IncidentFilter(room=args.room, rule=args.rule, member=args.member, status=args.status,
                          since=args.since, until=args.until, text=args.search)


def configure(sp):
    add_filters(sp)
    sp.add_argument("--limit", type=int, default=50, help="at most this many (default 50; 0 = all)")
    sp.add_argument("--outbox", nargs="?", const="waiting", choices=("waiting", "all"),
                    help="list the outbox instead: what waits to be sent and what did not go out "
                         "(expired, failed, unknown); 'all' includes what was sent")
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table",
                    help="table (default), csv (for Excel: UTF-8 with a byte order mark, "
                         "China time, Chinese labels), or json (one object per line)")
    sp.add_argument("--export-labelled", metavar="FILE",
                    help="write the confirmed and dismissed incidents (the filters apply, not "
                         "--limit) to FILE ('-': standard output) as labelled corpus lines, one "
                         "per message: confirmed -> labels [rule], dismissed -> labels [], "
                         "judged [rule]; messages a secret rule flagged are skipped and counted")


async def export_csv(store, args) -> int:
    """The review page's CSV for Excel (byte order mark, Chinese values, China
    time, group and member names), streamed in chunks: the newest ``--limit``."""
    from qungui.app import rule_titles
    from qungui.review.export import write_csv

    left = args.limit if args.limit > 0 else None
    titles = rule_titles()
    write_csv(sys.stdout, [], excel=True)
    async with contextlib.aclosing(store.export_chunks(incident_filter(args), 1000)) as chunks:
        async for rows, names in chunks:
            if left is not None:
                rows, left = rows[:left], left - len(rows[:left])
            write_csv(sys.stdout, rows, header=False, names=names, titles=titles)
            if left == 0:
                break
    return 0


@command("log", "list recorded incidents",
         "List incidents from the database, newest first, filtered; export as CSV or JSON lines.")
@arguments(configure)
async def run(args) -> int:
    if args.export_labelled:
        return await export_labelled(args)
    if args.outbox:
        return await list_outbox(args)
    from qungui.core.events import CHINA_TZ
    from qungui.review.export import incident_dict
    from qungui.storage.review import ReviewStore

    repo = await open_repo(settings_from(args), create=False)
    try:
        if args.format == "csv":
            return await export_csv(ReviewStore(repo), args)
        rows, total = await ReviewStore(repo).incidents(
            incident_filter(args), limit=args.limit if args.limit > 0 else 2**31 - 1)
    finally:
        await repo.close()
    if args.format == "json":
        for r in rows:
            sys.stdout.write(json.dumps(incident_dict(r), ensure_ascii=False) + "\n")
        return 0
    if not rows:
        print("没有符合条件的记录。")
        return 0
    table(sys.stdout, ["编号", "时间", "群", "发送人", "规则", "分数", "处置", "投递", "状态", "证据"],
          [[str(r.id), r.ts.astimezone(CHINA_TZ).strftime("%m-%d %H:%M"), r.room_id[:16],
            one_line(r.sender_name or r.sender_id, 16), r.rule or "", f"{r.score:.2f}",
            ACTION_CN.get(r.action, r.action), delivered(r.delivery, r.delivered_at),
            STATUS_CN.get(r.status, r.status), one_line(r.evidence, 30)]
           for r in rows])
    if total > len(rows):
        print(f"共 {total} 条，显示最新 {len(rows)} 条（--limit 0 显示全部）。")
    return 0


def delivered(status: str, at) -> str:
    """What became of a warning: 已发送 11-20 09:01, 待发送, 超时未发 …"""
    from qungui.core.events import CHINA_TZ
    label = DELIVERY_CN.get(status or "", status or "")
    return f"{label} {at.astimezone(CHINA_TZ).strftime('%m-%d %H:%M:%S')}" if at else label


async def list_outbox(args) -> int:
    """``bot.py log --outbox``: the outbox rows, newest first."""
    from qungui.core.events import CHINA_TZ
    from qungui.storage.outbox import EXPIRED, FAILED, PENDING, SENDING, UNKNOWN

    statuses = () if args.outbox == "all" else (PENDING, SENDING, EXPIRED, FAILED, UNKNOWN)
    repo = await open_repo(settings_from(args), create=False)
    try:
        rows = await repo.outbox.rows(statuses=statuses,
                                      limit=args.limit if args.limit > 0 else 2**31 - 1)
        counts = await repo.outbox.counts()
    finally:
        await repo.close()
    if args.room:
        rows = [r for r in rows if r.room_id == args.room]
    if args.format == "json":
        for r in rows:
            sys.stdout.write(json.dumps({
                "id": r.id, "account": r.account, "conversation": r.conversation,
                "room_id": r.room_id, "kind": r.kind, "status": r.status, "text": r.text,
                "mention_ids": r.mention_ids, "attempts": r.attempts, "last_error": r.last_error,
                "incident_ids": r.incident_ids or ([r.incident_id] if r.incident_id else []),
                "created_at": r.created_at.isoformat(),
                "sent_at": r.sent_at.isoformat() if r.sent_at else None},
                ensure_ascii=False) + "\n")
        return 0
    print(f"待发送 {counts.pending + counts.sending} 条，已发送 {counts.sent} 条，超时未发 "
          f"{counts.expired} 条，发送失败 {counts.failed} 条，结果不明 {counts.unknown} 条。")
    if not rows:
        return 0
    stamp = lambda t: t.astimezone(CHINA_TZ).strftime("%m-%d %H:%M:%S") if t else ""  # noqa: E731
    table(sys.stdout, ["编号", "账号", "会话", "类型", "状态", "尝试", "创建", "发出", "事件", "内容"],
          [[str(r.id), r.account[:14], r.conversation[:16], OUTGOING_CN.get(r.kind, r.kind),
            DELIVERY_CN.get(r.status, r.status), str(r.attempts), stamp(r.created_at),
            stamp(r.sent_at), ",".join(map(str, r.incident_ids or
                                           ([r.incident_id] if r.incident_id else []))),
            one_line(r.text, 24)] for r in rows])
    return 0


def one_line(text: str, limit: int) -> str:
    # control characters in chat text must not move the terminal's cursor
    flat = "".join(c if c.isprintable() else " " for c in text)
    return flat[:limit] + ("…" if len(flat) > limit else "")


async def export_labelled(args) -> int:
    from pathlib import Path

    from qungui.app import rule_specs
    from qungui.review.export import labelled_examples
    from qungui.storage.review import ReviewStore

    if args.status == "open":
        raise CliError("--export-labelled takes reviewed incidents: --status confirmed or dismissed")
    target = args.export_labelled
    if target != "-" and Path(target).parent and not Path(target).parent.is_dir():
        raise CliError(f"{target}: no such folder")
    repo = await open_repo(settings_from(args), create=False)
    try:
        messages = await ReviewStore(repo).judged_messages(incident_filter(args))
    finally:
        await repo.close()
    export = labelled_examples(messages, rule_specs())
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in export.lines)
    if target == "-":
        sys.stdout.write(body)
    else:
        Path(target).write_text(body, encoding="utf-8")
    skipped = []
    if export.secret:
        skipped.append(f"涉密规则的事件 {export.secret} 条（不导出文字）")
    if export.not_content:
        skipped.append(f"不按消息文字判断的规则（刷屏、昵称等）的事件 {export.not_content} 条")
    print(f"已导出 {len(export.lines)} 条消息（确认 {export.confirmed} 条事件，撤销 "
          f"{export.dismissed} 条）" + ("；跳过" + "、".join(skipped) if skipped else "") + "。",
          file=sys.stderr)
    return 0
