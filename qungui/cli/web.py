"""``bot.py web``: the review page, and its reviewer accounts.

The password for ``--set-password`` comes from ``BOT_WEB_PASSWORD``, else
from a prompt (asked twice) on a terminal, else from the first line of
standard input. It is never echoed, logged or stored in plain text.
"""

from __future__ import annotations

import getpass
import os
import sys

from qungui.cli import arguments, command
from qungui.cli.common import CliError, add_db, open_repo, safe, settings_from

PASSWORD_ENV = "BOT_WEB_PASSWORD"


def configure(sp):
    sp.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only)")
    sp.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    sp.add_argument("--secure-cookies", action="store_true",
                    help="mark cookies Secure (when served over HTTPS behind a proxy)")
    accounts = sp.add_argument_group("reviewer accounts")
    accounts.add_argument("--set-password", action="store_true",
                          help=f"create a reviewer or change its password (from {PASSWORD_ENV}, "
                               "a prompt, or standard input), then exit")
    accounts.add_argument("--user", default="admin", help="reviewer name (default admin)")
    accounts.add_argument("--room", action="append", dest="rooms", metavar="ROOM_ID",
                          help="with --set-password: limit the reviewer to this room "
                               "(repeatable; default: every room)")
    accounts.add_argument("--delete-user", action="store_true", help="remove the reviewer --user")
    accounts.add_argument("--list-users", action="store_true", help="list reviewers and their rooms")
    add_db(sp)


def read_password() -> str:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        first = getpass.getpass("新密码：")
        if getpass.getpass("再输入一次：") != first:
            raise CliError("the two passwords differ; nothing was changed")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@command("web", "serve the incident review page",
         "Serve the review web page (sign-in, incident list and detail, review actions, "
         "overview, CSV export, JSON API under /api/). Set a reviewer's password first "
         "with --set-password.")
@arguments(configure)
async def run(args) -> int:
    settings = settings_from(args)
    if args.set_password or args.delete_user or args.list_users:
        return await manage_accounts(args, settings)
    return await serve(args, settings)


async def manage_accounts(args, settings) -> int:
    from qungui.storage.accounts import ALL_ROOMS, AccountStore
    from qungui.web.auth import PasswordError, hash_password

    user = args.user.strip()
    if not user or len(user) > 100:
        raise CliError("--user must be 1 to 100 characters")
    password_hash = None
    if args.set_password:
        try:
            password_hash = hash_password(read_password())
        except PasswordError as exc:
            raise CliError(str(exc)) from None
    repo = await open_repo(settings)
    try:
        store = AccountStore(repo)
        if args.list_users:
            for name, rooms in await store.list():
                print(f"{name}\t{'全部群' if ALL_ROOMS in rooms else '、'.join(rooms)}")
            return 0
        if args.delete_user:
            if not await store.delete(user, actor="cli"):
                raise CliError(f"no reviewer named {user!r}")
            print(f"已删除审核账号 {user}，其已登录的会话随之结束。")
            return 0
        new = await store.set_password(user, password_hash, args.rooms or [ALL_ROOMS], actor="cli")
    finally:
        await repo.close()
    scope = "、".join(args.rooms) if args.rooms else "全部群"
    ended = "" if new else "该账号已登录的会话随之结束。"
    print(f"已{'创建' if new else '更新'}审核账号 {user}（可审核：{scope}）。{ended}")
    return 0


async def serve(args, settings) -> int:
    import asyncio

    from aiohttp import web

    from qungui.app import rule_specs, rule_titles
    from qungui.storage.accounts import AccountStore
    from qungui.web import create_app

    repo = await open_repo(settings, create=False)
    try:
        if not await AccountStore(repo).list():
            print("尚无审核账号，请先运行：python bot.py web --set-password --user 名字",
                  file=sys.stderr)
        app = create_app(repo, rule_titles=rule_titles(), rule_specs=rule_specs(),
                         secure_cookies=args.secure_cookies, rulebook_path=settings.rulebook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port)
        try:
            await site.start()
        except OSError as exc:
            raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"事件审核页面：http://{host}:{args.port}/  （数据库：{safe(settings.database_url)}；"
              "Ctrl+C 停止）", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
    finally:
        await repo.close()
    return 0
