"""``bot.py chat``: an interactive console work group.

The console stands in for the WeChat client: ``@名字`` in a line becomes a
mention of that member's contact id (as WeChat does), ``/dm`` sends a
private message to the bot, ``/as`` with a new name is a member joining
with that group nickname, and ``/time`` moves the console's clock so the
daily report reminder can be seen without waiting for the evening.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from qungui.cli import arguments, command
from qungui.cli.common import DEMO_EVENTS, CliError, add_rulebook_and_db, open_moderator, settings_from

_MENTION = re.compile(r"[@＠]([^\s@＠\u2005]+)")
_TIME = re.compile(r"^(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2})[:：](\d{2})$")

INTRO = ("控制台群聊「{topic}」。输入消息后回车发送；群主是 {owner}。\n"
         "  /as 姓名   切换发言人（新名字即以该群昵称入群）    /nick 新昵称  修改自己的群昵称\n"
         "  @姓名      在消息中 @ 成员（按成员身份识别，不按昵称文字）\n"
         "  /dm 内容   私聊群规助手，如 /dm /举报 ……、/dm /申诉\n"
         "  /time [YYYY-MM-DD] HH:MM  拨动时钟（到点的汇报提醒随之触发）\n"
         "  /who       查看成员        /quit  退出\n"
         "群内指令请发送 /help 查看。")


class ConsoleClock:
    """Real time, shifted by /time; what messages and duties are stamped with."""

    def __init__(self):
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def set(self, target: datetime) -> None:
        self.offset = target - datetime.now(timezone.utc)


def find_member(room, wanted: str):
    return next((m for m in room.members.values() if wanted in (m.display, m.name, m.alias, m.id)), None)


def mentions_in(room, line: str) -> tuple[str, ...]:
    """Contact ids of the members @mentioned in the line, resolved the way a
    WeChat client does it (the member picked from the list), once each."""
    ids = []
    for m in _MENTION.finditer(line):
        member = find_member(room, m.group(1))
        if member is not None and member.id not in ids:
            ids.append(member.id)
    return tuple(ids)


@command("chat", "an interactive console group (/as NAME switches speaker)",
         "Type as a member of a console work group; the owner's commands work and the bot "
         "answers as in WeChat. /dm talks to the bot privately; /time moves the clock.")
@arguments(add_rulebook_and_db)
async def run(args) -> int:
    from qungui.channels.base import deliver
    from qungui.channels.console import ConsoleChannel
    from qungui.channels.replay import read_events
    from qungui.channels.ticker import run_duties, tick_once
    from qungui.core.events import CHINA_TZ, Member, MemberJoined, Message, PrivateMessage, RoomSnapshot

    settings = settings_from(args)
    snapshot = next((e for _, e in read_events(DEMO_EVENTS) if isinstance(e, RoomSnapshot)), None)
    if snapshot is None:
        raise CliError(f"{DEMO_EVENTS}: no room line to start the chat from")
    moderator = await open_moderator(settings)
    channel = ConsoleChannel(moderator.directory)
    clock = ConsoleClock()
    room = snapshot.room
    await moderator.handle(snapshot)
    room = moderator.room(room.id)
    speaker = next((m for m in room.members.values() if m.id != room.owner_id), room.owner)
    print(INTRO.format(topic=room.topic, owner=room.owner.display if room.owner else "未知"))
    session = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    n = 0

    timer = asyncio.create_task(run_duties(moderator, channel, now=clock.now))
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
                found = find_member(room, wanted)
                if found is None:
                    found = Member(f"chat-{session}-{len(room.members) + 1}", wanted, wanted)
                    joined = MemberJoined(room.id, found, clock.now(), speaker.id)
                    channel.show(joined)
                    await deliver(moderator, channel, joined)
                speaker = found
                continue
            if line.startswith("/nick "):
                speaker = Member(speaker.id, speaker.name, line[6:].strip())
                room.members[speaker.id] = speaker
                await moderator.handle(RoomSnapshot(replace(room, members=dict(room.members))))
                room = moderator.room(room.id)
                print(f"  （{speaker.name or speaker.id} 将群昵称改为 {speaker.alias}）")
                continue
            if line.startswith("/time"):
                m = _TIME.match(line[5:].strip())
                if m:
                    day = (datetime.fromisoformat(m.group(1)).date() if m.group(1)
                           else clock.now().astimezone(CHINA_TZ).date())
                    clock.set(datetime(day.year, day.month, day.day, int(m.group(2)),
                                       int(m.group(3)), tzinfo=CHINA_TZ))
                    await tick_once(moderator, channel, clock.now())
                elif line[5:].strip():
                    print("  用法：/time [YYYY-MM-DD] HH:MM")
                print(f"  （现在是 {clock.now().astimezone(CHINA_TZ):%Y-%m-%d %H:%M}）")
                continue
            n += 1
            if line.startswith(("/dm ", "/私聊 ")):
                text = line.split(" ", 1)[1].strip()
                print(f"  （{speaker.display} → 私聊 群规助手：{text}）")
                await deliver(moderator, channel, PrivateMessage(
                    id=f"chat-{session}-{n}", sender_id=speaker.id, ts=clock.now(), text=text,
                    sender_name=speaker.name))
                continue
            msg = Message(id=f"chat-{session}-{n}", room_id=room.id, sender_id=speaker.id,
                          sender_name=speaker.name, ts=clock.now(), text=line,
                          mention_ids=mentions_in(room, line))
            await deliver(moderator, channel, msg)
    finally:
        timer.cancel()
        await moderator.repo.close()
    return 0
