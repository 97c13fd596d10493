"""Secrecy by construction: once a message is found secret (at any score),
no stored or sent copy of it carries its words.

Each path below writes a unique token inside classified content; afterwards
every table of the database, every action the bot would send and the log
are searched for the token.
"""

from __future__ import annotations

import logging

from sqlalchemy import MetaData, select

from qungui.core.actions import Send, SendPrivate
from qungui.core.events import PrivateMessage

TOKEN = "青松七号"          # a unique token standing for the secret words


async def _tables_with(repo, token: str) -> list[str]:
    """The tables (and a row) where ``token`` appears in any column."""
    found = []
    meta = MetaData()
    async with repo.engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        for table in meta.sorted_tables:
            for row in (await conn.execute(select(table))).all():
                if token in repr(tuple(row)):
                    found.append(f"{table.name}: {tuple(row)!r}"[:300])
    return found


def _said(outs) -> list[str]:
    return [a.text for o in outs for a in o.actions if isinstance(a, (Send, SendPrivate))]


async def test_no_copy_of_a_secret_message_keeps_its_words(moderator, repo, clock, caplog):
    caplog.set_level(logging.DEBUG)
    outs = []
    # classified and a rumour on one message: the rumour's evidence was the whole sentence
    outs.append(await moderator.handle(clock.msg(
        f"机密★1年 {TOKEN}方案：据可靠消息明天全市停水，赶紧转发给亲友！", "u3")))
    # a secret finding under the room's raised threshold, with an advert over its own
    await moderator.settings.change("r1", "u1", "threshold", "classified.threshold", 0.99)
    outs.append(await moderator.handle(clock.msg(
        f"【内部资料】{TOKEN}汇编 本人代购面膜一盒只要199元，加微信 wx12345 下单", "u2", gap=400)))
    await moderator.settings.change("r1", "u1", "threshold", "classified.threshold", None)
    # a refused command carrying the secret
    outs.append(await moderator.handle(clock.msg(f"/threshold 涉密 0.9 机密★1年 {TOKEN}", "u3")))
    # an appeal whose reason carries it, in the group and privately
    outs.append(await moderator.handle(clock.msg(f"/appeal 机密★1年 {TOKEN}是误会", "u3")))
    outs.append(await moderator.handle(PrivateMessage("p1", "u3", clock.t, f"/申诉 绝密★长期 {TOKEN}")))
    # a private report
    outs.append(await moderator.handle(PrivateMessage("p2", "u4", clock.t,
                                                      f"/举报 有人转发 机密★1年 {TOKEN} 全文")))
    await moderator.message_log.flush()

    assert outs[0].action == "warn" and {f.rule for f in outs[0].findings} >= {"classified", "rumor"}
    assert all(TOKEN not in f.evidence and TOKEN not in f.reason for o in outs for f in o.findings)
    assert [t for t in _said(outs) if TOKEN in t] == []
    assert await _tables_with(repo, TOKEN) == []
    assert TOKEN not in caplog.text


async def test_the_words_of_an_ordinary_message_are_kept(moderator, repo, clock):
    """The search above finds what is there: without a secret, the text is stored."""
    await moderator.handle(clock.msg(f"据可靠消息明天全市停水{TOKEN}，赶紧转发给亲友！", "u3"))
    await moderator.message_log.flush()
    assert await _tables_with(repo, TOKEN)


async def test_the_spool_keeps_no_secret_words(db_url, plugins, rulebook, matcher, clock,
                                               tmp_path_factory):
    """During a database outage the incident rows go to the spool: they are
    the same sealed rows."""
    from qungui.app import build_moderator
    from qungui.core.events import RoomSnapshot
    from qungui.storage.repository import Repository
    from tests.conftest import Outage, work_room
    spool_dir = tmp_path_factory.mktemp("spool")      # apart from the database's folder
    repo = await Repository.open(db_url, spool_path=spool_dir / "incidents.jsonl")
    try:
        m = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid")
        await m.start()
        await m.handle(RoomSnapshot(work_room()))
        async with Outage(db_url, repo):
            out = await m.handle(clock.msg(
                f"机密★1年 {TOKEN}方案：据可靠消息明天全市停水，赶紧转发给亲友！", "u3"))
            assert out.action == "warn" and repo.degraded
            spooled = "".join(p.read_text(encoding="utf-8") for p in spool_dir.rglob("*")
                              if p.is_file())
            assert "sha256:" in spooled           # the rows are there ...
            assert TOKEN not in spooled           # ... without the words
    finally:
        await repo.close()
