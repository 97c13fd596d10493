"""The live connection under the faults a real gateway shows: the real
python-wechaty PuppetService client, the channel and the engine, against the
loopback gateway (tests/channels/fake_service.py) that logs the account out
and in, dies and comes back, wedges, or hangs on sends.

Every interval is short here, so each test takes a few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace
from datetime import datetime

import pytest

from qungui.channels.wechaty import LinkTiming, WechatyChannel, puppet_service
from qungui.commands.replies import connection_line
from qungui.config import Settings
from qungui.core.actions import Send
from qungui.core.events import CHINA_TZ, Message, MessageType
from qungui.core.ports import ConnectionReport
from qungui.pipeline.outgoing import warnings_out
from tests.channels.conftest import MEMBERS, OWNER, ROOM
from tests.channels.fake_service import FakePuppetService
from tests.channels.fakes import serving, until

ROOM2 = "r2@chatroom"
AD = "代购面膜，原价399现价99，加微信 wxdemo2026"
SEP = "\u2005"
QUICK = LinkTiming(send=0.5, lookup=1.0, start=1.0, stop=0.5, shutdown_call=0.5, ding_every=0.3,
                   ding_timeout=0.5, offline_report=0.3, reconnect_first=0.3, reconnect_max=2.0)


@pytest.fixture
def db_url(tmp_path):
    """The connection is what is tested here: one database kind will do."""
    return f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"


@pytest.fixture
async def gateway(monkeypatch):
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TOKEN", raising=False)
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_ENDPOINT", raising=False)
    g = FakePuppetService()
    g.add_room(ROOM, "招商引资专项工作群", OWNER[0], MEMBERS)
    g.add_room(ROOM2, "项目指挥部群", OWNER[0], MEMBERS)
    await g.start()
    yield g
    await g.close()


@contextlib.asynccontextmanager
async def running(moderator, g, tmp_path, timing=QUICK, **sending):
    settings = Settings(puppet_token="puppet_test_token", puppet_endpoint=f"127.0.0.1:{g.port}")
    channel = WechatyChannel(moderator, moderator.directory, puppet_service(settings),
                             sending=replace(moderator.rulebook.sending, **sending),
                             outbox=moderator.repo.outbox, outbox_dir=tmp_path / "outbox",
                             timing=timing)
    async with serving(channel):
        yield channel


async def queue(channel, actions) -> None:
    """Warnings written to the outbox as the engine writes them, and the sender told."""
    await channel.engine.repo.deliver(warnings_out(actions, "-", hold=0.0, secret=False),
                                      account=channel.self_id)
    await channel.perform(actions)


def warned(g, member: str, room: str = ROOM) -> list[str]:
    return [text for conv, text, mentions in g.sent if conv == room and mentions == [member]]


async def test_logout_then_login_on_the_same_stream_speaks_again(live_moderator, gateway,
                                                                 tmp_path, caplog):
    caplog.set_level(logging.INFO, "qungui.channels")
    g = gateway
    async with running(live_moderator, g, tmp_path) as channel:
        g.say(ROOM, "u2", AD)
        await until(lambda: warned(g, "u2"), what="a warning before the logout")
        g.logout()
        await until(lambda: not channel.connected.is_set(), what="the logout noticed")
        report = channel.link.report()
        assert not report.connected and report.logged_out
        rooms_read = g.calls.count("RoomPayload")
        g.login()                     # the account logs in again: same stream, no reconnect
        await asyncio.wait_for(channel.connected.wait(), 5)
        g.say(ROOM, "u3", AD)
        await until(lambda: warned(g, "u3"), what="a warning after the re-login")
        assert g.streams == 1 and channel.stats.connects == 1
        assert g.calls.count("RoomPayload") > rooms_read      # the room was read anew
        assert not channel.link.report().logged_out
    assert warned(g, "u3")[0].startswith(f"@王芳-财政局-科员{SEP}温馨提醒")
    assert "the account wxid_bot logged out" in caplog.text
    assert "logged in as wxid_bot again after" in caplog.text


async def test_gateway_killed_then_back_delivers_what_waited_once(live_moderator, gateway,
                                                                  tmp_path, caplog):
    caplog.set_level(logging.INFO, "qungui.channels")
    g = gateway
    async with running(live_moderator, g, tmp_path) as channel:
        await g.kill()
        await until(lambda: not channel.connected.is_set(), what="the loss noticed")
        waiting = [Send(ROOM, f"提醒{i}", (member,)) for i, member in enumerate(("u2", "u3", "u4"))]
        await queue(channel, waiting + [Send(ROOM2, "提醒3", ("u2",))])
        await asyncio.sleep(1.0)      # down a while: reconnect attempts fail meanwhile
        report = channel.link.report()
        assert not report.connected and report.attempts >= 2 and report.waiting == 4
        assert g.sent == []
        await g.start(g.port)
        await until(lambda: len(g.sent) >= 4, what="the waiting messages delivered")
        await asyncio.sleep(0.3)
    texts = sorted(text.split(SEP)[-1] for _, text, _ in g.sent)
    assert texts == ["提醒0", "提醒1", "提醒2", "提醒3"]          # none lost, none twice
    assert "not connected to WeChat (StreamTerminatedError" in caplog.text
    assert "still not connected to WeChat after" in caplog.text
    assert "logged in as wxid_bot again after" in caplog.text


async def test_wedged_gateway_is_found_by_the_ding_and_left(live_moderator, gateway, tmp_path,
                                                            caplog):
    g = gateway
    async with running(live_moderator, g, tmp_path) as channel:
        g.wedge()                     # the stream stays open; nothing answers
        started = time.monotonic()
        await until(lambda: not channel.connected.is_set(), what="the wedge noticed")
        assert time.monotonic() - started < 3
        g.unwedge()
        await until(lambda: g.streams == 2 and channel.connected.is_set(), what="a new connection")
        g.say(ROOM, "u2", AD)
        await until(lambda: warned(g, "u2"), what="a warning after the reconnect")
    assert "GatewayUnresponsive: Ding: no answer from the puppet service" in caplog.text


async def test_hung_send_times_out_without_holding_up_other_rooms_or_shutdown(
        live_moderator, gateway, tmp_path):
    g = gateway
    g.hang_sends_to.add(ROOM)
    async with running(live_moderator, g, tmp_path, drain_seconds=1) as channel:
        g.say(ROOM, "u2", AD)
        await until(lambda: g.hung, what="a send that hangs")
        g.say(ROOM2, "u3", AD)
        await until(lambda: warned(g, "u3", ROOM2), timeout=5, what="the other room's warning")
        await until(lambda: len(g.hung) >= 2, timeout=5, what="the hung send retried")
        assert channel.connected.is_set()    # a hung send is not a lost connection
        started = time.monotonic()
        channel.stop.set()
        await asyncio.wait_for(channel.task, 10)
        took = time.monotonic() - started
    # the drain (1 s), a call cut short at shutdown (0.5 s) and the stop call (0.5 s)
    assert took < 6, took
    assert not warned(g, "u2")


async def test_a_short_session_reconnects_within_the_first_backoff_step(live_moderator, gateway,
                                                                        tmp_path, caplog):
    caplog.set_level(logging.INFO, "qungui.channels")
    g = gateway
    timing = replace(QUICK, reconnect_first=0.5, reconnect_max=30)
    async with running(live_moderator, g, tmp_path, timing) as channel:
        for n in range(2, 5):
            await asyncio.sleep(0.2)              # a session of a moment, ending cleanly
            g.end_stream()
            ended = time.monotonic()
            await until(lambda: g.streams == n and channel.connected.is_set(), what="a reconnect")
            assert time.monotonic() - ended < 2, (n, time.monotonic() - ended)
    # the backoff starts afresh after every login: 0.5 s each time, never 1 s, 2 s ...
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("reconnecting in")]
    assert waits == ["reconnecting in 0.5s"] * 3


async def test_status_tells_the_offline_state_and_how_many_wait(live_moderator, gateway, tmp_path):
    g = gateway
    async with running(live_moderator, g, tmp_path) as channel:
        g.say(ROOM, OWNER[0], "收到")            # the room (and its owner) read
        await until(lambda: live_moderator.room(ROOM).owner_id, what="the room read")
        g.logout()
        await until(lambda: not channel.connected.is_set(), what="the logout noticed")
        await queue(channel, [Send(ROOM, "提醒A", ("u2",)), Send(ROOM2, "提醒B", ("u3",))])
        await until(lambda: channel.link.report().waiting == 2, what="the waiting counted")
        # the owner's /status as the engine answers it (the reply itself must wait too)
        status = await live_moderator.handle(Message(
            id="status-offline", room_id=ROOM, sender_id=OWNER[0], ts=datetime.now(CHINA_TZ),
            type=MessageType.TEXT,
            text="/status", sender_name=OWNER[2]))
        reply = status.actions[0].text
        assert "连接状态：未连接（微信账号已退出登录，离线不到1分钟，待发2条）" in reply
        await channel.perform(status.actions)
        g.login()
        await until(lambda: len(g.sent) == 3, what="the waiting messages and the reply")
        # (another wording: the same text from the same member within the same
        # second is one message to the handled-once key)
        g.say(ROOM, OWNER[0], "/状态")
        await until(lambda: len(g.sent) == 4, what="the reply when connected")
    assert "连接状态：已连接" in g.sent[-1][1] and "未连接" not in g.sent[-1][1]


def test_connection_line_counts_minutes_offline():
    assert connection_line(ConnectionReport(True, 3600, 0)) == "连接状态：已连接"
    assert connection_line(ConnectionReport(True, 5, 2)) == "连接状态：已连接（待发2条）"
    assert connection_line(ConnectionReport(False, 12 * 60 + 5, 3, attempts=6)) == \
        "连接状态：未连接（离线12分钟，待发3条）"


async def test_a_call_cancelled_as_it_is_answered_is_still_cancelled():
    # asyncio.wait_for (Python 3.11) returns the answer that arrives in the step
    # its caller is cancelled; the ding watch would then never stop
    loop = asyncio.get_running_loop()
    answer = loop.create_future()
    link = type("Link", (), {"_stopping": None, "timing": QUICK})()
    task = asyncio.create_task(WechatyChannel.call(link, answer, 5, "Ding"))
    await asyncio.sleep(0.01)
    answer.set_result("pong")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
