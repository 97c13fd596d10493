"""``bot.py chat``: an interactive console work group."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from cli import arguments, command
from cli.common import DEMO_EVENTS, CliError, add_rulebook_and_db, open_moderator, settings_from


@command("chat", "an interactive console group (/as NAME switches speaker)",
         "Type as a member of a console work group; the owner's commands work and the bot "
         "answers as in WeChat.")
@arguments(add_rulebook_and_db)
async def run(args) -> int:
    from channels.base import deliver
    from channels.console import ConsoleChannel
    from channels.replay import read_events
    from core.events import Member, Message, RoomSnapshot

    settings = settings_from(args)
    snapshot = next((e for _, e in read_events(DEMO_EVENTS) if isinstance(e, RoomSnapshot)), None)
    if snapshot is None:
        raise CliError(f"{DEMO_EVENTS}: no room line to start the chat from")
    moderator = await open_moderator(settings)
    channel = ConsoleChannel(moderator)
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
