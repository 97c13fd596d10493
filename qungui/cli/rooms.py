"""``bot.py rooms``: the rooms the bot knows and each room's own settings."""

from __future__ import annotations

import json
import sys

from qungui.cli import arguments, command
from qungui.cli.common import CliError, add_rulebook_and_db, open_repo, settings_from, table


def configure(sp):
    sp.add_argument("room", nargs="?", help="one room id: its effective settings and change log")
    sp.add_argument("--changes", type=int, default=10, metavar="N",
                    help="with a room: how many audit-log rows to show (default 10)")
    sp.add_argument("--format", choices=("table", "json"), default="table")
    add_rulebook_and_db(sp)


def _rulebook(settings):
    from qungui.core.plugin import specs_of
    from qungui.plugins import load_plugins
    from qungui.core.rulebook import RulebookError, load_rulebook

    plugins = load_plugins()
    try:
        return plugins, load_rulebook(settings.rulebook, specs_of(plugins))
    except RulebookError as exc:
        raise CliError(f"rulebook error: {exc}") from None


def overrides(raw: dict) -> str:
    """The room's own settings in one line, e.g. ``ads.enabled=否 quiet=是 allow=2项``."""
    from qungui.commands.replies import value_text
    return " ".join(f"{k}={value_text(v)}" for k, v in sorted(raw.items())) or "（全部按规则集默认）"


@command("rooms", "list rooms and their settings",
         "List every room with its owner, members and the settings its owner changed; "
         "with a room id, that room's effective settings and its audit log.")
@arguments(configure)
async def run(args) -> int:
    from qungui.core.events import CHINA_TZ
    from qungui.core.matcher import Matcher
    from qungui.commands.replies import describe_change
    from qungui.pipeline.room_settings import RoomSettings

    settings = settings_from(args)
    plugins, rulebook = _rulebook(settings)
    repo = await open_repo(settings, create=False)
    try:
        rooms = {r.id: r for r in await repo.load_rooms()}
        raw = await repo.all_room_settings()
        changes = await repo.audit_log(args.room, limit=args.changes) if args.room else []
    finally:
        await repo.close()
    if args.room:
        if args.room not in rooms and args.room not in raw:
            raise CliError(f"no room {args.room!r} in the database (try: python bot.py rooms)")
        params = {n: dict(p.defaults) for n, p in plugins.items() if n in rulebook.rules}
        view = RoomSettings(None, rulebook, params, Matcher(()), plugins).view(args.room, raw.get(args.room, {}))
        room = rooms.get(args.room)
        names = {m.id: m.display for m in room.members.values()} if room else {}
        return _one(args, room, view, changes, names, plugins, CHINA_TZ, describe_change)
    ids = sorted(set(rooms) | set(raw))
    if args.format == "json":
        for rid in ids:
            r = rooms.get(rid)
            sys.stdout.write(json.dumps({
                "room_id": rid, "topic": r.topic if r else "", "owner_id": r.owner_id if r else None,
                "members": len(r.members) if r else 0, "settings": raw.get(rid, {})},
                ensure_ascii=False) + "\n")
        return 0
    if not ids:
        print("数据库中还没有群。")
        return 0
    table(sys.stdout, ["群", "群名", "群主", "成员", "本群设置"],
          [[rid, (rooms[rid].topic if rid in rooms else ""),
            (rooms[rid].owner.display if rid in rooms and rooms[rid].owner else
             (rooms[rid].owner_id or "") if rid in rooms else ""),
            str(len(rooms[rid].members)) if rid in rooms else "0", overrides(raw.get(rid, {}))]
           for rid in ids])
    return 0


def _one(args, room, view, changes, names, plugins, tz, describe_change) -> int:
    book = view.rulebook
    if args.format == "json":
        sys.stdout.write(json.dumps({
            "room_id": view.room_id, "topic": room.topic if room else "",
            "settings": dict(view.raw),
            "rules": {r: {"enabled": c.enabled, "action": c.action, "threshold": c.threshold,
                          "notify_owner": c.notify_owner} for r, c in book.rules.items()},
            "changes": [{"ts": c.ts.isoformat(), "actor_id": c.actor_id, "action": c.action,
                         "target": c.target, "before": c.before, "after": c.after} for c in changes],
        }, ensure_ascii=False) + "\n")
        return 0
    print(f"群 {view.room_id}" + (f"「{room.topic}」" if room and room.topic else ""))
    print(f"本群设置：{overrides(dict(view.raw))}")
    table(sys.stdout, ["规则", "名称", "状态", "处置", "阈值"],
          [[r, plugins[r].title if r in plugins else "", "启用" if c.enabled else "停用",
            c.action, f"{c.threshold:g}"] for r, c in book.rules.items()])
    if changes:
        print("变更记录（新的在前）：")
        for c in changes:
            print(f"  {describe_change(c, names)}")
    return 0
