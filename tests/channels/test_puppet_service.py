"""The production path: wechaty's real PuppetService gRPC client, connected
over loopback to a fake puppet-service gateway (tests/channels/fake_service.py);
``bot.py run`` itself in a subprocess, and the channel in-process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import yaml

from qungui.config import Settings
from tests.channels.conftest import MEMBERS, OWNER, ROOM
from tests.channels.fake_service import TS_RED_ENVELOPE, FakePuppetService
from tests.channels.fakes import until

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "puppet_test_4f1c9a7e-secret"
SEP = "\u2005"


def gateway() -> FakePuppetService:
    g = FakePuppetService()
    g.add_room(ROOM, "招商引资专项工作群", OWNER[0], MEMBERS)
    return g


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_channel_over_the_real_puppet_service_client_reconnects(live_moderator, tmp_path,
                                                                      monkeypatch):
    from qungui.channels.wechaty import LinkTiming, WechatyChannel, puppet_service

    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TOKEN", raising=False)
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_ENDPOINT", raising=False)
    g = gateway()
    port = await g.start()
    settings = Settings(puppet_token=TOKEN, puppet_endpoint=f"127.0.0.1:{port}")
    channel = WechatyChannel(live_moderator, live_moderator.directory, puppet_service(settings),
                             sending=live_moderator.rulebook.sending,
                             outbox=live_moderator.repo.outbox, outbox_dir=tmp_path,
                             timing=LinkTiming(reconnect_first=0.05, reconnect_max=0.2))
    stop = asyncio.Event()
    task = asyncio.create_task(channel.serve(stop))
    try:
        await asyncio.wait_for(channel.connected.wait(), 10)
        assert live_moderator.bot_id == "wxid_bot"
        g.say(ROOM, "u2", "代购面膜，原价399现价99，加微信 wxdemo2026")
        g.say(ROOM, "u3", "<msg><appmsg><title>恭喜发财</title></appmsg></msg>",
              ts_type=TS_RED_ENVELOPE)
        await until(lambda: len(g.sent) == 2, what="two warnings at the gateway")
        assert {(s[0], tuple(s[2])) for s in g.sent} == {(ROOM, ("u2",)), (ROOM, ("u3",))}
        ads = next(s for s in g.sent if s[2] == ["u2"])
        assert ads[1].startswith(f"@张伟-发改委-科长{SEP}温馨提醒")

        # the gateway restarts: the stream ends, the client reconnects and carries on
        g.end_stream()
        await until(lambda: g.streams == 2 and g.stream_open.is_set(), what="a reconnect")
        await asyncio.wait_for(channel.connected.wait(), 10)
        g.say(ROOM, "u4", "机密★1年 关于XX项目的内部方案")
        await until(lambda: any(s[2] == ["u4"] for s in g.sent), what="a warning after reconnect")
        assert channel.stats.connects == 2
        assert "connected=True" in channel.health_line() and "sent=" in channel.health_line()
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await g.close()
    rows = await live_moderator.repo.incidents(room_id=ROOM)
    assert {(r.sender_id, r.rule) for r in rows} == {("u2", "ads"), ("u3", "red_envelope"),
                                                     ("u4", "classified")}


def fast_rulebook(tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "qungui" / "rules" / "default.yaml").read_text(encoding="utf-8"))
    data["sending"].update(room_gap_seconds=0.2, jitter_seconds=0.1, merge_window_seconds=0.3)
    path = tmp_path / "rulebook.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_bot_py_run_end_to_end_with_gateway_down_at_start(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    env.update(WECHATY_PUPPET_SERVICE_TOKEN=TOKEN, WECHATY_PUPPET_SERVICE_ENDPOINT=f"127.0.0.1:{port}",
               BOT_DATABASE_URL=f"sqlite:///{tmp_path}/bot.sqlite3")
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bot.py"), "--log-level", "INFO", "run",
            "--rulebook", str(fast_rulebook(tmp_path)),
            cwd=tmp_path, env=env, stdout=log, stderr=log)
    g = gateway()
    g.add_room("r2@chatroom", "项目指挥部群", OWNER[0], [OWNER], with_bot=False)
    try:
        # the gateway is not up yet: the bot must keep trying, with backoff
        await until(lambda: b"reconnecting in" in log_path.read_bytes(), timeout=60,
                    what="a failed first connection")
        await g.start(port)
        await asyncio.wait_for(g.stream_open.wait(), 60)
        await asyncio.sleep(0.5)            # login handled
        g.add_member("r2@chatroom", "wxid_bot", "群规助手")
        g.join("r2@chatroom", ["wxid_bot"], OWNER[0])
        g.say(ROOM, "u2", "李局长英明！有您掌舵，我们的招商工作一定能再创佳绩！")
        await until(lambda: len(g.sent) >= 2, timeout=30, what="greeting and warning")
        greeting = next(s for s in g.sent if s[0] == "r2@chatroom")
        assert "【工作群群规】" in greeting[1]
        warning = next(s for s in g.sent if s[0] == ROOM)
        assert warning[2] == ["u2"] and warning[1].startswith(f"@张伟-发改委-科长{SEP}温馨提醒")
        # SIGTERM with a warning still held in the queue: it is sent before exit
        g.say(ROOM, "u3", "代购面膜，原价399现价99，加微信 wxdemo2026")
        await until(lambda: g.calls.count("MessagePayload") == 2, what="the message fetched")
        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await g.close()
    log = log_path.read_text(encoding="utf-8")
    assert rc == 0, log[-3000:]
    assert any(s[2] == ["u3"] for s in g.sent), log[-3000:]
    assert "stopped: sent 3" in log
    assert TOKEN not in log                     # the secret never reaches the log
    assert "Stop" in g.calls


def test_run_without_token_says_what_to_set(tmp_path):
    import subprocess
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    r = subprocess.run([sys.executable, str(ROOT / "bot.py"), "run",
                        "--db", f"sqlite:///{tmp_path}/x.sqlite3"], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 2
    assert "WECHATY_PUPPET_SERVICE_TOKEN" in r.stderr
    assert "Traceback" not in r.stderr
