"""A review site over a real database (SQLite file and PostgreSQL) filled by
the real engine, and aiohttp's test client to drive it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from qungui.core.events import MessageType, RoomSnapshot
from tests.conftest import work_room

CLASSIFIED = "机密★1年 关于城东片区项目用地调整的方案，先发大家看看"
ADS = "自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456"
XSS = "<script>alert('xss')</script><img src=x onerror=alert(1)> 代购面膜99元一盒 加微信 wx778899"
PASSWORD = "correct-horse-battery"
# a cheaper scrypt cost for test accounts only; the real default is checked in test_cli_review
TEST_COST = 2 ** 12


@pytest.fixture
async def seeded(moderator, clock):
    """Two rooms, context messages, an ad, a classified file, hostile markup."""
    await moderator.handle(RoomSnapshot(work_room("r2")))
    say = moderator.handle
    await say(clock.msg("请各单位于周五前报送本月招商项目进展。", "u1"))
    await say(clock.msg("收到，马上整理。", "u3"))
    await say(clock.msg(ADS, "u2"))                                   # ads in r1
    await say(clock.msg("好的，下午开会再议。", "u4"))
    await say(clock.msg(CLASSIFIED, "u3"))                            # classified in r1
    await say(clock.msg(XSS, "u4", gap=3600 * 24))                    # ads, next day
    await say(clock.msg(ADS, "u2", room="r2", gap=60))                # ads in r2
    await moderator.message_log.flush()
    return moderator


@pytest.fixture
async def accounts(repo):
    from qungui.storage.accounts import AccountStore
    from qungui.web.auth import hash_password

    store = AccountStore(repo)
    await store.set_password("审核员", hash_password(PASSWORD, n=TEST_COST), ["*"], actor="test")
    await store.set_password("r2only", hash_password(PASSWORD, n=TEST_COST), ["r2"], actor="test")
    return store


@pytest.fixture
async def app(repo, accounts):
    from qungui.app import rule_specs, rule_titles
    from qungui.web import create_app
    return create_app(repo, rule_titles=rule_titles(), rule_specs=rule_specs(), failure_delay=0)


@pytest.fixture
async def client(app):
    c = TestClient(TestServer(app))
    await c.start_server()
    yield c
    await c.close()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


async def sign_in(client, username="审核员", password=PASSWORD, next_="/"):
    page = await client.get("/login")
    token = csrf_of(await page.text())
    return await client.post("/login", data={"username": username, "password": password,
                                             "csrf": token, "next": next_}, allow_redirects=False)


@pytest.fixture
async def signed_in(client, seeded):
    res = await sign_in(client)
    assert res.status == 303, await res.text()
    return client


async def page_csrf(client, path="/") -> str:
    return csrf_of(await (await client.get(path)).text())


def day(ts, n=0):
    return (ts + timedelta(days=n)).strftime("%Y-%m-%d")


__all__ = ["CLASSIFIED", "ADS", "XSS", "PASSWORD", "MessageType", "sign_in", "csrf_of",
           "page_csrf", "day"]
