"""Hostile input from outside and a curious reviewer, through the real app
over SQLite and PostgreSQL: where a sign-in may lead, guessing passwords,
sessions that must end, headers on every answer, characters no database
can store."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import TCPConnector
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete, insert, select

from tests.review.conftest import PASSWORD, TEST_COST, csrf_of, sign_in
from tests.review.test_pages import incident_id

EVIL = ["/%09/evil.example", "//evil.example", "/\\evil.example", "https://evil.example",
        "/%2F%2Fevil.example"]
# the same targets as a server reads them once the query string is decoded, and other disguises
DECODED = ["/\t/evil.example", "/\n/evil.example", "\t//evil.example", " //evil.example",
           "/%5Cevil.example", "/%5C%5Cevil.example", "%2F%2Fevil.example",
           "/%252F%252Fevil.example", "/\u3000/evil.example", "/\u200b/evil.example",
           "javascript:alert(1)", "http:/evil.example", "/\\/evil.example", "\\\\evil.example",
           "/incidents/..//evil.example", "", "incidents"]
HEADERS = {"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff",
           "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def assert_secured(res, where=""):
    for name, value in HEADERS.items():
        assert value in res.headers.get(name, ""), (where, res.status, name, dict(res.headers))


@pytest.fixture
async def other_address(client):
    """A second browser, connecting from another address (127.0.0.2) to the same site."""
    other = TestClient(client.server, connector=TCPConnector(local_addr=("127.0.0.2", 0)))
    yield other
    await other.session.close()            # the server is the first client's to close


@contextlib.asynccontextmanager
async def serve(repo, **options):
    """Another instance of the site (another process, or the same after a restart)."""
    from qungui.app import rule_specs, rule_titles
    from qungui.web import create_app
    c = TestClient(TestServer(create_app(repo, rule_titles=rule_titles(), rule_specs=rule_specs(),
                                         failure_delay=0, **options)))
    await c.start_server()
    try:
        yield c
    finally:
        await c.close()


@contextlib.asynccontextmanager
async def second_repo(db_url):
    """The same database opened again, as the CLI or another web process does."""
    from qungui.storage.repository import Repository
    r = await Repository.open(db_url)
    try:
        yield r
    finally:
        await r.close()


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def session_token(client) -> str:
    return next(c.value for c in client.session.cookie_jar if c.key == "qg_session")


async def login_form(client) -> str:
    """The sign-in form's token, as a browser that is not signed in gets it."""
    client.session.cookie_jar.clear()
    return csrf_of(await (await client.get("/login")).text())


async def attempt(client, token, username, password):
    """One sign-in, as a script sends it: the same form token (and its cookie) every time."""
    return await client.post("/login", data={"username": username, "password": password,
                                             "csrf": token, "next": "/"},
                             cookies={"qg_login": token}, allow_redirects=False)


# --- where a sign-in may lead ------------------------------------------------

def test_safe_next_accepts_only_a_same_site_path():
    from qungui.web.pages import safe_next
    for target in EVIL + DECODED + [None, "/" + "a" * 3000]:
        assert safe_next(target) == "/", repr(target)
    for target in ("/", "/incidents?rule=ads", "/incidents?q=%E4%BB%A3%E8%B4%AD&page=2",
                   "/incidents/12?back=%2Fincidents%3Fpage%3D2", "/incidents?q=100%25"):
        assert safe_next(target) == target


async def test_next_never_leads_off_site_after_sign_in(client, seeded):
    for target in EVIL + DECODED:
        res = await sign_in(client, next_=target)
        assert res.status == 303 and res.headers["Location"] == "/", repr(target)
        # signed in, the sign-in page sends the browser on at once: the same check applies,
        # to the target as typed into the address bar and as a form would encode it
        typed = [f"/login?next={target}"] if target in EVIL else []
        for url, params in [(u, None) for u in typed] + [("/login", {"next": target})]:
            again = await client.get(url, params=params, allow_redirects=False)
            assert again.status == 303 and again.headers["Location"] == "/", (url, repr(target))
        await client.post("/logout", data={"csrf": csrf_of(await (await client.get("/")).text())})
    # before signing in, the form carries only a safe target
    html = await (await client.get("/login?next=/%09/evil.example")).text()
    assert 'name="next" value="/"' in html
    res = await sign_in(client, next_="/incidents?rule=ads&q=%E4%BB%A3%E8%B4%AD")
    assert res.headers["Location"] == "/incidents?rule=ads&q=%E4%BB%A3%E8%B4%AD"


# --- guessing passwords ------------------------------------------------------

async def test_parallel_guesses_check_no_more_passwords_than_the_limit(client, seeded, monkeypatch):
    import qungui.web.auth as auth
    checked = []
    real = auth.verify_password

    def counting(password, stored):
        checked.append(password)
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", counting)
    token = await login_form(client)
    statuses = await asyncio.gather(*(attempt(client, token, "审核员", f"wrong-guess-{i:03d}")
                                      for i in range(100)))
    codes = [r.status for r in statuses]
    assert set(codes) <= {401, 429}, codes
    assert len(checked) == codes.count(401) <= 5, (len(checked), codes.count(401))
    right = await attempt(client, token, "审核员", PASSWORD)
    assert right.status == 429 and "分钟后再试" in await right.text()
    assert "qg_session" not in right.headers.get("Set-Cookie", "")
    assert PASSWORD not in checked                   # refused without being checked
    print(f"100 parallel guesses: {len(checked)} passwords checked")


async def test_one_guesser_locks_a_name_not_everyone_at_the_address(client, seeded, other_address):
    token = await login_form(client)
    for i in range(5):
        assert (await attempt(client, token, "r2only", f"guess-{i}-wrong")).status == 401
    assert (await attempt(client, token, "r2only", PASSWORD)).status == 429
    # behind one proxy everyone shares the address: another reviewer still gets in
    assert (await attempt(client, token, "审核员", PASSWORD)).status == 303
    # the name is locked wherever its guesses come from (the policy)
    other_token = await login_form(other_address)
    locked = await attempt(other_address, other_token, "r2only", PASSWORD)
    assert locked.status == 429 and "分钟后再试" in await locked.text()


async def test_an_address_over_its_limit_is_refused_but_others_are_not(client, seeded, accounts,
                                                                       other_address):
    from qungui.web.auth import ThrottlePolicy, hash_password
    policy = ThrottlePolicy()
    assert policy.address_failures >= 10 * policy.account_failures      # much looser than a name's
    names = [f"spray-{i:02d}" for i in range(policy.address_failures // policy.account_failures)]
    for name in names:                                   # real accounts: each check costs the same
        await accounts.set_password(name, hash_password(PASSWORD, n=TEST_COST), ["*"], actor="test")
    token = await login_form(other_address)
    for name in names:                                   # each name stays within its own limit
        for i in range(policy.account_failures):
            assert (await attempt(other_address, token, name, f"wrong-password-{i}")).status == 401
    # the address is locked: even the right password of an unlocked account is refused (the policy)
    refused = await attempt(other_address, token, "审核员", PASSWORD)
    assert refused.status == 429 and "分钟后再试" in await refused.text()
    # a reviewer at another address is not locked out, for the same account
    assert (await sign_in(client)).status == 303


async def test_locks_are_shared_by_every_web_process_and_survive_a_restart(repo, db_url, accounts):
    async with serve(repo) as first:
        token = await login_form(first)
        for i in range(5):
            assert (await attempt(first, token, "审核员", f"wrong-{i}-password")).status == 401
    async with second_repo(db_url) as repo2, serve(repo2) as second:
        res = await attempt(second, await login_form(second), "审核员", PASSWORD)
        assert res.status == 429


async def test_a_lock_ends_after_the_window_and_a_success_clears_a_name(repo, accounts):
    from qungui.storage.models import SignInAttemptRow
    from qungui.web.auth import ThrottlePolicy
    clock = Clock()
    window = ThrottlePolicy().window
    async with serve(repo, clock=clock) as c:
        token = await login_form(c)
        for i in range(4):
            assert (await attempt(c, token, "审核员", f"typo-{i}-password")).status == 401
        assert (await attempt(c, token, "审核员", PASSWORD)).status == 303
        token = await login_form(c)
        for i in range(5):                                # the four earlier typos were forgotten
            assert (await attempt(c, token, "审核员", f"guess-{i}-password")).status == 401
        assert (await attempt(c, token, "审核员", PASSWORD)).status == 429
        clock.advance(window / 2)
        assert (await attempt(c, token, "审核员", PASSWORD)).status == 429
        clock.advance(window + 1)
        assert (await attempt(c, token, "审核员", PASSWORD)).status == 303
        # many names from many addresses later, nothing active was dropped for room
        async with repo.sessions.begin() as s:
            await s.execute(insert(SignInAttemptRow), [
                {"room_id": "*", "account_hash": hashlib.sha256(f"n{i}".encode()).hexdigest(),
                 "address": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", "ts": clock.now}
                for i in range(10_001)])
        token = await login_form(c)
        for i in range(5):
            assert (await attempt(c, token, "r2only", f"guess-{i}-password")).status == 401
        clock.advance(10)
        async with repo.sessions.begin() as s:
            await s.execute(insert(SignInAttemptRow), [
                {"room_id": "*", "account_hash": hashlib.sha256(f"m{i}".encode()).hexdigest(),
                 "address": "10.9.9.9", "ts": clock.now} for i in range(10_001)])
        assert (await attempt(c, token, "r2only", PASSWORD)).status == 429
        # old attempts are pruned once no window counts them
        clock.advance(3 * window)
        assert (await attempt(c, token, "r2only", PASSWORD)).status == 303
        async with repo.sessions() as s:
            assert await s.scalar(select(SignInAttemptRow.id).limit(1)) is None


async def test_the_attempts_table_keeps_no_account_name(client, seeded, repo):
    from qungui.storage.models import SignInAttemptRow
    token = await login_form(client)
    assert (await attempt(client, token, "my-password-in-the-name-field", "x" * 8)).status == 401
    async with repo.sessions() as s:
        rows = list(await s.scalars(select(SignInAttemptRow)))
    assert len(rows) == 1 and rows[0].address == "127.0.0.1" and rows[0].room_id == "*"
    assert "my-password" not in repr([vars(r) for r in rows])


# --- sessions ----------------------------------------------------------------

async def test_a_session_ends_when_its_account_is_deleted(client, seeded, db_url):
    from qungui.storage.accounts import AccountStore
    assert (await sign_in(client, username="r2only")).status == 303
    assert (await client.get("/api/session")).status == 200
    async with second_repo(db_url) as cli:                  # bot.py web --delete-user, elsewhere
        assert await AccountStore(cli).delete("r2only", actor="cli")
    assert (await client.get("/api/session")).status == 401
    res = await client.get("/incidents", allow_redirects=False)
    assert res.status == 303 and res.headers["Location"].startswith("/login")


async def test_a_session_ends_when_its_rooms_or_password_change(client, seeded, db_url, repo):
    from qungui.storage.accounts import AccountStore
    from qungui.web.auth import hash_password
    store = AccountStore(repo)
    same_hash = (await store.get("审核员")).password_hash
    assert (await sign_in(client)).status == 303
    assert (await (await client.get("/api/session")).json())["rooms"] == "*"
    async with second_repo(db_url) as cli:
        await AccountStore(cli).set_password("审核员", same_hash, ["r1"], actor="cli")   # narrowed
    assert (await client.get("/api/session")).status == 401
    assert (await sign_in(client)).status == 303
    me = await (await client.get("/api/session")).json()
    assert me["rooms"] == ["r1"]
    async with second_repo(db_url) as cli:
        await AccountStore(cli).set_password("审核员", hash_password("a-new-password", n=TEST_COST),
                                             ["r1"], actor="cli")
    assert (await client.get("/api/session")).status == 401


async def test_a_session_ends_even_when_the_account_is_changed_behind_the_store(client, seeded, repo):
    from qungui.storage.models import WebAccountRow
    assert (await sign_in(client)).status == 303
    async with repo.sessions.begin() as s:                   # rooms narrowed by hand, in SQL
        row = await s.get(WebAccountRow, ("*", "审核员"))
        s.add(WebAccountRow(room_id="r2", username="审核员", password_hash=row.password_hash))
        await s.execute(delete(WebAccountRow).where(WebAccountRow.room_id == "*",
                                                    WebAccountRow.username == "审核员"))
    assert (await client.get("/api/session")).status == 401


async def test_a_session_survives_a_restart_and_is_shared_by_two_instances(repo, db_url, accounts,
                                                                          seeded):
    async with serve(repo) as first:
        assert (await sign_in(first)).status == 303
        token = session_token(first)
        csrf = (await (await first.get("/api/session")).json())["csrf_token"]
    async with second_repo(db_url) as repo2, serve(repo2) as second:
        res = await second.get("/api/session", cookies={"qg_session": token})
        me = await res.json()
        assert res.status == 200 and me["user"] == "审核员" and me["csrf_token"] == csrf
        iid = await incident_id(repo2, "ads", sender="u2")
        done = await second.post(f"/api/incidents/{iid}/review", json={"decision": "confirm"},
                                 headers={"X-CSRF-Token": csrf}, cookies={"qg_session": token})
        assert done.status == 200 and (await done.json())["incident"]["reviewed_by"] == "web:审核员"
        out = await second.post("/logout", data={"csrf": csrf}, cookies={"qg_session": token},
                                allow_redirects=False)
        assert out.status == 303
    async with serve(repo) as first_again:                 # signed out everywhere
        assert (await first_again.get("/api/session", cookies={"qg_session": token})).status == 401


async def test_only_a_hash_of_the_session_id_is_stored(client, seeded, repo):
    from qungui.storage.models import WebSessionRow
    assert (await sign_in(client, username="r2only")).status == 303
    token = session_token(client)
    csrf = (await (await client.get("/api/session")).json())["csrf_token"]
    async with repo.sessions() as s:
        rows = list(await s.scalars(select(WebSessionRow)))
    assert [(r.room_id, r.username) for r in rows] == [("r2", "r2only")]
    assert rows[0].id_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = repr([vars(r) for r in rows])
    assert token not in stored and csrf not in stored and len(token) >= 43


async def test_idle_and_old_sessions_end_and_are_pruned(repo, accounts):
    from qungui.storage.models import WebSessionRow
    from qungui.web.auth import IDLE, MAX_AGE
    clock = Clock()
    async with serve(repo, clock=clock) as c:
        assert (await sign_in(c)).status == 303
        clock.advance(IDLE - 60)
        assert (await c.get("/api/session")).status == 200          # used: idle time starts again
        clock.advance(IDLE - 60)
        assert (await c.get("/api/session")).status == 200
        clock.advance(IDLE + 1)
        assert (await c.get("/api/session")).status == 401           # idle too long
        assert (await sign_in(c)).status == 303
        for _ in range(MAX_AGE // 3600):
            clock.advance(3600)
            assert (await c.get("/api/session")).status == 200
        clock.advance(3600)
        assert (await c.get("/api/session")).status == 401           # older than MAX_AGE
        assert (await sign_in(c, username="r2only")).status == 303   # abandoned below
    async with repo.sessions() as s:
        assert len(list(await s.scalars(select(WebSessionRow)))) == 1
    clock.advance(MAX_AGE + 3600)
    async with serve(repo, clock=clock) as c:
        assert (await sign_in(c)).status == 303                      # a sign-in prunes
    async with repo.sessions() as s:
        assert [r.username for r in await s.scalars(select(WebSessionRow))] == ["审核员"]


async def test_forged_or_garbage_session_cookies_are_no_session(client, seeded):
    for value in ("x" * 43, "a" * 5000, "%00", "../../etc", "\u5ba1"):
        res = await client.get("/api/session", cookies={"qg_session": value})
        assert res.status == 401, repr(value)
        assert_secured(res, value)


# --- headers on every answer --------------------------------------------------

async def test_security_headers_on_errors_refusals_and_files(signed_in, client):
    cases = [("GET", "/no-such-page", 404), ("GET", "/api/no-such-thing", 404),
             ("GET", "/incidents/99999999999999999999", 404), ("GET", "/logout", 405),
             ("GET", "/incidents?since=someday", 400), ("GET", "/export.csv?until=never", 400),
             ("GET", "/api/incidents?status=closed", 400), ("GET", "/healthz", 200),
             ("GET", "/api/openapi.json", 200)]
    for method, path, status in cases:
        res = await client.request(method, path, allow_redirects=False)
        assert res.status == status, (path, res.status)
        assert_secured(res, path)
    page = await client.get("/no-such-page")
    assert "页面不存在" in await page.text()
    assert (await client.get("/api/no-such-thing")).content_type == "application/json"
    assert "POST" in (await client.get("/logout")).headers["Allow"]
    api_csrf = (await (await client.get("/api/session")).json())["csrf_token"]
    big = await client.post("/api/incidents/1/review", data=b"x" * 200_000,
                            headers={"Content-Type": "application/json", "X-CSRF-Token": api_csrf})
    assert big.status == 413 and assert_secured(big, "big") is None
    css = await client.get("/static/style.css")
    assert css.status == 200 and assert_secured(css, "static") is None


async def test_security_headers_when_signed_out_and_refused(client, seeded):
    for path, status in (("/", 303), ("/api/session", 401), ("/nowhere", 303)):
        res = await client.get(path, allow_redirects=False)
        assert res.status == status and assert_secured(res, path) is None
    foreign = await client.post("/login", data={}, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403 and assert_secured(foreign, "origin") is None


async def test_an_unexpected_error_is_a_500_with_headers_and_no_details(signed_in, monkeypatch):
    from qungui.storage.review import ReviewStore

    async def broken(*args, **kwargs):
        raise RuntimeError("secret detail: password=hunter2")

    monkeypatch.setattr(ReviewStore, "page", broken)
    for path in ("/incidents", "/api/incidents"):
        res = await signed_in.get(path, headers={"Accept": "text/html"})
        body = await res.text()
        assert res.status == 500, path
        assert_secured(res, path)
        assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert "服务器内部错误" in await (await signed_in.get("/incidents")).text()
    assert (await (await signed_in.get("/api/incidents")).json())["error"] == "internal_error"


# --- characters no database stores --------------------------------------------

FILTER_KEYS = ("room", "rule", "member", "status", "since", "until", "q")


async def test_nul_in_any_filter_is_a_clear_400(signed_in):
    for path in ("/", "/incidents", "/export.csv", "/api/incidents", "/api/stats"):
        for key in FILTER_KEYS:
            res = await signed_in.get(f"{path}?{key}=ad%00s")
            assert res.status == 400, (path, key, res.status)
            assert_secured(res, f"{path} {key}")
            body = await res.text()
            if path.startswith("/api/"):
                assert (await res.json())["error"] == "bad_filter"
            else:
                assert "无法处理的字符" in body, (path, key)
            assert "\x00" not in body


async def test_other_hostile_values_are_400_or_404_never_500(signed_in, repo):
    client = signed_in
    for path in ("/incidents?since=999999d", "/incidents?until=9999-12-31",
                 "/incidents?since=0001-01-01T00:00%2B14:00", "/api/incidents?until=999999d",
                 "/?since=99999-01-01"):
        res = await client.get(path)
        assert res.status == 400, (path, res.status)
        assert_secured(res, path)
    for path in ("/incidents/2147483648", "/api/incidents/" + "9" * 5000,
                 "/incidents/\u0661\u0662"):
        res = await client.get(path)
        assert res.status == 404, (path, res.status)
    iid = await incident_id(repo, "ads", sender="u2")
    html = await (await client.get(f"/incidents/{iid}")).text()
    bad = await client.post(f"/incidents/{iid}/review", data={"decision": "dismiss", "csrf": csrf_of(html),
                                                              "note": "a\x00b"})
    assert bad.status == 400 and "无法处理的字符" in await bad.text()
    api_csrf = (await (await client.get("/api/session")).json())["csrf_token"]
    for body in ({"decision": "confirm", "note": "a\u0000b"},
                 {"decision": "dismiss", "allow_phrase": "\ud800"}):
        res = await client.post(f"/api/incidents/{iid}/review", json=body,
                                headers={"X-CSRF-Token": api_csrf})
        assert res.status == 400 and (await res.json())["error"] == "bad_text", body
    res = await client.post("/api/incidents/99999999999/review", json={"decision": "confirm"},
                            headers={"X-CSRF-Token": api_csrf})
    assert res.status == 404
    res = await client.post("/api/appeals/99999999999/resolve", json={"accept": True},
                            headers={"X-CSRF-Token": api_csrf})
    assert res.status == 404


async def test_nul_in_a_user_name_is_refused_clearly(client, seeded):
    token = await login_form(client)
    res = await attempt(client, token, "审核员\x00", PASSWORD)
    assert res.status == 400 and "无法处理的字符" in await res.text()
    assert_secured(res, "login")
