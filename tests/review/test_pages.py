"""Every page route with aiohttp's test client, over SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re

from tests.review.conftest import ADS, PASSWORD, csrf_of, page_csrf, sign_in

PAGES = ["/", "/incidents", "/incidents/1", "/export.csv"]


async def incident_id(repo, rule, room="r1", sender=None):
    from qungui.storage.review import IncidentFilter, ReviewStore
    rows, _ = await ReviewStore(repo).incidents(IncidentFilter(rule=rule, room=room, member=sender))
    return rows[0].id


async def test_every_page_needs_sign_in(client, seeded):
    for path in PAGES:
        res = await client.get(path, allow_redirects=False)
        assert res.status == 303, path
        assert res.headers["Location"].startswith("/login?next=")
    for path in ("/incidents/1/review", "/appeals/1/resolve", "/logout"):
        res = await client.post(path, data={"decision": "dismiss"}, allow_redirects=False)
        assert res.status in (303,), path
    login = await client.get("/login")
    assert login.status == 200 and "登录" in await login.text()


async def test_sign_in_sets_a_strict_httponly_cookie_and_sign_out_ends_it(client, seeded):
    res = await sign_in(client, next_="/incidents?rule=ads")
    assert res.status == 303 and res.headers["Location"] == "/incidents?rule=ads"
    cookie = res.headers["Set-Cookie"]
    assert "qg_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    overview = await client.get("/")
    assert overview.status == 200
    token = csrf_of(await overview.text())
    out = await client.post("/logout", data={"csrf": token}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/login"
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_the_old_session_token_is_useless_after_sign_out(client, seeded):
    await sign_in(client)
    token = next(c.value for c in client.session.cookie_jar if c.key == "qg_session")
    await client.post("/logout", data={"csrf": await page_csrf(client)})
    res = await client.get("/", cookies={"qg_session": token}, allow_redirects=False)
    assert res.status == 303


async def test_wrong_password_and_unknown_user_look_the_same(client, seeded):
    bad = await sign_in(client, password="wrong-password")
    nobody = await sign_in(client, username="nobody")
    assert bad.status == nobody.status == 401
    assert "用户名或密码不正确" in await bad.text() and "用户名或密码不正确" in await nobody.text()
    assert "qg_session" not in bad.headers.get("Set-Cookie", "")


async def test_failed_sign_ins_are_throttled_even_for_the_right_password(client, seeded):
    for _ in range(5):
        assert (await sign_in(client, password="guess-guess")).status == 401
    locked = await sign_in(client)
    assert locked.status == 429 and "分钟后再试" in await locked.text()


async def test_next_never_leads_off_site(client, seeded):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        res = await sign_in(client, next_=target)
        assert res.headers["Location"] == "/", target
        await client.post("/logout", data={"csrf": await page_csrf(client)})


async def test_sign_in_without_the_form_token_is_refused(client, seeded):
    await client.get("/login")
    res = await client.post("/login", data={"username": "审核员", "password": PASSWORD,
                                            "csrf": "forged"}, allow_redirects=False)
    assert res.status == 403 and "qg_session" not in res.headers.get("Set-Cookie", "")


async def test_posts_without_csrf_or_from_another_site_are_refused(signed_in, repo):
    client = signed_in
    iid = await incident_id(repo, "ads")
    missing = await client.post(f"/incidents/{iid}/review", data={"decision": "dismiss"})
    wrong = await client.post(f"/incidents/{iid}/review", data={"decision": "dismiss", "csrf": "x" * 43})
    assert missing.status == wrong.status == 403
    assert "安全校验码" in await missing.text()
    token = await page_csrf(client)
    foreign = await client.post(f"/incidents/{iid}/review", data={"decision": "dismiss", "csrf": token},
                                headers={"Origin": "http://evil.example"})
    assert foreign.status == 403
    detail = await (await client.get(f"/incidents/{iid}")).text()
    assert "待审核" in detail and "撤销（误报）</li>" not in detail     # nothing changed
    out = await client.post("/logout", data={}, allow_redirects=False)
    assert out.status == 403


async def test_security_headers_on_pages(signed_in):
    res = await signed_in.get("/")
    csp = res.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert res.headers["X-Frame-Options"] == "DENY" and res.headers["Cache-Control"] == "no-store"
    html = await res.text()
    # no external assets: every src/href is local
    assert not re.search(r'(src|href)="(https?:)?//', html)


async def test_overview_counts_and_inline_charts(signed_in):
    html = await (await signed_in.get("/")).text()
    assert "<svg" in html and html.count('class="bar"') >= 7 and 'class="bar rule"' in html
    assert "广告推销" in html and "涉密信息" in html
    assert "招商引资专项工作群" in html                              # top rooms
    assert re.search(r"<b>4</b><span>事件总数</span>", html)
    assert re.search(r"<b>4</b><span>待审核</span>", html)


async def test_list_filters_page_and_sort_newest_first(signed_in, repo):
    client = signed_in
    html = await (await client.get("/incidents")).text()
    ids = [int(i) for i in re.findall(r'href="/incidents/(\d+)\?', html)]
    assert len(ids) == 4 and ids == sorted(ids, reverse=True)
    only_ads = await (await client.get("/incidents?rule=ads&room=r1")).text()
    assert len(re.findall(r'href="/incidents/\d+\?', only_ads)) == 2 and "涉密信息</td>" not in only_ads
    by_member = await (await client.get("/incidents?member=u3")).text()
    assert len(re.findall(r'href="/incidents/\d+\?', by_member)) == 1
    by_text = await (await client.get("/incidents?q=wx778899")).text()
    assert len(re.findall(r'href="/incidents/\d+\?', by_text)) == 1
    bad = await client.get("/incidents?since=someday")
    assert bad.status == 400 and "无法识别" in await bad.text()


async def test_paging_by_keyset_keeps_the_filter(signed_in, moderator, clock):
    for i in range(30):
        await moderator.handle(clock.msg(ADS.replace("199", str(300 + i)), "u3", gap=3600))
    client = signed_in
    first = await (await client.get("/incidents?rule=ads")).text()
    assert "共 33 条" in first and 'rel="next"' in first and 'rel="prev"' not in first
    nxt = html_unescape(re.search(r'href="([^"]+)" rel="next"', first)[1])
    assert "rule=ads" in nxt and "after=" in nxt and "page=" not in nxt
    second = await (await client.get("/incidents" + nxt)).text()
    ids1 = re.findall(r'href="/incidents/(\d+)\?', first)
    ids2 = re.findall(r'href="/incidents/(\d+)\?', second)
    assert len(ids1) == 25 and len(ids2) == 33 - 25 and not set(ids1) & set(ids2)
    assert [int(i) for i in ids1 + ids2] == sorted((int(i) for i in ids1 + ids2), reverse=True)
    assert 'rel="next"' not in second
    prev = html_unescape(re.search(r'href="([^"]+)" rel="prev"', second)[1])
    back = await (await client.get("/incidents" + prev)).text()
    assert re.findall(r'href="/incidents/(\d+)\?', back) == ids1
    # a cursor that cannot be read starts at the first page
    odd = await client.get("/incidents?rule=ads&after=x.y")
    assert odd.status == 200 and re.findall(r'href="/incidents/(\d+)\?', await odd.text()) == ids1


def html_unescape(text: str) -> str:
    import html
    return html.unescape(text)


async def test_detail_shows_highlight_context_trace_and_warning(signed_in, repo):
    iid = await incident_id(repo, "ads", sender="u2")
    html = await (await signed_in.get(f"/incidents/{iid}")).text()
    assert "<mark>代购</mark>" in html or "<mark>代购面膜" in html
    assert "收到，马上整理。" in html and "好的，下午开会再议。" in html     # before and after
    assert "温馨提醒" in html                                            # the warning sent
    assert "各规则检查结果" in html and "命中" in html and "通过" in html   # the trace
    assert (await signed_in.get("/incidents/999999")).status == 404


async def test_classified_context_shows_only_marking_and_hash(signed_in, repo):
    iid = await incident_id(repo, "ads", sender="u2")
    html = await (await signed_in.get(f"/incidents/{iid}")).text()
    assert "内容已隐去 sha256:" in html and "用地调整" not in html
    cid = await incident_id(repo, "classified")
    assert "用地调整" not in await (await signed_in.get(f"/incidents/{cid}")).text()


async def test_hostile_message_renders_as_text(signed_in, repo):
    iid = await incident_id(repo, "ads", sender="u4")
    html = await (await signed_in.get(f"/incidents/{iid}")).text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    listed = await (await signed_in.get("/incidents?q=script")).text()
    assert f'href="/incidents/{iid}?' in listed and "<script>" not in listed
    # the context of a neighbouring incident shows it escaped too
    other = await incident_id(repo, "classified")
    assert "<script>" not in await (await signed_in.get(f"/incidents/{other}")).text()


async def test_confirm_then_dismiss_with_allow_phrase_records_who_and_when(signed_in, repo):
    from qungui.storage.models import ReviewRow
    client = signed_in
    iid = await incident_id(repo, "ads", sender="u2")
    token = await page_csrf(client, f"/incidents/{iid}")
    res = await client.post(f"/incidents/{iid}/review", data={"decision": "confirm", "csrf": token},
                            allow_redirects=False)
    assert res.status == 303
    res = await client.post(f"/incidents/{iid}/review", data={
        "decision": "dismiss", "csrf": token, "note": "面膜是工会福利团购", "allow_phrase": "代购面膜"},
        allow_redirects=False)
    assert res.status == 303 and res.headers["Location"].startswith("/incidents")   # on to the next
    html = await (await client.get(f"/incidents/{iid}")).text()
    assert "误报已撤销" in html and "审核员：撤销（误报）" in html and "放行词语“代购面膜”" in html
    async with repo.sessions() as s:
        from sqlalchemy import select
        reviews = list(await s.scalars(select(ReviewRow).where(ReviewRow.incident_id == iid)
                                       .order_by(ReviewRow.id)))
    assert [(r.decision, r.reviewer) for r in reviews] == [("confirm", "web:审核员"), ("dismiss", "web:审核员")]
    assert reviews[1].allow_phrase == "代购面膜" and reviews[1].ts is not None
    assert (await repo.room_settings("r1"))["allow"] == [{"rule": "ads", "phrase": "代购面膜"}]
    open_list = await (await client.get("/incidents?status=open")).text()
    assert f'href="/incidents/{iid}?' not in open_list


async def test_bad_review_is_explained(signed_in, repo):
    iid = await incident_id(repo, "ads", sender="u2")
    token = await page_csrf(client := signed_in, f"/incidents/{iid}")
    res = await client.post(f"/incidents/{iid}/review", data={"decision": "confirm", "csrf": token,
                                                              "allow_phrase": "x"}, allow_redirects=False)
    assert res.status == 303            # a phrase only counts with a dismissal; ignored here
    res = await client.post(f"/incidents/{iid}/review", data={"decision": "delete", "csrf": token})
    assert res.status == 400 and "无法识别的审核操作" in await res.text()
    res = await client.post(f"/incidents/{iid}/review", data={"decision": "dismiss", "csrf": token,
                                                              "allow_phrase": "长" * 201})
    assert res.status == 400 and "放行词语太长" in await res.text()


async def test_room_scoped_reviewer_sees_only_that_room(client, seeded, repo):
    await sign_in(client, username="r2only")
    html = await (await client.get("/incidents")).text()
    assert len(re.findall(r'href="/incidents/\d+\?', html)) == 1
    r1 = await incident_id(repo, "ads", sender="u2")
    assert (await client.get(f"/incidents/{r1}")).status == 404
    token = await page_csrf(client)
    res = await client.post(f"/incidents/{r1}/review", data={"decision": "dismiss", "csrf": token})
    assert res.status == 404
    rows = list(csv.reader(io.StringIO((await (await client.get("/export.csv")).text()).lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][3] == "r2"


async def test_csv_export_of_the_current_filter(signed_in):
    res = await signed_in.get("/export.csv?rule=ads&room=r1")
    assert res.status == 200 and res.content_type == "text/csv"
    assert "attachment" in res.headers["Content-Disposition"]
    body = (await res.read()).decode("utf-8")
    assert body.startswith("\ufeff编号,")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:4] == ["编号", "时间", "群名称", "群ID"] and rows[0][-1] == "审核备注"
    assert len(rows) == 3 and {r[6] for r in rows[1:]} == {"广告推销"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[1]) for r in rows[1:])
    assert {r[2] for r in rows[1:]} == {"招商引资专项工作群"} and {r[9] for r in rows[1:]} == {"待审核"}
    assert (await signed_in.get("/export.csv?until=never")).status == 400


async def test_appeals_are_shown_and_resolved(signed_in, repo):
    from qungui.storage.models import AppealRow
    iid = await incident_id(repo, "ads", sender="u2")
    async with repo.sessions.begin() as s:
        s.add(AppealRow(room_id="r1", incident_id=iid, member_id="u2", reason="<b>我是转发工会通知</b>"))
        s.add(AppealRow(room_id="r1", incident_id=iid, member_id="u2", reason="再次申诉"))
    client = signed_in
    html = await (await client.get(f"/incidents/{iid}")).text()
    assert "&lt;b&gt;我是转发工会通知&lt;/b&gt;" in html and "待处理" in html
    ids = [int(x) for x in re.findall(r'action="/appeals/(\d+)/resolve"', html)]
    token = csrf_of(html)
    res = await client.post(f"/appeals/{ids[1]}/resolve", data={"decision": "reject", "csrf": token})
    assert res.status == 200 and "已驳回" in await res.text()
    res = await client.post(f"/appeals/{ids[0]}/resolve", data={"decision": "accept", "csrf": token})
    html = await res.text()
    assert "已采纳" in html and "误报已撤销" in html
    again = await client.post(f"/appeals/{ids[0]}/resolve", data={"decision": "accept", "csrf": token})
    assert again.status == 400 and "已处理过" in await again.text()


async def test_static_assets_are_bundled(client):
    res = await client.get("/login")
    href = re.search(r'href="(/static/style\.css\?v=\w+)"', await res.text()).group(1)
    css = await client.get(href)
    assert css.status == 200 and "svg.chart" in await css.text()
    assert (await client.get("/healthz")).status == 200


async def test_members_reports_are_in_the_review_queue_without_a_reporter(signed_in, repo, seeded):
    from datetime import datetime, timezone
    from qungui.core.events import PrivateMessage
    out = await seeded.handle(PrivateMessage("pm-1", "u3", datetime.now(timezone.utc),
                                             "/举报 1 有人在群里推销<b>保健品</b>"))
    assert out.action != "error", out
    rows = await repo.incidents(kind="report")
    assert len(rows) == 1
    client = signed_in
    listing = await (await client.get("/incidents?status=open")).text()
    assert f'href="/incidents/{rows[0].id}' in listing and "成员举报" in listing
    html = await (await client.get(f"/incidents/{rows[0].id}")).text()
    assert "成员匿名举报" in html and "&lt;b&gt;保健品&lt;/b&gt;" in html
    token = csrf_of(html)
    # the reporter is not named (the random form token may hold any letters)
    assert "<dt>发送人</dt>" not in html and "u3" not in html.replace(token, "")
    res = await client.post(f"/incidents/{rows[0].id}/review", data={"decision": "confirm", "csrf": token})
    assert res.status in (200, 303)
    assert (await repo.incidents(kind="report"))[0].status == "confirmed"
