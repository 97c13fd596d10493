"""Storage on a real SQLite file and on the PostgreSQL server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import create_async_engine

from qungui.core.events import Member, Room
from qungui.storage.repository import IncidentIn, Repository, async_url, safe_url
from tests.conftest import T0


def row(message_id="m1", rule="ads", sender="u2", ts=T0, counted=True, room="r1", **kw):
    return IncidentIn(room_id=room, message_id=message_id, rule=rule, sender_id=sender, ts=ts,
                      counted=counted, trace=[{"plugin": rule, "hit": True}], **kw)


async def test_migrations_create_every_table_with_room_id(repo):
    async with repo.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: {t: [col["name"] for col in sa_inspect(c).get_columns(t)]
                                                for t in sa_inspect(c).get_table_names()})
    assert {"rooms", "members", "incidents", "alembic_version"} <= set(tables)
    for name, cols in tables.items():
        # SQLite's full-text index of the incidents (and FTS5's own tables behind
        # it) is an index of their columns, no data of its own
        if name != "alembic_version" and not name.startswith("incidents_fts"):
            assert "room_id" in cols, name
    if repo.engine.dialect.name == "sqlite":
        assert "incidents_fts" in tables


async def test_migrate_twice_is_harmless(db_url):
    r1 = await Repository.open(db_url)
    await r1.record([row()])
    await r1.close()
    r2 = await Repository.open(db_url)
    assert len(await r2.incidents()) == 1
    await r2.close()


async def test_unique_message_rule_makes_redelivery_harmless(repo):
    assert await repo.record([row(rule="ads"), row(rule="flood", counted=False)])
    assert not await repo.record([row(rule="ads")])
    assert len(await repo.incidents()) == 2
    # the same message id in another room is another message
    assert await repo.record([row(room="r2")])


async def test_incident_round_trip_keeps_time_zone_and_trace(repo):
    await repo.record([row(evidence="代购面膜", reason="推销商品并留联系方式", score=0.9)])
    got = (await repo.incidents())[0]
    assert got.ts == T0 and got.ts.utcoffset() == timedelta(0)
    assert got.trace == [{"plugin": "ads", "hit": True}]
    assert got.status == "open" and got.evidence == "代购面膜"


async def test_warning_count_window_and_pardon(repo):
    for i in range(3):
        await repo.record([row(message_id=f"m{i}", ts=T0 + timedelta(hours=i))])
    await repo.record([row(message_id="other", sender="u3")])
    await repo.record([row(message_id="uncounted", counted=False)])
    assert await repo.count_warnings("r1", "u2", T0 - timedelta(days=1)) == 3
    assert await repo.count_warnings("r1", "u2", T0 + timedelta(minutes=30)) == 2
    await repo.pardon("r1", "u2", "u1", "已整改", ts=T0 + timedelta(hours=1, minutes=30))
    assert await repo.count_warnings("r1", "u2", T0 - timedelta(days=1)) == 1
    # the pardon is a row of its own; nothing was deleted
    assert len(await repo.incidents(kind=None)) == 6


async def test_filters(repo):
    await repo.record([row(message_id="a", rule="ads", sender="u2")])
    await repo.record([row(message_id="b", rule="classified", sender="u3", ts=T0 + timedelta(days=2))])
    await repo.record([row(message_id="c", rule="ads", room="r2")])
    assert {r.message_id for r in await repo.incidents(rule="ads")} == {"a", "c"}
    assert [r.message_id for r in await repo.incidents(sender_id="u3")] == ["b"]
    assert [r.message_id for r in await repo.incidents(room_id="r2")] == ["c"]
    assert [r.message_id for r in await repo.incidents(since=T0 + timedelta(days=1))] == ["b"]
    assert ("ads", "log", 2) in await repo.summary()


async def test_rooms_and_members_survive_reopen(db_url):
    r = await Repository.open(db_url)
    await r.save_room(Room("r1", "防汛指挥部群", "汛情调度", "u1",
                           {"u1": Member("u1", "李明", "李明-水利局-局长"), "u2": Member("u2", "张伟")}))
    await r.save_member("r1", Member("u2"), present=False)
    await r.close()
    r = await Repository.open(db_url)
    rooms = await r.load_rooms()
    await r.close()
    assert len(rooms) == 1 and rooms[0].topic == "防汛指挥部群" and rooms[0].owner_id == "u1"
    assert set(rooms[0].members) == {"u1"}
    assert rooms[0].members["u1"].alias == "李明-水利局-局长"


async def test_database_down_spools_and_nothing_is_lost(tmp_path, db_url):
    spool = tmp_path / "spool.jsonl"
    # nothing listens on port 1: every statement fails as a real outage does
    down = Repository(create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none"), spool)
    assert await down.record([row(message_id="x1", evidence="代购", reason="广告")])
    assert await down.record([row(message_id="x2"), row(message_id="x2", rule="flood")])
    assert down.degraded and len(spool.read_text(encoding="utf-8").splitlines()) == 3
    await down.close()
    # opening writes the spool back (start-up), before anything else happens
    up = await Repository.open(db_url, spool_path=spool)
    assert not spool.exists() and not up.degraded
    got = sorted((r.message_id, r.rule) for r in await up.incidents())
    assert got == [("x1", "ads"), ("x2", "ads"), ("x2", "flood")]
    # spooled twice (a crash between flush and unlink) still gives one row each
    spool.write_text(row(message_id="x1").to_json() + "\n", encoding="utf-8")
    assert await up.flush_spool() == 0
    await up.close()


def test_urls_pick_async_drivers_and_hide_passwords():
    assert async_url("sqlite:///data/x.sqlite3").startswith("sqlite+aiosqlite:///")
    assert async_url("postgresql://u:p@h/db").startswith("postgresql+asyncpg://")
    assert "secret" not in safe_url("postgresql://u:secret@h/db")


async def test_models_and_migrations_agree(repo):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from qungui.storage.models import Base, modelled

    def diff(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn, opts={"include_name": modelled}),
                                Base.metadata)

    async with repo.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_settings_changes_are_audited(repo):
    await repo.change_settings("r1", "u1", "disable", "rules.ads", {"enabled": False})
    assert await repo.add_allow_phrase("r1", "税收优惠", "u1")
    assert not await repo.add_allow_phrase("r1", "税收优惠", "u1")
    settings = await repo.room_settings("r1")
    assert settings == {"rules.ads": {"enabled": False}, "allow": ["税收优惠"]}
    log = await repo.audit_log("r1")
    assert [(a.action, a.actor_id, a.before, a.after) for a in reversed(log)] == [
        ("disable", "u1", None, {"enabled": False}), ("allow", "u1", None, ["税收优惠"])]
