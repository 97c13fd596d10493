"""``bot.py run`` (the live bot) and ``bot.py migrate``."""

from __future__ import annotations

import logging
import sys

from qungui.cli import arguments, command
from qungui.cli.common import (CliError, add_db, add_rulebook_and_db, ensure_data_dir,
                               open_moderator, open_repo, safe, settings_from)


@command("run", "the live bot on WeChat (needs the puppet service settings)",
         "Connect to WeChat through the wechaty puppet service. Needs "
         "WECHATY_PUPPET_SERVICE_TOKEN (and usually WECHATY_PUPPET_SERVICE_ENDPOINT, "
         "host:port) in the environment. Everything it says is kept in the database's outbox "
         "until sent; on SIGTERM it sends what is due for a few seconds and stops.")
@arguments(add_rulebook_and_db)
async def run(args) -> int:
    settings = settings_from(args)
    if not settings.puppet_token:
        raise CliError(
            "cannot start the WeChat channel: set WECHATY_PUPPET_SERVICE_TOKEN "
            "(and WECHATY_PUPPET_SERVICE_ENDPOINT if your puppet service has no discovery) "
            "in the environment. To try the bot without WeChat: python bot.py demo")
    # the live bot reports its connection and a health line at INFO, on standard
    # error and in a log file in the data folder (masked like every handler)
    from qungui.cli import _logs
    for name in ("bot", "channels"):
        if logging.getLogger(name).getEffectiveLevel() > logging.INFO:
            logging.getLogger(name).setLevel(logging.INFO)
    ensure_data_dir(settings)
    _logs.log_to_file(settings.log_dir / "bot.log")
    logging.getLogger("bot").info("starting with %s", settings.describe())
    print(f"数据目录：{settings.data_dir.resolve()}（日志：{settings.log_dir.resolve() / 'bot.log'}）",
          file=sys.stderr, flush=True)
    try:
        from qungui.channels import wechaty as wechaty_channel
    except ImportError as exc:
        raise CliError(f"the WeChat channel is not available: {exc}") from None
    from qungui.channels.health import serve_health

    moderator = await open_moderator(settings, durable=True)
    health = None
    try:
        if settings.health_port:
            try:
                health = await serve_health(moderator.directory, moderator.repo,
                                            settings.health_host, settings.health_port)
            except OSError as exc:
                raise CliError(f"cannot serve the health endpoint on {settings.health_host}:"
                               f"{settings.health_port}: {exc.strerror or exc} (set "
                               "BOT_HEALTH_PORT to a free port, or 0 for none)") from None
        # where versions before the outbox table kept unsent messages (imported once)
        return await wechaty_channel.run(moderator, moderator.directory, moderator.rulebook.sending,
                                         settings, moderator.repo.outbox, settings.data_dir)
    finally:
        if health is not None:
            await health.cleanup()
        await moderator.repo.close()


@command("migrate", "bring the database schema up to date",
         "Apply the Alembic migrations to the configured database.")
@arguments(add_db)
async def migrate(args) -> int:
    settings = settings_from(args)
    await (await open_repo(settings)).close()
    print(f"database is at the latest schema: {safe(settings.database_url)} "
          f"(data folder {settings.data_dir.resolve()})")
    return 0
